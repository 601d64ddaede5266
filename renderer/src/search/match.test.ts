import { describe, expect, it } from 'vitest';
import type { GraphNode } from '../../../shared/api';
import { searchNodes } from './match';

const mk = (index: number, p: Partial<GraphNode>): GraphNode => ({
  index, id: `n${index}`, kind: 'feature', layer: 0, pos: 0, feature: null, activation: null, prob: null, influence: 0, label: '', ...p,
});
const tokens = [{ id: 1, text: '' }, { id: 403, text: 'Once' }, { id: 407, text: ' upon' }];
const nodes = [
  mk(0, { kind: 'feature', layer: 2, pos: 1, feature: 17, label: 'L2 #17', id: '2_17_1', influence: 0.1 }),
  mk(1, { kind: 'feature', layer: 1, pos: 2, feature: 17, label: 'L1 #17', id: '1_17_2', influence: 0.3 }),
  mk(2, { kind: 'feature', layer: 2, pos: 2, feature: 170, label: 'L2 #170', id: '2_170_2', influence: 0.9 }),
  mk(3, { kind: 'error', layer: 2, pos: 1, label: 'err L2', id: '2_-1_1' }),
  mk(4, { kind: 'token', layer: -1, pos: 1, label: 'Once', id: 'E_403_1' }),
  mk(5, { kind: 'token', layer: -1, pos: 2, label: ' upon', id: 'E_407_2' }),
  mk(6, { kind: 'logit', layer: 3, pos: 2, label: ' once', id: '3_99_2', prob: 0.2 }),
];
const all = new Set(nodes.map((n) => n.index));
const ids = (q: string, visible: ReadonlySet<number> = all) => searchNodes(nodes, tokens, q, visible).map((r) => r.node.index);

describe('searchNodes', () => {
  it('finds a feature by layer and index', () => {
    expect(ids('L2 #17')[0]).toBe(0);
    expect(ids('l2#17')[0]).toBe(0);
  });
  it('finds features by bare index, exact before substring', () => {
    const r = ids('17');
    expect(r.slice(0, 2).sort()).toEqual([0, 1]);
    expect(r).toContain(2); // "L2 #170" contains 17
    expect(r.indexOf(2)).toBeGreaterThan(1);
  });
  it('finds tokens and logits by text, case- and whitespace-insensitively', () => {
    expect(ids('once').sort()).toEqual([4, 6]);
    expect(ids('upon')).toEqual([5]);
  });
  it('finds by node id and error label', () => {
    expect(ids('2_170_2')[0]).toBe(2);
    expect(ids('err')).toEqual([3]);
  });
  it('lists visible nodes before hidden ones', () => {
    const r = searchNodes(nodes, tokens, '17', new Set([1]));
    expect(r[0].node.index).toBe(1);
    expect(r[0].visible).toBe(true);
    expect(r[1].visible).toBe(false);
  });
  it('returns nothing for a blank query', () => {
    expect(ids('  ')).toEqual([]);
  });
});
