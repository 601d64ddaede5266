/** Runs the logit-lens program (programs/lens.ts) on stacked residual-stream tensors. */
import type { ModelSpec } from '../shared/model';
import type { Tensor } from '../shared/tensor';
import { getProgram, ort } from './session';
import { buildLensProgram } from './programs/lens';

export interface LensRunOptions {
  /** Token whose probability and rank are reported (default 0: pass one when they matter). */
  readonly target?: number;
  /** Top tokens per row (clamped to the vocabulary). */
  readonly topK?: number;
  readonly withLogits?: boolean;
}

export interface LensRunOutput {
  /** [N, T, k] row-major. */
  readonly topProbs: Float32Array;
  readonly topIds: Int32Array;
  readonly k: number;
  /** [N, T]. */
  readonly targetProb: Float32Array;
  readonly targetRank: Int32Array;
  readonly entropy: Float32Array;
  /** [N, T, V] when asked for. */
  readonly logits?: Float32Array;
}

export async function runLens(spec: ModelSpec, resid: Tensor, opts: LensRunOptions = {}): Promise<LensRunOutput> {
  const { dModel: d, vocabSize: V } = spec.config;
  if (resid.shape.length !== 3 || resid.shape[2] !== d) throw new RangeError(`runLens: resid must be [N, T, ${d}], got [${resid.shape}]`);
  const target = opts.target ?? 0;
  if (!(Number.isInteger(target) && target >= 0 && target < V)) throw new RangeError(`runLens: target ${target} is outside the vocabulary [0, ${V})`);
  const k = Math.max(1, Math.min(V, opts.topK ?? 5));
  const withLogits = !!opts.withLogits;
  const session = await getProgram(`${spec.fingerprint}|lens|${withLogits}`, () => buildLensProgram(spec, { withLogits }));
  const r = await session.run({
    resid: new ort.Tensor('float32', resid.data, [...resid.shape]),
    target: new ort.Tensor('int64', BigInt64Array.of(BigInt(target)), [1]),
    k: new ort.Tensor('int64', BigInt64Array.of(BigInt(k)), [1]),
  });
  const ids = r.top_ids.data as BigInt64Array;
  const ranks = r.target_rank.data as Float32Array;
  return {
    topProbs: r.top_probs.data as Float32Array,
    topIds: Int32Array.from(ids, (v) => Number(v)),
    k,
    targetProb: r.target_prob.data as Float32Array,
    targetRank: Int32Array.from(ranks),
    entropy: r.entropy.data as Float32Array,
    ...(withLogits ? { logits: r.logits.data as Float32Array } : {}),
  };
}
