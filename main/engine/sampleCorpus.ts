/**
 * A training corpus sampled from the model itself (llama2.c story style): sequences start at BOS and end when
 * the model emits BOS (llama2.c's story delimiter) or EOS, or at `maxLen` tokens. Batches of sequences run
 * through the KV-cache decoder together, one position per step.
 *
 * Determinism: sequence i is sampled with llama2.c's sampler seeded from (seed, i) alone, and which
 * sequences are kept depends only on their contents, so a seed gives the same corpus on every run (on the same
 * machine: onnxruntime's float32 sums may round differently on other CPUs, as with any float model).
 */
import type { ModelSpec } from '../../shared/model';
import { createDecoder } from '../../native/decodeRun';
import type { Tokenizer } from '../tokenizer/types';
import { makeSampler } from './sampler';

export interface SampleCorpusOptions {
  /** Stop once the kept sequences hold at least this many tokens (BOS included). */
  readonly tokens: number;
  readonly seed: number | bigint;
  readonly temperature?: number;
  /** Nucleus threshold as llama2.c's `-p`; outside (0, 1) samples the full distribution. */
  readonly topP?: number;
  /** Sequences sampled together; a performance knob only (see `seedFor`). */
  readonly batch?: number;
  /** Longest sequence in tokens, BOS included; clamped to the model's context. */
  readonly maxLen?: number;
  /** Tokens sampled so far (approximate during a batch, exact at the end) out of `tokens`. */
  readonly onProgress?: (done: number, total: number) => void;
  readonly signal?: AbortSignal;
}

export interface SampledCorpus {
  /** Each starts with BOS and excludes the BOS/EOS that ended it (a sequence cut at maxLen has none). */
  readonly sequences: number[][];
  /** `tokenizer.decode` of each sequence. */
  readonly text: string[];
}

/**
 * Seed of sequence `index`: seed·1 000 003 + index + 1, as a 64-bit state. The +1 keeps seed 0 / index 0 off
 * the all-zero state, which xorshift never leaves (every coin would be 0).
 */
export function seedFor(seed: number | bigint, index: number): bigint {
  return BigInt.asUintN(64, BigInt(seed) * 1_000_003n + BigInt(index) + 1n);
}

export async function sampleCorpus(spec: ModelSpec, tokenizer: Tokenizer, opts: SampleCorpusOptions): Promise<SampledCorpus> {
  const N = opts.tokens;
  const batch = opts.batch ?? 64;
  const maxLen = Math.min(opts.maxLen ?? 256, spec.config.maxSeqLen);
  const temperature = opts.temperature ?? 1;
  const topP = opts.topP ?? 0.9;
  if (!(Number.isInteger(N) && N >= 1)) throw new RangeError(`sampleCorpus: tokens must be a positive integer, got ${N}`);
  if (!(Number.isInteger(batch) && batch >= 1)) throw new RangeError(`sampleCorpus: batch must be a positive integer, got ${batch}`);
  if (!(Number.isInteger(maxLen) && maxLen >= 2)) throw new RangeError(`sampleCorpus: maxLen must be an integer ≥ 2, got ${maxLen}`);
  if (typeof opts.seed === 'number' && !Number.isSafeInteger(opts.seed)) throw new RangeError(`sampleCorpus: seed must be an integer, got ${opts.seed}`);
  if (!(temperature >= 0)) throw new RangeError(`sampleCorpus: temperature must be ≥ 0, got ${temperature}`);
  const { bosId, eosId } = tokenizer;

  const sequences: number[][] = [];
  let kept = 0; // tokens in `sequences`
  for (let first = 0; kept < N; first += batch) {
    const done = await sampleBatch(first);
    // Whole sequences in index order until N is reached: the cut depends on contents only, never on timing.
    for (const seq of done) {
      if (kept >= N) break;
      sequences.push(seq);
      kept += seq.length;
    }
  }
  opts.onProgress?.(kept, N);
  return { sequences, text: sequences.map((s) => tokenizer.decode(s)) };

  /**
   * Sequences first … first+batch-1 that the corpus can still use, in index order. Sequences are kept in index
   * order and only grow, so once the ones before sequence i already hold the remaining budget, sequence i can
   * never be kept: its row leaves the batch (as do finished rows), and the batch ends when no row is left.
   */
  async function sampleBatch(first: number): Promise<number[][]> {
    const seqs = Array.from({ length: batch }, () => [bosId]);
    const samplers = seqs.map((_, i) => makeSampler({ temperature, topP, seed: seedFor(opts.seed, first + i) }));
    const finished = new Array<boolean>(batch).fill(false);
    let active = seqs.map((_, i) => i); // sequence index of each decoder row, ascending
    let needed = batch; // sequences [0, needed) may still be kept
    const decoder = createDecoder(spec, batch);
    const V = spec.config.vocabSize;
    while (active.length) {
      opts.signal?.throwIfAborted();
      const logits = await decoder.step(active.map((i) => seqs[i][seqs[i].length - 1]));
      active.forEach((i, row) => {
        const next = samplers[i](logits.subarray(row * V, (row + 1) * V));
        if (next === bosId || next === eosId) finished[i] = true;
        else {
          seqs[i].push(next);
          if (seqs[i].length >= maxLen) finished[i] = true;
        }
      });
      let sum = kept;
      needed = 0;
      while (needed < batch && sum < N) sum += seqs[needed++].length;
      const still: number[] = [];
      active.forEach((i, row) => {
        if (!finished[i] && i < needed) still.push(row);
      });
      // Rows leave the batch as soon as they are done or unneeded: later steps cost only what live rows need.
      if (still.length < active.length) {
        decoder.keepRows(still);
        active = still.map((row) => active[row]);
      }
      opts.onProgress?.(Math.min(N, sum), N);
    }
    return seqs.slice(0, needed);
  }
}
