import { describe, expect, it } from 'vitest';
import type { PrunedView } from '../../../shared/api';
import { buildIncidence } from './incidence';

const view = (edges: [number, number][]): PrunedView => ({
  graphId: 'g',
  nodeThreshold: 0.8,
  edgeThreshold: 0.98,
  nodes: [0, 1, 2, 3],
  edgeSource: edges.map((e) => e[0]),
  edgeTarget: edges.map((e) => e[1]),
  edgeWeight: edges.map(() => 1),
  edgeTotal: edges.length,
  ms: 0,
});

describe('buildIncidence', () => {
  it('lists each drawn edge under both of its nodes, and leaves undrawn edges out', () => {
    const v = view([[0, 2], [1, 2], [2, 3], [0, 3]]);
    const slots = Int32Array.from([0, 1, -1, 2]); // edge 2 is not drawn (capped view)
    const { start, edges } = buildIncidence(v, slots, 4);
    const of = (i: number) => [...edges.subarray(start[i], start[i + 1])].sort();
    expect(of(0)).toEqual([0, 3]);
    expect(of(1)).toEqual([1]);
    expect(of(2)).toEqual([0, 1]);
    expect(of(3)).toEqual([3]);
    // Every drawn edge appears exactly twice (once per end).
    expect(edges.length).toBe(2 * [...slots].filter((s) => s >= 0).length);
  });
  it('is empty without a view', () => {
    const r = buildIncidence(null, new Int32Array(0), 3);
    expect([...r.start]).toEqual([0, 0, 0, 0]);
    expect(r.edges.length).toBe(0);
  });
});
