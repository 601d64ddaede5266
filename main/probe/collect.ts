/**
 * Hook activations of many token sequences through the forward program, in batches. Sequences of a batch are
 * right-padded to one length: the model is causal, so a position never sees the padding after it and every
 * real position's activations are those of the unpadded sequence. Sorting by length keeps padding small.
 */
import type { ModelSpec } from '../../shared/model';
import type { Activations } from '../../shared/forward';
import type { ProbePosition } from '../../shared/probe';
import type { Tensor } from '../../shared/tensor';
import { hookShape, parseHookName } from '../../shared/hooks';
import { runForward } from '../../native/forwardRun';
import { UserError } from '../errors';

/** Features per position of a hook with a position axis right after the batch axis (resid, mlp, z, …). */
export function hookWidth(spec: ModelSpec, hook: string): number {
  if (!parseHookName(hook, spec.config.nLayers)) {
    throw new UserError(`unknown hook "${hook}" (e.g. blocks.${spec.config.nLayers - 1}.hook_resid_post, blocks.2.mlp.hook_post, blocks.0.hook_attn_out)`);
  }
  const { shape, posAxis } = hookShape(hook, spec.config, 1, 1);
  if (posAxis !== 1) throw new UserError(`hook ${hook} has no per-position vector (attention patterns are [heads, query, key]); probe a residual, MLP or attention-output hook`);
  return shape.slice(2).reduce((a, b) => a * b, 1);
}

export interface PaddedBatch {
  readonly acts: Activations;
  /** Padded length. */
  readonly T: number;
}

/** One forward run over `seqs`, right-padded with token 0 (never seen by real positions). */
export async function forwardPadded(spec: ModelSpec, seqs: readonly (readonly number[])[], outputs: readonly string[]): Promise<PaddedBatch> {
  const T = Math.max(...seqs.map((s) => s.length));
  if (T > spec.config.maxSeqLen) throw new UserError(`an item is ${T} tokens long but the model's context is ${spec.config.maxSeqLen} tokens: shorten it`);
  const tokens = seqs.map((s) => (s.length === T ? [...s] : [...s, ...new Array<number>(T - s.length).fill(0)]));
  return { acts: await runForward(spec, { tokens, outputs: [...outputs] }), T };
}

/**
 * Sequence b's vector of a [B, T, …] hook tensor: at its last real position, or the mean over its real
 * positions after BOS (BOS's residual is an outlier shared by every sequence; a one-token sequence uses it).
 */
export function pool(t: Tensor, b: number, len: number, position: ProbePosition, out?: Float32Array): Float32Array {
  const [, T] = t.shape;
  const w = t.shape.slice(2).reduce((a, c) => a * c, 1);
  const dst = out ?? new Float32Array(w);
  const base = b * T * w;
  if (position === 'last') {
    dst.set(t.data.subarray(base + (len - 1) * w, base + len * w));
    return dst;
  }
  const from = len > 1 ? 1 : 0;
  dst.fill(0);
  for (let p = from; p < len; p++) for (let j = 0; j < w; j++) dst[j] += t.data[base + p * w + j];
  for (let j = 0; j < w; j++) dst[j] /= len - from;
  return dst;
}

/**
 * Batches of indices into `seqs`, sorted by length (ties in index order), each at most `batchTokens` padded
 * tokens (≥ 1 sequence) and at most `maxRows` sequences.
 */
export function lengthBatches(seqs: readonly { readonly length: number }[], batchTokens: number, maxRows = Infinity): number[][] {
  const order = seqs.map((_, i) => i).sort((a, b) => seqs[a].length - seqs[b].length || a - b);
  const batches: number[][] = [];
  let cur: number[] = [];
  for (const i of order) {
    const T = seqs[i].length; // the longest so far, since sorted
    if (cur.length && (cur.length >= maxRows || (cur.length + 1) * T > batchTokens)) {
      batches.push(cur);
      cur = [];
    }
    cur.push(i);
  }
  if (cur.length) batches.push(cur);
  return batches;
}

export interface CollectOptions {
  readonly batchTokens?: number;
  readonly onProgress?: (done: number, total: number) => void;
  readonly signal?: AbortSignal;
}

/** X [n, width] (row i = seqs[i]) of one hook, pooled per sequence. */
export async function collectHook(spec: ModelSpec, seqs: readonly (readonly number[])[], hook: string, position: ProbePosition, opts: CollectOptions = {}): Promise<Float32Array> {
  const w = hookWidth(spec, hook);
  const X = new Float32Array(seqs.length * w);
  let done = 0;
  for (const batch of lengthBatches(seqs, opts.batchTokens ?? 8192)) {
    opts.signal?.throwIfAborted();
    const { acts } = await forwardPadded(spec, batch.map((i) => seqs[i]), [hook]);
    const t = acts.get(hook)!;
    batch.forEach((i, b) => pool(t, b, seqs[i].length, position, X.subarray(i * w, (i + 1) * w)));
    done += batch.length;
    opts.onProgress?.(done, seqs.length);
  }
  return X;
}
