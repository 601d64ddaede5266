/** The work store against a scripted ApiClient: following the graph, undo/redo, dirty state, save/open, recovery. */
import { describe, expect, it } from 'vitest';
import type { ApiClient, ApiMethod, GraphNode, GraphSummary } from '../../../../shared/api';
import { createWorkbenchStore } from '../store';
import { isDirty } from './model';
import { createWorkStore } from './workStore';

const flush = () => new Promise((r) => setTimeout(r, 0));

const node = (index: number, id: string, kind: GraphNode['kind'], layer: number, feature: number | null): GraphNode => ({ index, id, kind, layer, pos: 2, feature, activation: 1, prob: kind === 'logit' ? 0.9 : null, influence: 0.1, label: id });
const graph = (graphId: string): GraphSummary => ({
  graphId,
  source: { kind: 'trace' },
  prompt: 'a b',
  tokens: [],
  nLayers: 2,
  nPos: 3,
  nodes: [node(0, '0_5_2', 'feature', 0, 5), node(1, '1_7_2', 'feature', 1, 7), node(2, 'E_9_2', 'token', -1, null), node(3, '3_42_2', 'logit', 2, null)],
  scores: { replacement: 0.9, completeness: 0.95 },
  activeFeatureCount: 2,
  model: null,
  dictionary: null,
  attributionMs: 1,
});

function setup(answers: Partial<Record<ApiMethod, (p: never) => unknown>> = {}) {
  const calls: { method: string; params: unknown }[] = [];
  const client: ApiClient = {
    call: (method, params) => {
      calls.push({ method, params });
      const f = answers[method] as ((p: unknown) => unknown) | undefined;
      if (f) return Promise.resolve(f(params)) as never;
      if (method === 'graph.prune') return Promise.resolve({ graphId: 'g', nodeThreshold: 0.8, edgeThreshold: 0.98, nodes: [], edgeSource: [], edgeTarget: [], edgeWeight: [], edgeTotal: 0, ms: 1 }) as never;
      return Promise.resolve({}) as never;
    },
  };
  const main = createWorkbenchStore({ client, analyzeDelayMs: 0 });
  const asked: string[] = [];
  const work = createWorkStore({ main, client, confirm: (m) => (asked.push(m), false), recoveryDelayMs: 0, statsDelayMs: 0 });
  return { main, work, calls, asked };
}

describe('work store', () => {
  it('pins, groups, undoes and redoes, and starts clean on a new graph', async () => {
    const { main, work, calls } = setup();
    main.getState().actions.showGraph(graph('g1'), null);
    const a = work.getState().actions;
    a.togglePin('0_5_2');
    a.togglePin('1_7_2');
    a.setChecked('0_5_2', true);
    a.setChecked('1_7_2', true);
    a.groupChecked('say b');
    expect(work.getState().history.present.work.supernodes).toEqual([{ id: 'sn1', label: 'say b', nodeIds: ['0_5_2', '1_7_2'] }]);
    expect(isDirty(work.getState().history)).toBe(true);
    a.undo();
    expect(work.getState().history.present.work.supernodes).toEqual([]);
    a.redo();
    expect(work.getState().history.present.work.supernodes).toHaveLength(1);
    await flush();
    await flush();
    const stats = calls.filter((c) => c.method === 'subgraph.stats').at(-1)!.params;
    expect(stats).toEqual({ graphId: 'g1', nodes: [0, 1], supernodes: [{ id: 'sn1', label: 'say b', nodes: [0, 1] }] });
    expect(calls.some((c) => c.method === 'explanation.recoverySave')).toBe(true);
    const before = calls.length;
    main.getState().actions.showGraph(graph('g2'), null);
    // The unsaved work of g1 is written as a recovery copy at once.
    expect(calls.slice(before).find((c) => c.method === 'explanation.recoverySave')?.params).toMatchObject({ content: { graphId: 'g1' } });
    expect(work.getState().history.present.work.pinnedNodeIds).toEqual([]);
    expect(isDirty(work.getState().history)).toBe(false);
  });

  it('builds the intervention for a supernode and saves it as a test that is run', async () => {
    const run = { graphId: 'g1', mode: 'frozen', before: { top: [] }, after: { top: [] }, targets: [], target: null, kl: 0.1, applied: [], affectedNodes: [], generated: null, warnings: [] };
    const { main, work, calls } = setup({ 'intervene.run': () => run, 'test.run': () => ({ passed: true, before: 0.9, after: 0.1, ranAt: '2026-01-01T00:00:00.000Z' }) });
    main.getState().actions.showGraph(graph('g1'), null);
    const a = work.getState().actions;
    a.setChecked('0_5_2', true);
    a.setChecked('1_7_2', true);
    a.groupChecked('say b');
    a.setSubject('sn1');
    await a.runIntervention();
    const req = calls.find((c) => c.method === 'intervene.run')!.params as { intervention: unknown };
    expect(req.intervention).toEqual({
      edits: [{ type: 'group', label: 'say b', op: 'ablate', features: [{ layer: 0, feature: 5, pos: 2 }, { layer: 1, feature: 7, pos: 2 }], errors: [] }],
      mode: 'frozen',
      target: { kind: 'token', token: 42 },
      topK: 10,
      generate: 0,
      topFeatures: 10,
    });
    a.saveAsTest('t', { kind: 'probDrop', token: 42, atLeastFraction: 0.5 });
    await flush();
    expect(work.getState().history.present.tests.map((t) => t.id)).toEqual(['t1']);
    expect(work.getState().testResults.t1?.passed).toBe(true);
  });

  it('saves (clean afterwards), asks before replacing unsaved work, and restores an opened explanation', async () => {
    const saved = { work: { pinnedNodeIds: ['0_5_2'], supernodes: [], nodeLabels: { '0_5_2': 'x' }, notes: 'n', views: [] }, tests: [] };
    const { main, work, calls, asked } = setup({
      'explanation.save': (p: { path: string }) => ({ path: p.path, rawPath: null, nodes: 4, links: 0 }),
      'explanation.open': (p: { path: string }) => ({ path: p.path, explanation: { ...saved, attribution: { nodeThreshold: 0.5, edgeThreshold: 0.9, maxFeatureNodes: null, batchSize: 1 } }, graph: graph('g9'), graphFrom: 'raw', warnings: [] }),
    });
    main.getState().actions.showGraph(graph('g1'), null);
    const a = work.getState().actions;
    a.togglePin('1_7_2');
    expect(await a.saveTo('/ws/x.circuit.json')).toBe(true);
    expect(isDirty(work.getState().history)).toBe(false);
    expect(work.getState().savedPath).toBe('/ws/x.circuit.json');
    expect((calls.find((c) => c.method === 'explanation.save')!.params as { work: unknown }).work).toMatchObject({ pinnedNodeIds: ['1_7_2'] });
    a.togglePin('0_5_2');
    await a.open();
    expect(asked).toHaveLength(1); // declined: nothing replaced
    expect(work.getState().history.present.work.pinnedNodeIds).toEqual(['1_7_2', '0_5_2']);
    expect(await a.openPath('/ws/y.circuit.json')).toBe(true);
    expect(main.getState().graph?.graphId).toBe('g9');
    expect(main.getState().nodeThreshold).toBe(0.5);
    expect(work.getState().history.present.work).toEqual(saved.work);
    expect(work.getState().savedPath).toBe('/ws/y.circuit.json');
    expect(isDirty(work.getState().history)).toBe(false);
  });

  it('offers recovery copies once the session is known, and a restored copy is unsaved work of its saved file', async () => {
    const entry = { path: '/ws/.cwb/recovery/saved-1.circuit.json', savedPath: '/ws/x.circuit.json', prompt: 'a b', modifiedAt: '2026-01-01T00:00:00.000Z', savedModifiedAt: null };
    const doc = { work: { pinnedNodeIds: ['0_5_2'], supernodes: [], nodeLabels: {}, notes: '', views: [] }, tests: [] };
    const { main, work, calls } = setup({
      'explanation.recoveryList': () => ({ dir: '/ws/.cwb/recovery', entries: [entry] }),
      'explanation.open': (p: { path: string }) => ({ path: p.path, explanation: { ...doc, attribution: { nodeThreshold: 0.8, edgeThreshold: 0.98, maxFeatureNodes: null, batchSize: 1 } }, graph: graph('g3'), graphFrom: 'raw', warnings: [] }),
    });
    main.setState({ session: { apiVersion: 1 } as never });
    await flush();
    expect(work.getState().recovery).toEqual([entry]);
    await work.getState().actions.restoreRecovery(entry);
    expect(calls.find((c) => c.method === 'explanation.open')!.params).toEqual({ path: entry.path });
    expect(work.getState().recovery).toEqual([]);
    expect(work.getState().savedPath).toBe('/ws/x.circuit.json');
    expect(isDirty(work.getState().history)).toBe(true);
    expect(work.getState().history.present.work.pinnedNodeIds).toEqual(['0_5_2']);
  });
});
