/**
 * Computed target rows live in one buffer (slot = computation order), and packaging turns that buffer into the
 * N × N adjacency in place. Peak memory is then the larger of the two, not rows + adjacency (≈ 250 MB less on a
 * 124M-model graph of 7,500 features; half the allocation on an all-features graph, where N > cols).
 */

export class RowStore {
  readonly data: Float32Array;
  private used = 0;

  /** @param minFloats size the buffer for at least this many values (N² to pack an N-node adjacency in place) */
  constructor(
    readonly capacity: number,
    readonly cols: number,
    minFloats = 0,
  ) {
    this.data = new Float32Array(Math.max(capacity * cols, minFloats));
  }

  /** Copies one row in and returns its slot. */
  add(src: Float32Array): number {
    const slot = this.reserve(1);
    this.data.set(src, slot * this.cols);
    return slot;
  }

  /** Reserves n consecutive slots (to be filled through `block`) and returns the first. */
  reserve(n: number): number {
    if (this.used + n > this.capacity) throw new Error('row store is full');
    this.used += n;
    return this.used - n;
  }

  /** The rows of slots first … first + n − 1, as one [n, cols] view. */
  block(first: number, n: number): Float32Array {
    return this.data.subarray(first * this.cols, (first + n) * this.cols);
  }

  row(slot: number): Float32Array {
    return this.data.subarray(slot * this.cols, (slot + 1) * this.cols);
  }
}

export interface PackLayout {
  /** Slot of each feature row, in final node order (rows 0..F−1). */
  readonly featureSlots: Int32Array;
  /** Slot of each logit row (final rows N−K..N−1). */
  readonly logitSlots: Int32Array;
  /** Final node index of each stored column, or −1 for a dropped feature column. */
  readonly colToNode: Int32Array;
  readonly N: number;
}

function scatterRow(out: Float32Array, base: number, row: Float32Array, colToNode: Int32Array): void {
  for (let c = 0; c < row.length; c++) {
    const n = colToNode[c];
    if (n >= 0 && row[c] !== 0) out[base + n] = row[c];
  }
}

/** Every stored column is node column c (all features kept): rows then copy whole. */
function isIdentity(colToNode: Int32Array): boolean {
  for (let c = 0; c < colToNode.length; c++) if (colToNode[c] !== c) return false;
  return true;
}

/** Permutes the used rows in place so that row r holds `source[r]`, following cycles with one spare row. */
function permuteRows(data: Float32Array, cols: number, source: Int32Array): void {
  const n = source.length;
  const done = new Uint8Array(n);
  const spare = new Float32Array(cols);
  for (let start = 0; start < n; start++) {
    if (done[start] || source[start] === start) continue;
    spare.set(data.subarray(start * cols, (start + 1) * cols));
    let r = start;
    for (;;) {
      done[r] = 1;
      const s = source[r];
      if (s === start) {
        data.set(spare, r * cols);
        break;
      }
      data.copyWithin(r * cols, s * cols, (s + 1) * cols);
      r = s;
    }
  }
}

/** The N × N adjacency (rows = targets) from the stored rows; consumes the store when it packs in place. */
export function packAdjacency(store: RowStore, lay: PackLayout): Float32Array {
  const { N, featureSlots, logitSlots, colToNode } = lay;
  const { cols } = store;
  const F = featureSlots.length;
  const K = logitSlots.length;
  const rowsUsed = F + K;
  const identity = isIdentity(colToNode);
  const data = store.data;
  if (N * N > data.length || rowsUsed * cols > data.length) {
    const adjacency = new Float32Array(N * N);
    const put = (base: number, row: Float32Array) => (identity ? adjacency.set(row, base) : scatterRow(adjacency, base, row, colToNode));
    for (let r = 0; r < F; r++) put(r * N, store.row(featureSlots[r]));
    for (let k = 0; k < K; k++) put((N - K + k) * N, store.row(logitSlots[k]));
    return adjacency;
  }
  // Permute rows in place so that slot r holds stored row r of the output (features in node order, then the
  // logits): a permutation of all used slots.
  const source = new Int32Array(rowsUsed);
  for (let r = 0; r < F; r++) source[r] = featureSlots[r];
  for (let k = 0; k < K; k++) source[F + k] = logitSlots[k];
  permuteRows(data, cols, source);
  /** Output row `node` from stored row `r`, whose old content the caller has made safe to overwrite. */
  const current = new Float32Array(cols);
  const place = (r: number, node: number) => {
    if (identity && node * N === r * cols) {
      data.fill(0, node * N + cols, (node + 1) * N);
      return;
    }
    if (identity) {
      data.copyWithin(node * N, r * cols, (r + 1) * cols); // memmove: overlap is fine
      if (N > cols) data.fill(0, node * N + cols, (node + 1) * N);
      return;
    }
    current.set(data.subarray(r * cols, (r + 1) * cols));
    data.fill(0, node * N, (node + 1) * N);
    scatterRow(data, node * N, current, colToNode);
  };
  if (N <= cols) {
    // Compact forward: output row r ends at (r+1)·N ≤ (r+1)·cols, so it only overwrites rows already consumed.
    // The logits (stored after the features) go last, so they are read before any output reaches them.
    const logits = new Float32Array(K * cols);
    for (let k = 0; k < K; k++) logits.set(data.subarray((F + k) * cols, (F + k + 1) * cols), k * cols);
    for (let r = 0; r < F; r++) place(r, r);
    data.fill(0, F * N, N * N);
    for (let k = 0; k < K; k++) scatterRow(data, (N - K + k) * N, logits.subarray(k * cols, (k + 1) * cols), colToNode);
  } else {
    // Expand backward: output row `node` ≥ r starts at node·N ≥ r·cols, so from the last row down it only
    // overwrites rows already consumed (and its own, which `place` reads first).
    for (let k = K - 1; k >= 0; k--) place(F + k, N - K + k);
    data.fill(0, F * N, (N - K) * N);
    for (let r = F - 1; r >= 0; r--) place(r, r);
  }
  return data.subarray(0, N * N);
}
