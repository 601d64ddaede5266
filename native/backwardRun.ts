/** Runs the linearized backward program for batches of targets over one prompt's frozen context. */
import type { Dictionary } from '../shared/dictionary';
import type { ModelSpec } from '../shared/model';
import type { Tensor } from '../shared/tensor';
import { getProgram, ort } from './session';
import { backwardIO, buildBackwardProgram } from './programs/backward';

/** Everything the backward pass needs from one prompt (frozen quantities and node vectors). */
export interface BackwardContext {
  readonly T: number;
  /** Per layer [H, T, T]. */
  readonly patterns: readonly Tensor[];
  /** Per layer [T, 1] RMS values of ln1 / ln2, and the final norm's. */
  readonly s1: readonly Tensor[];
  readonly s2: readonly Tensor[];
  readonly sFinal: Tensor;
  /** Per output layer k: decoder rows [T, n_k, d], their slots in feature order, error vectors [T, d]. */
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
  readonly vec: Float32Array; // [B, d]
}

export async function runBackward(spec: ModelSpec, dict: Dictionary, ctx: BackwardContext, batch: TargetBatch): Promise<{ rows: Float32Array; cols: number }> {
  const B = batch.layer.length;
  const d = spec.config.dModel;
  const L = spec.config.nLayers;
  let top = 0;
  for (const l of batch.layer) top = Math.max(top, l);
  const session = await getProgram(`${spec.fingerprint}|${dict.fingerprint}|backward|${top}`, () => buildBackwardProgram(spec, dict, top));
  const f32 = (t: Tensor) => new ort.Tensor('float32', t.data, [...t.shape]);
  const feeds: Record<string, ort.Tensor> = {
    tgt_layer: new ort.Tensor('int64', BigInt64Array.from(batch.layer, BigInt), [B]),
    tgt_pos: new ort.Tensor('int64', BigInt64Array.from(batch.pos, BigInt), [B]),
    tgt_vec: new ort.Tensor('float32', batch.vec, [B, d]),
    emb: f32(ctx.emb),
    s_final: f32(ctx.sFinal),
  };
  for (let l = 0; l < L; l++) {
    feeds[backwardIO.pattern(l)] = f32(ctx.patterns[l]);
    feeds[backwardIO.s1(l)] = f32(ctx.s1[l]);
    feeds[backwardIO.s2(l)] = f32(ctx.s2[l]);
    feeds[backwardIO.dec(l)] = f32(ctx.dec[l]);
    feeds[backwardIO.gidx(l)] = new ort.Tensor('int64', ctx.gidx[l], [ctx.gidx[l].length]);
    feeds[backwardIO.err(l)] = f32(ctx.err[l]);
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
