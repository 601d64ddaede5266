/**
 * Computed target rows live in one buffer (slot = computation order), and packaging turns that buffer into the
 * N × N adjacency in place when the dropped feature columns make it fit. Peak memory is then the rows alone,
 * not rows + adjacency (≈ 250 MB less on a 124M-model graph of 7,500 features).
 */

export class RowStore {
  readonly data: Float32Array;
  private used = 0;

  constructor(
    readonly capacity: number,
    readonly cols: number,
  ) {
    this.data = new Float32Array(capacity * cols);
  }

  /** Copies one row in and returns its slot. */
  add(src: Float32Array): number {
    if (this.used >= this.capacity) throw new Error('row store is full');
    this.data.set(src, this.used * this.cols);
    return this.used++;
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

/** The N × N adjacency (rows = targets) from the stored rows; consumes the store when it packs in place. */
export function packAdjacency(store: RowStore, lay: PackLayout): Float32Array {
  const { N, featureSlots, logitSlots, colToNode } = lay;
  const { cols } = store;
  const F = featureSlots.length;
  const K = logitSlots.length;
  const rowsUsed = F + K;
  if (N > cols || N * N > rowsUsed * cols) {
    const adjacency = new Float32Array(N * N);
    // Every feature kept (the common all-features graph): stored columns are node columns, so rows copy whole.
    const identity = colToNode.every((n, c) => n === c);
    const put = (base: number, row: Float32Array) => (identity ? adjacency.set(row, base) : scatterRow(adjacency, base, row, colToNode));
    for (let r = 0; r < F; r++) put(r * N, store.row(featureSlots[r]));
    for (let k = 0; k < K; k++) put((N - K + k) * N, store.row(logitSlots[k]));
    return adjacency;
  }
  const data = store.data;
  const logits = new Float32Array(K * cols);
  for (let k = 0; k < K; k++) logits.set(store.row(logitSlots[k]), k * cols);
  // Permute rows in place so that slot r holds feature row r: a permutation of all used slots in which the
  // slots not taken by features (the logits') fill the destinations F.., then follow its cycles with one spare row.
  const source = new Int32Array(rowsUsed);
  const taken = new Uint8Array(rowsUsed);
  for (let r = 0; r < F; r++) {
    source[r] = featureSlots[r];
    taken[featureSlots[r]] = 1;
  }
  for (let s = 0, r = F; s < rowsUsed; s++) if (!taken[s]) source[r++] = s;
  const done = new Uint8Array(rowsUsed);
  const spare = new Float32Array(cols);
  for (let start = 0; start < rowsUsed; start++) {
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
  // Compact: output row r ends at (r+1)·N ≤ (r+1)·cols, so it only overwrites rows already consumed.
  const current = new Float32Array(cols);
  for (let r = 0; r < F; r++) {
    current.set(data.subarray(r * cols, (r + 1) * cols));
    data.fill(0, r * N, (r + 1) * N);
    scatterRow(data, r * N, current, colToNode);
  }
  data.fill(0, F * N, N * N);
  for (let k = 0; k < K; k++) scatterRow(data, (N - K + k) * N, logits.subarray(k * cols, (k + 1) * cols), colToNode);
  return data.subarray(0, N * N);
}
