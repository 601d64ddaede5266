/**
 * Per-layer accumulators of the feature index, fed one batch of dense activations at a time.
 *
 * Two passes over the corpus (the same batches in the same order):
 * 1. counts, sums, min/max and the top-K activations of every feature (a per-feature min-heap whose root is
 *    the entry threshold, so almost every activation costs one comparison);
 * 2. with each feature's final maximum known: the histogram and the band samples. Bands are fixed fractions
 *    of the final max, so the samples are uniform within a band — a band relative to a running max would
 *    over-sample the early corpus. Sampling is Li's reservoir "Algorithm L": it draws random numbers only
 *    when an item is accepted (~k·ln(n/k) times per band), not once per activation.
 * A context's per-token activations are copied out of the batch the moment it is accepted, so nothing about
 * a batch is kept once it has been scanned.
 */

/** One context as stored: a window of the corpus and this feature's activation at every token of it. */
export interface StoredContext {
  readonly sequence: number;
  readonly position: number;
  readonly activation: number;
  /** Position in the sequence of the window's first token. */
  readonly start: number;
  readonly acts: Float32Array;
}

/** One batch: B sequences of equal length T, activations (B·T, D) row-major, BOS rows zero. */
export interface ScanBatch {
  readonly act: Float32Array;
  readonly T: number;
  readonly sequenceIds: readonly number[];
}

export interface ScanSettings {
  readonly D: number;
  readonly topK: number;
  readonly before: number;
  readonly after: number;
  readonly bands: number;
  readonly perBand: number;
  readonly bins: number;
  readonly seed: number;
}

/** mulberry32: a fast seeded generator for reservoir decisions, in (0, 1) exclusive so that log() is finite. */
function makeRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296);
  };
}

/** Heap order: smaller activation first; among equals the later (sequence, position) goes first. */
function below(a: StoredContext, b: StoredContext): boolean {
  if (a.activation !== b.activation) return a.activation < b.activation;
  return a.sequence !== b.sequence ? a.sequence > b.sequence : a.position > b.position;
}

export function compareContexts(a: StoredContext, b: StoredContext): number {
  if (a.activation !== b.activation) return b.activation - a.activation;
  return a.sequence !== b.sequence ? a.sequence - b.sequence : a.position - b.position;
}

export class LayerScan {
  readonly count: Float64Array;
  readonly sum: Float64Array;
  readonly max: Float64Array;
  readonly min: Float64Array;
  readonly histogram: Uint32Array; // (D, bins)
  private readonly threshold: Float64Array;
  private readonly heaps: StoredContext[][];
  private readonly samples: StoredContext[][]; // (D·bands)
  private readonly seen: Float64Array;
  private readonly nextAccept: Float64Array;
  private readonly w: Float64Array;
  private readonly random: () => number;

  constructor(private readonly s: ScanSettings) {
    const { D } = s;
    this.count = new Float64Array(D);
    this.sum = new Float64Array(D);
    this.max = new Float64Array(D).fill(-Infinity);
    this.min = new Float64Array(D).fill(Infinity);
    this.histogram = new Uint32Array(D * s.bins);
    this.threshold = new Float64Array(D).fill(s.topK > 0 ? -Infinity : Infinity);
    this.heaps = Array.from({ length: D }, () => []);
    this.samples = Array.from({ length: D * s.bands }, () => []);
    this.seen = new Float64Array(D * s.bands);
    // 0 = accept the next item (reservoir filling); no sampling at all when perBand is 0.
    this.nextAccept = new Float64Array(D * s.bands).fill(s.perBand > 0 ? 0 : Infinity);
    this.w = new Float64Array(D * s.bands);
    this.random = makeRandom(s.seed);
  }

  private window(batch: ScanBatch, b: number, pos: number, f: number, a: number): StoredContext {
    const { T, act } = batch;
    const D = this.s.D;
    const start = Math.max(0, pos - this.s.before);
    const end = Math.min(T - 1, pos + this.s.after);
    const acts = new Float32Array(end - start + 1);
    for (let i = 0; i < acts.length; i++) acts[i] = act[(b * T + start + i) * D + f];
    return { sequence: batch.sequenceIds[b], position: pos, activation: a, start, acts };
  }

  pass1(batch: ScanBatch): void {
    const { act, T } = batch;
    const { D, topK } = this.s;
    const { count, sum, max, min, threshold } = this;
    for (let b = 0; b < batch.sequenceIds.length; b++) {
      for (let pos = 1; pos < T; pos++) {
        const base = (b * T + pos) * D;
        for (let f = 0; f < D; f++) {
          const a = act[base + f];
          if (a === 0) continue;
          count[f]++;
          sum[f] += a;
          if (a > max[f]) max[f] = a;
          if (a < min[f]) min[f] = a;
          if (a > threshold[f]) {
            const heap = this.heaps[f];
            const ctx = this.window(batch, b, pos, f, a);
            if (heap.length < topK) heapPush(heap, ctx);
            else heapReplaceRoot(heap, ctx);
            if (heap.length === topK) threshold[f] = heap[0].activation;
          }
        }
      }
    }
  }

  /** Histogram range: (lo, max] with lo = 0 unless TopK produced negative activations. */
  histogramRange(f: number): [number, number] {
    if (this.count[f] === 0) return [0, 0];
    return [Math.min(0, this.min[f]), this.max[f]];
  }

  pass2(batch: ScanBatch): void {
    const { act, T } = batch;
    const { D, bins, bands } = this.s;
    // Per-feature constants hoisted out of the loop: this pass touches every nonzero activation.
    const lo = new Float64Array(D);
    const invWidth = new Float64Array(D);
    const bandScale = new Float64Array(D);
    for (let f = 0; f < D; f++) {
      const [l, h] = this.histogramRange(f);
      lo[f] = l;
      invWidth[f] = h > l ? bins / (h - l) : 0;
      bandScale[f] = this.max[f] > 0 ? bands / this.max[f] : 0;
    }
    const { histogram, seen, nextAccept } = this;
    for (let b = 0; b < batch.sequenceIds.length; b++) {
      for (let pos = 1; pos < T; pos++) {
        const base = (b * T + pos) * D;
        for (let f = 0; f < D; f++) {
          const a = act[base + f];
          if (a === 0) continue;
          let bin = invWidth[f] > 0 ? Math.ceil((a - lo[f]) * invWidth[f]) - 1 : bins - 1;
          if (bin < 0) bin = 0;
          else if (bin >= bins) bin = bins - 1;
          histogram[f * bins + bin]++;
          if (a > 0) {
            let band = Math.ceil(a * bandScale[f]) - 1;
            if (band < 0) band = 0;
            else if (band >= bands) band = bands - 1;
            const slot = f * bands + band;
            const i = seen[slot]++;
            if (i >= nextAccept[slot]) this.accept(slot, i, batch, b, pos, f, a);
          }
        }
      }
    }
  }

  /**
   * Algorithm L, called only for items it accepts: fill the reservoir, then replace a random entry and skip a
   * geometric number of items until the next acceptance.
   */
  private accept(slot: number, i: number, batch: ScanBatch, b: number, pos: number, f: number, a: number): void {
    const k = this.s.perBand;
    const res = this.samples[slot];
    if (res.length < k) {
      res.push(this.window(batch, b, pos, f, a));
      if (res.length < k) return;
      this.w[slot] = Math.exp(Math.log(this.random()) / k);
    } else {
      res[Math.floor(this.random() * k)] = this.window(batch, b, pos, f, a);
      this.w[slot] *= Math.exp(Math.log(this.random()) / k);
    }
    const skip = Math.floor(Math.log(this.random()) / Math.log(1 - this.w[slot]));
    this.nextAccept[slot] = Number.isFinite(skip) ? i + skip + 1 : i + 1;
  }

  topContexts(f: number): StoredContext[] {
    return [...this.heaps[f]].sort(compareContexts);
  }

  bandContexts(f: number, band: number): StoredContext[] {
    return [...this.samples[f * this.s.bands + band]].sort(compareContexts);
  }
}

function heapPush(h: StoredContext[], x: StoredContext): void {
  h.push(x);
  let i = h.length - 1;
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (!below(h[i], h[p])) break;
    [h[i], h[p]] = [h[p], h[i]];
    i = p;
  }
}

function heapReplaceRoot(h: StoredContext[], x: StoredContext): void {
  h[0] = x;
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    const r = l + 1;
    let m = i;
    if (l < h.length && below(h[l], h[m])) m = l;
    if (r < h.length && below(h[r], h[m])) m = r;
    if (m === i) return;
    [h[i], h[m]] = [h[m], h[i]];
    i = m;
  }
}

/**
 * A batch's activations kept sparse between the passes (CSR by row), so that pass 2 of a sparse dictionary
 * re-reads them instead of re-running the model and the encoder.
 */
export interface SparseActs {
  readonly rowStart: Uint32Array;
  readonly feature: Int32Array;
  readonly value: Float32Array;
}

export function countNonzero(act: Float32Array): number {
  let n = 0;
  for (let i = 0; i < act.length; i++) if (act[i] !== 0) n++;
  return n;
}

export function sparsifyActs(act: Float32Array, D: number, nnz: number): SparseActs {
  const rows = act.length / D;
  const out = { rowStart: new Uint32Array(rows + 1), feature: new Int32Array(nnz), value: new Float32Array(nnz) };
  let j = 0;
  for (let r = 0; r < rows; r++) {
    for (let f = 0, base = r * D; f < D; f++) {
      const a = act[base + f];
      if (a === 0) continue;
      out.feature[j] = f;
      out.value[j++] = a;
    }
    out.rowStart[r + 1] = j;
  }
  return out;
}

export function densifyActs(s: SparseActs, D: number): Float32Array {
  const rows = s.rowStart.length - 1;
  const out = new Float32Array(rows * D);
  for (let r = 0; r < rows; r++) for (let j = s.rowStart[r]; j < s.rowStart[r + 1]; j++) out[r * D + s.feature[j]] = s.value[j];
  return out;
}
