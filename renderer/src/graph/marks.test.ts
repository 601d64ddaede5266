import { describe, expect, it } from 'vitest';
import type { GraphNode, GraphSummary } from '../../../shared/api';
import { emptyWork } from '../store/work/model';
import { indicesOfIds, markClass, marksFor, NO_MARKS } from './marks';

const n = (index: number, id: string): GraphNode => ({ index, id, kind: 'feature', layer: 0, pos: 1, feature: index, activation: 1, prob: null, influence: 0.1, label: id });

/** Indices deliberately not equal to array positions. */
const G: GraphSummary = {
  graphId: 'g1',
  source: { kind: 'trace' },
  prompt: 'a b',
  tokens: [],
  nLayers: 2,
  nPos: 3,
  nodes: [n(10, '0_5_1'), n(11, '1_7_2'), n(12, '1_9_2'), n(13, '0_3_2')],
  scores: { replacement: 0.9, completeness: 0.95 },
  activeFeatureCount: 4,
  model: null,
  dictionary: null,
  attributionMs: 1,
};

const work = (pinned: string[], supernodes: { id: string; label: string; nodeIds: string[] }[] = []) => ({ ...emptyWork().work, pinnedNodeIds: pinned, supernodes });

describe('graph marks', () => {
  it('maps node ids to the graph’s indices, in order, skipping unknown ids and duplicates', () => {
    expect(indicesOfIds(G, ['1_9_2', '0_5_1', 'nope', '1_9_2'])).toEqual([12, 10]);
    expect(indicesOfIds(null, ['0_5_1'])).toEqual([]);
    expect(markClass('supernode')).toBe('mark-supernode');
  });

  it('marks pins, supernode members and the last intervention’s affected nodes of the same graph', () => {
    const w = work(['0_5_1', '1_7_2', '1_9_2', 'gone'], [
      { id: 'sn1', label: 'a', nodeIds: ['1_7_2', 'gone'] },
      { id: 'sn2', label: 'b', nodeIds: ['1_9_2'] },
    ]);
    const run = { graphId: 'g1', affectedNodes: [{ node: 13, before: 1, after: 0 }, { node: 13, before: 1, after: 0 }, { node: 99, before: 1, after: 2 }] };
    expect(marksFor(G, { graphId: 'g1', work: w }, run)).toEqual({ pinned: [10, 11, 12], supernode: [11, 12], affected: [13] });
  });

  it('marks nothing of work or runs that belong to another graph', () => {
    const w = work(['0_5_1']);
    expect(marksFor(G, { graphId: 'g0', work: w }, { graphId: 'g0', affectedNodes: [{ node: 10, before: 1, after: 0 }] })).toEqual(NO_MARKS);
    expect(marksFor(null, { graphId: 'g1', work: w }, null)).toBe(NO_MARKS);
    expect(marksFor(G, { graphId: 'g1', work: w }, null)).toEqual({ pinned: [10], supernode: [], affected: [] });
  });
});
