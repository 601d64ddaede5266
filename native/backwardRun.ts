/** Runs the linearized backward program for batches of targets over one prompt's frozen context. */
import type { Dictionary } from '../shared/dictionary';
import type { ModelSpec } from '../shared/model';
import type { Tensor } from '../shared/tensor';
import { getProgram, ort } from './session';
import { backwardIO, buildBackwardProgram } from './programs/backward';

/** Everything the backward pass needs from one prompt (frozen quantities and node vectors). */
export interface BackwardContext {
  readonly T: number;
  /** Per layer [H, T(key), T(query)]: the frozen pattern transposed, divided by the frozen ln1 RMS of the key. */
  readonly patT: readonly Tensor[];
  /** Per layer [T] frozen RMS of ln2, and of the final norm. */
  readonly s2: readonly Float32Array[];
  readonly sFinal: Float32Array;
  /** Per output layer k: decoder rows [T, d, n_k], their slots in feature order, error vectors [T, d]. */
  readonly dec: readonly Tensor[];
  readonly gidx: readonly BigInt64Array[];
  readonly err: readonly Tensor[];
  /** [T, d] token embeddings. */
  readonly emb: Tensor;
  /** CLT: feature column of each decoder row, and the number of active features. */
  readonly rowFeature?: BigInt64Array;
  readonly nFeatures: number;
}

export interface TargetBatch {
  readonly layer: Int32Array; // layer L = logit
  readonly pos: Int32Array;
  /** [B, d]: what each target reads at its read point (encoder row, or demeaned unembedding column). */
  readonly vec: Float32Array;
}

/**
 * Maps target vectors from their read point into the residual stream: through the frozen final norm for
 * logits (⊙ gain / RMS), through the frozen ln2 for features reading mlp.hook_in.
 */
function residualInjections(spec: ModelSpec, dict: Dictionary, ctx: BackwardContext, batch: TargetBatch): Float32Array {
  const d = spec.config.dModel;
  const L = spec.config.nLayers;
  const out = new Float32Array(batch.vec.length);
  for (let b = 0; b < batch.layer.length; b++) {
    const l = batch.layer[b];
    const p = batch.pos[b];
    let gain: Float32Array | null = null;
    let rms = 1;
    if (l >= L) {
      gain = spec.weights.get('ln_final.w')!.data;
      rms = ctx.sFinal[p];
    } else if (dict.inputHook === 'mlp.hook_in') {
      gain = spec.weights.get(`blocks.${l}.ln2.w`)!.data;
      rms = ctx.s2[l][p];
    }
    for (let j = 0; j < d; j++) out[b * d + j] = (batch.vec[b * d + j] * (gain ? gain[j] : 1)) / rms;
  }
  return out;
}

export async function runBackward(spec: ModelSpec, dict: Dictionary, ctx: BackwardContext, batch: TargetBatch): Promise<{ rows: Float32Array; cols: number }> {
  const B = batch.layer.length;
  const d = spec.config.dModel;
  const L = spec.config.nLayers;
  let top = 0;
  for (const l of batch.layer) top = Math.max(top, l);
  const session = await getProgram(`${spec.fingerprint}|${dict.fingerprint}|backward|${top}`, () => buildBackwardProgram(spec, dict, top), { arena: process.env.CWB_ARENA === "1" });
  const f32 = (t: Tensor) => new ort.Tensor('float32', t.data, [...t.shape]);
  const feeds: Record<string, ort.Tensor> = {
    tgt_layer: new ort.Tensor('int64', BigInt64Array.from(batch.layer, BigInt), [B]),
    tgt_pos: new ort.Tensor('int64', BigInt64Array.from(batch.pos, BigInt), [B]),
    tgt_vec: new ort.Tensor('float32', residualInjections(spec, dict, ctx, batch), [B, d]),
    emb: new ort.Tensor('float32', ctx.emb.data, [ctx.T, 1, d]),
  };
  for (let l = 0; l < L; l++) {
    feeds[backwardIO.patT(l)] = f32(ctx.patT[l]);
    feeds[backwardIO.s2(l)] = new ort.Tensor('float32', ctx.s2[l].map((x) => 1 / x), [ctx.T, 1, 1]);
    feeds[backwardIO.dec(l)] = f32(ctx.dec[l]);
    feeds[backwardIO.gidx(l)] = new ort.Tensor('int64', ctx.gidx[l], [ctx.gidx[l].length]);
    feeds[backwardIO.err(l)] = new ort.Tensor('float32', ctx.err[l].data, [ctx.T, 1, d]);
  }
  if (ctx.rowFeature) {
    feeds.row_feature = new ort.Tensor('int64', ctx.rowFeature, [ctx.rowFeature.length]);
    feeds.n_features = new ort.Tensor('int64', BigInt64Array.of(BigInt(ctx.nFeatures)), [1]);
  }
  // Programs for lower `top` declare fewer inputs; feed only what this one takes.
  const wanted = new Set(session.inputNames);
  for (const k of Object.keys(feeds)) if (!wanted.has(k)) delete feeds[k];
  const out = await session.run(feeds);
  const rows = out.rows.data as Float32Array;
  return { rows, cols: rows.length / B };
}
