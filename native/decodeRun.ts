/**
 * Runs the decode-step program over a batch, holding the KV cache between steps. Every row advances one
 * position per step; rows are independent (attention never crosses rows), so finished rows can be dropped
 * with `keepRows` and the others continue unchanged.
 *
 * The cache is ours (JS memory fed to onnxruntime without copying): per layer a keys and a values tensor
 * [rows, K, capacity, dh]. Each step writes the new position's key and value into it; capacity grows in blocks
 * of CAPACITY_STEP positions, so tensor shapes — and onnxruntime's buffers — stay fixed between growths.
 */
import type { ModelSpec } from '../shared/model';
import { getProgram, ort } from './session';
import { buildDecodeProgram, checkDecodable, newKeyOutput, newValueOutput, pastKeyInput, pastValueInput } from './programs/decode';

/** Positions added when the cache is full: few reallocations, and at most this many masked slots to skip. */
const CAPACITY_STEP = 64;

export interface Decoder {
  /** Rows currently in the batch (shrinks with `keepRows`). */
  readonly batch: number;
  /** Positions already in the cache: the position the next `step` token takes. */
  readonly position: number;
  /** Feeds one token per row at `position`; resolves to the next-token logits, [batch, V] row-major. */
  step(tokens: readonly number[]): Promise<Float32Array>;
  /** Keeps only the given rows (indices into the current batch, in the order given). */
  keepRows(rows: readonly number[]): void;
}

export function createDecoder(spec: ModelSpec, batch: number): Decoder {
  checkDecodable(spec);
  if (!(Number.isInteger(batch) && batch >= 1)) throw new RangeError(`decoder: batch must be a positive integer, got ${batch}`);
  const cfg = spec.config;
  const { nLayers: L, nKvHeads: K, headDim: dh, vocabSize: V } = cfg;
  const session = getProgram(`${spec.fingerprint}|decode`, () => buildDecodeProgram(spec));
  let rows = batch;
  let position = 0;
  let capacity = 0;
  // Per layer keys then values, each [rows, K, capacity, dh] (a prefix view after keepRows shrank the batch).
  let cache: Float32Array[] = [];
  let busy = false;

  /** Reallocates with room for `cap` positions, keeping the first `position` of each (row, head). */
  function grow(cap: number): void {
    cache = Array.from({ length: 2 * L }, (_, t) => {
      const next = new Float32Array(rows * K * cap * dh);
      const old = cache[t];
      if (old) for (let r = 0; r < rows * K; r++) next.set(old.subarray(r * capacity * dh, (r * capacity + position) * dh), r * cap * dh);
      return next;
    });
    capacity = cap;
  }

  async function step(tokens: readonly number[]): Promise<Float32Array> {
    if (busy) throw new Error('decoder: step called while the previous step is still running');
    if (tokens.length !== rows) throw new RangeError(`decoder: ${tokens.length} tokens for a batch of ${rows}`);
    if (position >= cfg.maxSeqLen) throw new RangeError(`decoder: position ${position} is past the model's context of ${cfg.maxSeqLen}`);
    const ids = new BigInt64Array(rows);
    tokens.forEach((id, b) => {
      if (!(Number.isInteger(id) && id >= 0 && id < V)) throw new RangeError(`decoder: token id ${id} is outside the vocabulary [0, ${V})`);
      ids[b] = BigInt(id);
    });
    // Room for this position's key and value, written after the run.
    if (position >= capacity) grow(Math.min(cfg.maxSeqLen, capacity + CAPACITY_STEP));
    busy = true;
    try {
      const feeds: Record<string, ort.Tensor> = {
        tokens: new ort.Tensor('int64', ids, [rows, 1]),
        pos: new ort.Tensor('int64', BigInt64Array.of(BigInt(position)), [1]),
      };
      const dims = [rows, K, capacity, dh];
      for (let l = 0; l < L; l++) {
        feeds[pastKeyInput(l)] = new ort.Tensor('float32', cache[2 * l], dims);
        feeds[pastValueInput(l)] = new ort.Tensor('float32', cache[2 * l + 1], dims);
      }
      const out = await (await session).run(feeds);
      for (let l = 0; l < L; l++) {
        for (const [t, name] of [[2 * l, newKeyOutput(l)], [2 * l + 1, newValueOutput(l)]] as const) {
          const src = out[name].data as Float32Array; // [rows, K, 1, dh]
          const dst = cache[t];
          for (let r = 0; r < rows * K; r++) dst.set(src.subarray(r * dh, (r + 1) * dh), (r * capacity + position) * dh);
        }
      }
      position++;
      return out.logits.data as Float32Array;
    } finally {
      busy = false;
    }
  }

  function keepRows(keep: readonly number[]): void {
    if (busy) throw new Error('decoder: keepRows called while a step is running');
    for (const r of keep) if (!(Number.isInteger(r) && r >= 0 && r < rows)) throw new RangeError(`decoder: row ${r} outside [0, ${rows})`);
    const rowLen = K * capacity * dh; // one row of one cache tensor is contiguous
    // Ascending rows (the usual case) move down in place: no new memory to fault in.
    const ascending = keep.every((r, i) => i === 0 || r > keep[i - 1]);
    cache = cache.map((t) => {
      const dst = ascending ? t : new Float32Array(keep.length * rowLen);
      keep.forEach((r, i) => {
        if (ascending) {
          if (r !== i) dst.copyWithin(i * rowLen, r * rowLen, (r + 1) * rowLen);
        } else dst.set(t.subarray(r * rowLen, (r + 1) * rowLen), i * rowLen);
      });
      return dst.subarray(0, keep.length * rowLen);
    });
    rows = keep.length;
  }

  return {
    get batch() {
      return rows;
    },
    get position() {
      return position;
    },
    step,
    keepRows,
  };
}
