import { describe, expect, it } from 'vitest';
import { diffViews, EMPTY_VIEW, viewSets } from './diff';
import { cyIds, edgeElement, edgeKey, nodeLabel } from './elements';
import { edgeStrength, edgeWeightScale, featureColor, relativeInfluence } from './scales';
import type { GraphNode } from '../../../shared/api';

const view = (nodes: number[], edges: [number, number][]) => ({ nodes, edgeSource: edges.map((e) => e[0]), edgeTarget: edges.map((e) => e[1]) });

describe('diffViews', () => {
  it('adds everything from an empty view', () => {
    const d = diffViews(EMPTY_VIEW, view([1, 2, 3], [[1, 3], [2, 3]]));
    expect(d.addNodes).toEqual([1, 2, 3]);
    expect(d.addEdges).toEqual([0, 1]);
    expect(d.removeNodes).toEqual([]);
    expect(d.removeEdges).toEqual([]);
  });

  it('removes and adds only what changed', () => {
    const prev = viewSets(view([1, 2, 3, 4], [[1, 3], [2, 3], [3, 4]]));
    const d = diffViews(prev, view([1, 3, 4, 5], [[1, 3], [3, 4], [5, 4]]));
    expect(d.addNodes).toEqual([5]);
    expect(d.removeNodes).toEqual([2]);
    expect(d.addEdges).toEqual([2]);
    expect(d.removeEdges).toEqual([edgeKey(2, 3)]);
    expect(d.next.nodes.size).toBe(4);
  });

  it('is empty for an identical view', () => {
    const v = view([1, 2], [[1, 2]]);
    const d = diffViews(viewSets(v), v);
    expect(d.addNodes.length + d.removeNodes.length + d.addEdges.length + d.removeEdges.length).toBe(0);
  });
});

describe('elements', () => {
  it('keeps ids unique even for duplicate node ids', () => {
    const ids = cyIds([{ index: 0, id: 'a' }, { index: 1, id: 'a' }, { index: 2, id: 'b' }]);
    expect(new Set(ids.values()).size).toBe(3);
    expect(ids.get(0)).toBe('a');
  });

  it('labels nodes briefly with visible whitespace', () => {
    const n = (p: Partial<GraphNode>): GraphNode => ({ index: 0, id: 'x', kind: 'feature', layer: 0, pos: 1, feature: 17, activation: 1, prob: null, influence: 0, label: 'L0 #17', ...p });
    const text = () => ' upon';
    expect(nodeLabel(n({}), text)).toBe('#17');
    expect(nodeLabel(n({ kind: 'token' }), text)).toBe('·upon');
    expect(nodeLabel(n({ kind: 'logit', label: ' Lily', prob: 0.25 }), text)).toBe('·Lily 25%');
    expect(nodeLabel(n({ kind: 'error' }), text)).toBe('');
  });

  it('colours edges by sign and sizes them by |weight|', () => {
    const ids = new Map([[1, 'a'], [2, 'b']]);
    const pos = edgeElement(1, 2, 2, ids, 4);
    const neg = edgeElement(1, 2, -0.5, ids, 4);
    expect(pos.classes).toBe('pos');
    expect(neg.classes).toBe('neg');
    expect(pos.data.aw).toBeGreaterThan(neg.data.aw);
    expect(pos.data.source).toBe('a');
    expect(edgeStrength(100, 1)).toBe(1); // clamped
  });
});

describe('scales', () => {
  it('uses a robust edge scale', () => {
    const w = Array.from({ length: 100 }, (_, i) => (i === 99 ? 1000 : i % 2 ? 1 : -1));
    expect(edgeWeightScale(w)).toBe(1);
    expect(edgeWeightScale([])).toBe(1);
  });
  it('maps influence monotonically', () => {
    expect(relativeInfluence(0.5, 0.5)).toBe(1);
    expect(relativeInfluence(0.1, 0.5)).toBeLessThan(relativeInfluence(0.2, 0.5));
    expect(relativeInfluence(1, 0)).toBe(0);
    expect(featureColor(0)).not.toBe(featureColor(1));
  });
});
