/**
 * Batched forward runs over a prompt suite. Prompts of different lengths share a batch by right-padding: with
 * causal attention and per-position norms a pad token after a prompt changes nothing at the prompt's own
 * positions, so each prompt's last-position logits are those of its unpadded run. Prompts are sorted by length
 * so a batch pads little.
 */
import type { ModelSpec } from '../../shared/model';
import type { Tensor } from '../../shared/tensor';
import { runForward } from '../../native/forwardRun';
import { lengthBatches } from '../probe/collect';

const PAD = 0;

export interface Batch {
  /** Suite indices of the rows. */
  readonly rows: readonly number[];
  readonly T: number;
}

/** Batches of at most `maxRows` rows and about `maxTokens` padded tokens, prompts sorted by length. */
export function planBatches(lengths: readonly number[], maxRows = 64, maxTokens = 8192): Batch[] {
  // T: the batch's longest prompt, its last row (sorted by length).
  return lengthBatches(lengths.map((n) => ({ length: n })), maxTokens, maxRows).map((rows) => ({ rows, T: lengths[rows[rows.length - 1]] }));
}

export function padded(prompts: readonly (readonly number[])[], rows: readonly number[], T: number): number[][] {
  return rows.map((i) => {
    const p = prompts[i];
    return [...p, ...new Array<number>(T - p.length).fill(PAD)];
  });
}

/** Row `b`, position `t` of a [B, T, n] tensor. */
export function rowAt(x: Tensor, b: number, t: number): Float32Array {
  const [, T, n] = x.shape;
  return x.data.subarray((b * T + t) * n, (b * T + t + 1) * n);
}

/** Next-token logits at each prompt's last position (a copy per prompt). */
export async function lastLogits(spec: ModelSpec, prompts: readonly (readonly number[])[], signal?: AbortSignal, onBatch?: (done: number) => void): Promise<Float32Array[]> {
  const out = new Array<Float32Array>(prompts.length);
  let done = 0;
  for (const b of planBatches(prompts.map((p) => p.length))) {
    signal?.throwIfAborted();
    const logits = (await runForward(spec, { tokens: padded(prompts, b.rows, b.T), outputs: ['logits'] })).get('logits')!;
    b.rows.forEach((i, k) => (out[i] = Float32Array.from(rowAt(logits, k, prompts[i].length - 1))));
    done += b.rows.length;
    onBatch?.(done);
  }
  return out;
}
