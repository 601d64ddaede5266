/** In-place packing of stored rows into the adjacency equals a straightforward separate packing. */
import { describe, expect, it } from 'vitest';
import { RowStore, packAdjacency } from '../main/attribution/rowStore';
import { mulberry32 } from '../shared/prng';

function naive(rows: Float32Array[], featureOrder: number[], logitOrder: number[], colToNode: Int32Array, N: number): Float32Array {
  const out = new Float32Array(N * N);
  const place = (row: Float32Array, r: number) => row.forEach((v, c) => colToNode[c] >= 0 && (out[r * N + colToNode[c]] = v));
  featureOrder.forEach((slot, r) => place(rows[slot], r));
  logitOrder.forEach((slot, k) => place(rows[slot], N - logitOrder.length + k));
  return out;
}

/**
 * K logit rows (slots 0..K−1, computed first) and F feature rows in shuffled slots, each `cols` wide; F of the A
 * feature columns are kept, the `extra` error + token columns follow. `minFloats` sizes the store (N² to pack in
 * place when N > cols).
 */
function randomLayout(rand: () => number, A: number, extra: number, K: number, F: number, minFloats = 0) {
  const cols = A + extra;
  const N = F + extra + K;
  const store = new RowStore(K + F, cols, minFloats);
  const rows: Float32Array[] = [];
  for (let i = 0; i < K + F; i++) {
    const r = Float32Array.from({ length: cols }, () => (rand() < 0.5 ? 0 : rand() * 2 - 1));
    rows.push(r);
    store.add(r);
  }
  const logitSlots = Int32Array.from({ length: K }, (_, k) => k);
  const featureSlots = Int32Array.from({ length: F }, (_, i) => K + i).sort(() => rand() - 0.5);
  const selectedCols = [...Array(A).keys()].sort(() => rand() - 0.5).slice(0, F).sort((a, b) => a - b);
  const colToNode = new Int32Array(cols).fill(-1);
  selectedCols.forEach((c, n) => (colToNode[c] = n));
  for (let c = A; c < cols; c++) colToNode[c] = F + (c - A);
  const want = naive(rows, [...featureSlots], [...logitSlots], colToNode, N);
  return { cols, N, store, want, lay: { N, colToNode, featureSlots, logitSlots } };
}

describe('packAdjacency', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])('random layout %i: in place = separate', (seed) => {
    const rand = mulberry32(seed);
    const A = 30 + Math.floor(rand() * 40);
    const extra = 5 + Math.floor(rand() * 10); // error + token columns
    const K = 1 + Math.floor(rand() * 3);
    const F = Math.max(1, Math.floor(rand() * (A - K - 2)));
    const { cols, N, store, want, lay } = randomLayout(rand, A, extra, K, F);
    const got = packAdjacency(store, lay);
    expect(N <= cols).toBe(true);
    expect(got.length).toBe(N * N);
    expect(Array.from(got)).toEqual(Array.from(want));
  });
});

describe('packAdjacency, adjacency larger than the stored rows (N > cols)', () => {
  it.each([1, 2, 3, 4, 5, 6])('random layout %i: in place = separate', (seed) => {
    const rand = mulberry32(100 + seed);
    const A = 20 + Math.floor(rand() * 30);
    const extra = 5 + Math.floor(rand() * 10);
    const K = 1 + Math.floor(rand() * 6);
    // Every feature kept (identity columns) for odd seeds; else a few dropped, still N > cols.
    const F = seed % 2 ? A : A - Math.floor(rand() * Math.min(K, 3));
    const { cols, N, store, want, lay } = randomLayout(rand, A, extra, K, F, (F + extra + K) ** 2);
    expect(N > cols).toBe(true);
    const got = packAdjacency(store, lay);
    expect(got.buffer).toBe(store.data.buffer); // packed in place
    expect(got.length).toBe(N * N);
    expect(Array.from(got)).toEqual(Array.from(want));
  });
});
