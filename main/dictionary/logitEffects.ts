/**
 * Direct logit effects of transcoder features: for feature f of layer l, v = Σ of the decoder rows it writes
 * (PLT: W_dec[f]; CLT: Σ_k W_dec[f, k]) and effect = W_U · (v ⊙ ln_final.w), one value per vocabulary token.
 * This is the "logit lens" of the decoder direction: it ignores the final norm's scale and every later layer.
 *
 * The work is L·D·d·V multiply-adds. Below ~5e8 (1e9 flops: stories260K with 512 features is 8.4e7) a JS
 * loop takes well under a second and needs no session; above it the product runs on onnxruntime as a Gemm,
 * in chunks of features so that one chunk's (n, V) result stays around 64 MB.
 */
import type { Dictionary } from '../../shared/dictionary';
import type { ModelSpec } from '../../shared/model';
import { weightNames } from '../../shared/model';
import { GraphBuilder } from '../../native/onnx/builder';
import { getSession, ort } from '../../native/session';

/** Per layer, the k largest and k smallest effects of every feature: (D, k) row-major, sorted outward. */
export interface LayerLogitEffects {
  readonly k: number;
  readonly topToken: Int32Array;
  readonly topValue: Float32Array; // descending
  readonly bottomToken: Int32Array;
  readonly bottomValue: Float32Array; // ascending (most negative first)
}

export type LogitBackend = 'auto' | 'js' | 'onnx';

const JS_MAX_MACS = 5e8;
const CHUNK_ELEMENTS = 1 << 24;

/** v ⊙ ln_final.w for every feature of a layer: (D, d). */
export function scaledDecoderDirections(dict: Dictionary, layer: number, gain: Float32Array): Float32Array {
  const { nFeatures: D, dModel: d } = dict;
  const W = dict.layers[layer].W_dec;
  const span = dict.kind === 'plt' ? 1 : W.shape[1];
  const out = new Float32Array(D * d);
  for (let f = 0; f < D; f++) {
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let k = 0; k < span; k++) s += W.data[(f * span + k) * d + j];
      out[f * d + j] = s * gain[j];
    }
  }
  return out;
}

/** Keeps the k largest (sign 1) or smallest (sign −1) values of a row; ties go to the lower token id. */
function selectInto(row: ArrayLike<number>, V: number, k: number, sign: 1 | -1, tok: Int32Array, val: Float32Array, at: number): void {
  const bestV: number[] = [];
  const bestT: number[] = [];
  for (let t = 0; t < V; t++) {
    const x = sign * row[t];
    if (bestV.length === k && !(x > bestV[k - 1])) continue;
    let i = bestV.length === k ? k - 1 : bestV.length;
    while (i > 0 && x > bestV[i - 1]) {
      bestV[i] = bestV[i - 1];
      bestT[i] = bestT[i - 1];
      i--;
    }
    bestV[i] = x;
    bestT[i] = t;
  }
  for (let i = 0; i < bestV.length; i++) {
    tok[at + i] = bestT[i];
    val[at + i] = sign * bestV[i];
  }
}

function emptyEffects(D: number, k: number): LayerLogitEffects {
  return { k, topToken: new Int32Array(D * k), topValue: new Float32Array(D * k), bottomToken: new Int32Array(D * k), bottomValue: new Float32Array(D * k) };
}

let gemmBytes: Uint8Array | undefined;
/** out = A · W_Uᵀ with every dimension symbolic: one session serves every model and chunk size. */
function gemmProgram(): Uint8Array {
  if (!gemmBytes) {
    const g = new GraphBuilder('logit_effects');
    const a = g.input('a', 'float32', ['N', 'd']);
    const wu = g.input('wu', 'float32', ['V', 'd']);
    g.output(g.op('Gemm', [a, wu], { transB: 1 }), 'out', 'float32', ['N', 'V']);
    gemmBytes = g.toBytes();
  }
  return gemmBytes;
}

export async function computeLogitEffects(
  spec: ModelSpec,
  dict: Dictionary,
  k: number,
  backend: LogitBackend = 'auto',
  signal?: AbortSignal,
): Promise<LayerLogitEffects[]> {
  const WU = spec.weights.get(weightNames.unembed);
  const gain = spec.weights.get(weightNames.lnFinal);
  if (!WU || !gain) throw new Error(`model ${spec.name} has no ${weightNames.unembed} or ${weightNames.lnFinal}`);
  const [V, d] = WU.shape;
  const D = dict.nFeatures;
  const kk = Math.min(k, V);
  const useJs = backend === 'js' || (backend === 'auto' && dict.nLayers * D * d * V <= JS_MAX_MACS);
  const session = useJs ? undefined : await getSession('logit-effects|gemm', gemmProgram);
  const wuTensor = useJs ? undefined : new ort.Tensor('float32', WU.data, [V, d]);
  const out: LayerLogitEffects[] = [];
  for (let l = 0; l < dict.nLayers; l++) {
    signal?.throwIfAborted();
    const dirs = scaledDecoderDirections(dict, l, gain.data);
    const res = emptyEffects(D, kk);
    if (useJs) {
      const row = new Float32Array(V);
      for (let f = 0; f < D; f++) {
        for (let t = 0; t < V; t++) {
          let s = 0;
          for (let j = 0; j < d; j++) s += dirs[f * d + j] * WU.data[t * d + j];
          row[t] = s;
        }
        selectInto(row, V, kk, 1, res.topToken, res.topValue, f * kk);
        selectInto(row, V, kk, -1, res.bottomToken, res.bottomValue, f * kk);
      }
    } else {
      const chunk = Math.max(1, Math.floor(CHUNK_ELEMENTS / V));
      for (let f0 = 0; f0 < D; f0 += chunk) {
        const n = Math.min(chunk, D - f0);
        const r = await session!.run({ a: new ort.Tensor('float32', dirs.subarray(f0 * d, (f0 + n) * d), [n, d]), wu: wuTensor! });
        const data = r.out.data as Float32Array;
        for (let i = 0; i < n; i++) {
          const row = data.subarray(i * V, (i + 1) * V);
          selectInto(row, V, kk, 1, res.topToken, res.topValue, (f0 + i) * kk);
          selectInto(row, V, kk, -1, res.bottomToken, res.bottomValue, (f0 + i) * kk);
        }
      }
    }
    out.push(res);
  }
  return out;
}
