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

/**
 * onnxruntime's arena makes repeated runs ~2× faster here (no fresh pages for large intermediates), but each of
 * the per-`top` backward sessions keeps its own arena at its peak. Small models keep it; for large models the
 * run is FLOP-bound anyway and the retained memory would be gigabytes, so they run without it.
 */
function useArena(spec: ModelSpec): boolean {
  let params = 0;
  for (const t of new Set(spec.weights.values())) params += t.data.length;
  return params < 50_000_000;
}

/** Column map from a program run over the first `Tp` positions to the full row layout (A + L·T + T). */
function columnMap(dict: Dictionary, ctx: BackwardContext, L: number, Tp: number, kept: readonly number[]): Int32Array {
  const A = ctx.nFeatures;
  const T = ctx.T;
  const featureCols = dict.kind === 'clt' ? A : kept.length;
  const map = new Int32Array(featureCols + L * Tp + Tp);
  if (dict.kind === 'clt') for (let i = 0; i < A; i++) map[i] = i;
  else kept.forEach((c, j) => (map[j] = c));
  let j = featureCols;
  for (let l = 0; l < L; l++) for (let p = 0; p < Tp; p++) map[j++] = A + l * T + p;
  for (let p = 0; p < Tp; p++) map[j++] = A + L * T + p;
  return map;
}

/**
 * One batch of target rows, in the full layout [B, A + L·T + T]. A target at position p only depends on
 * positions ≤ p (causal attention), so the program runs on the first max(p)+1 positions only: a batch of early
 * targets costs proportionally less.
 */
export async function runBackward(spec: ModelSpec, dict: Dictionary, ctx: BackwardContext, batch: TargetBatch): Promise<{ rows: Float32Array; cols: number }> {
  const B = batch.layer.length;
  const d = spec.config.dModel;
  const L = spec.config.nLayers;
  const H = spec.config.nHeads;
  const T = ctx.T;
  let top = 0;
  let Tp = 1;
  for (let b = 0; b < B; b++) {
    top = Math.max(top, batch.layer[b]);
    Tp = Math.max(Tp, batch.pos[b] + 1);
  }
  const session = await getProgram(`${spec.fingerprint}|${dict.fingerprint}|backward|${top}`, () => buildBackwardProgram(spec, dict, top), { arena: useArena(spec) });
  const feeds: Record<string, ort.Tensor> = {
    tgt_layer: new ort.Tensor('int64', BigInt64Array.from(batch.layer, BigInt), [B]),
    tgt_pos: new ort.Tensor('int64', BigInt64Array.from(batch.pos, BigInt), [B]),
    tgt_vec: new ort.Tensor('float32', residualInjections(spec, dict, ctx, batch), [B, d]),
    emb: new ort.Tensor('float32', ctx.emb.data.subarray(0, Tp * d), [Tp, 1, d]),
  };
  const kept: number[] = []; // PLT: full feature column of each kept decoder row, in output order
  const keptRowFeature: bigint[] = [];
  let featureBase = 0;
  for (let l = 0; l < L; l++) {
    const pat = ctx.patT[l].data;
    let patT = pat;
    if (Tp < T) {
      patT = new Float32Array(H * Tp * Tp);
      for (let h = 0; h < H; h++) for (let k = 0; k < Tp; k++) patT.set(pat.subarray((h * T + k) * T, (h * T + k) * T + Tp), (h * Tp + k) * Tp);
    }
    feeds[backwardIO.patT(l)] = new ort.Tensor('float32', patT, [H, Tp, Tp]);
    feeds[backwardIO.s2(l)] = new ort.Tensor('float32', ctx.s2[l].subarray(0, Tp).map((x) => 1 / x), [Tp, 1, 1]);
    const [, , n] = ctx.dec[l].shape;
    feeds[backwardIO.dec(l)] = new ort.Tensor('float32', ctx.dec[l].data.subarray(0, Tp * d * n), [Tp, d, n]);
    const limit = BigInt(Tp * n);
    const gidx = ctx.gidx[l];
    const keep: bigint[] = [];
    for (let r = 0; r < gidx.length; r++) {
      if (gidx[r] >= limit) continue;
      keep.push(gidx[r]);
      if (ctx.rowFeature) keptRowFeature.push(ctx.rowFeature[featureBase + r]);
      else kept.push(featureBase + r);
    }
    featureBase += gidx.length;
    feeds[backwardIO.gidx(l)] = new ort.Tensor('int64', BigInt64Array.from(keep), [keep.length]);
    feeds[backwardIO.err(l)] = new ort.Tensor('float32', ctx.err[l].data.subarray(0, Tp * d), [Tp, 1, d]);
  }
  if (ctx.rowFeature) {
    feeds.row_feature = new ort.Tensor('int64', BigInt64Array.from(keptRowFeature), [keptRowFeature.length]);
    feeds.n_features = new ort.Tensor('int64', BigInt64Array.of(BigInt(ctx.nFeatures)), [1]);
  }
  // Programs for lower `top` declare fewer inputs; feed only what this one takes.
  const wanted = new Set(session.inputNames);
  for (const k of Object.keys(feeds)) if (!wanted.has(k)) delete feeds[k];
  const out = await session.run(feeds);
  const part = out.rows.data as Float32Array;
  const cols = ctx.nFeatures + L * T + T;
  const map = columnMap(dict, ctx, L, Tp, kept);
  if (map.length === cols && Tp === T) return { rows: part, cols }; // identity layout: nothing to move
  const rows = new Float32Array(B * cols);
  const pc = map.length;
  for (let b = 0; b < B; b++) {
    const src = b * pc;
    const dst = b * cols;
    for (let j = 0; j < pc; j++) rows[dst + map[j]] = part[src + j];
  }
  return { rows, cols };
}
