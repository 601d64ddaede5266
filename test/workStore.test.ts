/**
 * The explanation work store (renderer/src/store/work/workStore.ts) driven against the real engine, in-process:
 * `createEngineService` on the embedded stories260K model and dictionary with a temporary workspace, and
 * `localClient` as the ApiClient of both the workbench store and the work store. Assertions are on what the
 * engine really answers (subgraph stats, intervention outcomes, test results, files on disk, recovery copies).
 * The pure document logic (pins, supernodes, undo) is tested in renderer/src/store/work/model.test.ts.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GraphNode } from '../shared/api';
import { createEngineService, localClient, type EngineService } from '../main/api/service';
import { recording, until } from './recordingClient';
import { createWorkbenchStore, type WorkbenchStore } from '../renderer/src/store/store';
import { isDirty } from '../renderer/src/store/work/model';
import { createWorkStore, type WorkActions, type WorkStore } from '../renderer/src/store/work/workStore';

const PROMPT = 'Once upon a time, there was a little girl named Lily';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'cwb-work-'));
let service: EngineService;

interface Setup {
  readonly client: ReturnType<typeof recording>;
  readonly main: WorkbenchStore;
  readonly work: WorkStore;
  /** The confirmation questions asked (all declined). */
  readonly asked: string[];
}

function stores(): Setup {
  const client = recording(localClient(service));
  const main = createWorkbenchStore({ client, analyzeDelayMs: 0 });
  const asked: string[] = [];
  const work = createWorkStore({ main, client, confirm: (m) => (asked.push(m), false), recoveryDelayMs: 0, statsDelayMs: 0 });
  return { client, main, work, asked };
}

/** Stores with PROMPT traced and its first view pruned. */
async function traced(): Promise<Setup> {
  const s = stores();
  s.main.getState().actions.setPrompt(PROMPT);
  await s.main.getState().actions.trace();
  await until(() => s.main.getState().pruned !== null, 'the first view');
  return s;
}

/** The graph's most influential feature nodes. */
function topFeatures(main: WorkbenchStore, n: number): GraphNode[] {
  return main
    .getState()
    .graph!.nodes.filter((x) => x.kind === 'feature')
    .sort((a, b) => b.influence - a.influence)
    .slice(0, n);
}

/** Checks the nodes and groups the checked nodes into a supernode labelled `label`. */
function group(a: WorkActions, nodes: readonly GraphNode[], label: string): void {
  for (const f of nodes) a.setChecked(f.id, true);
  a.groupChecked(label);
}

beforeAll(async () => {
  service = await createEngineService({ workspace: tmp });
});
afterAll(async () => {
  await service.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('work store on the real engine', () => {
  it('pins and groups (undoably), gets subgraph stats, keeps a recovery copy, and starts clean on a new graph', async () => {
    const { client, main, work } = await traced();
    const g = main.getState().graph!;
    const [f1, f2] = topFeatures(main, 2);
    const a = work.getState().actions;
    a.togglePin(f1.id);
    a.togglePin(f2.id);
    group(a, [f1, f2], 'say Lily');
    expect(work.getState().history.present.work.supernodes).toEqual([{ id: 'sn1', label: 'say Lily', nodeIds: [f1.id, f2.id] }]);
    expect(isDirty(work.getState().history)).toBe(true);
    a.undo();
    expect(work.getState().history.present.work.supernodes).toEqual([]);
    a.redo();
    expect(work.getState().history.present.work.supernodes).toHaveLength(1);

    await until(() => work.getState().stats !== null && !work.getState().statsLoading && client.of('subgraph.stats').at(-1)?.outcome === 'result', 'the subgraph stats');
    expect(client.of('subgraph.stats').at(-1)!.params).toEqual({ graphId: g.graphId, nodes: [f1.index, f2.index], supernodes: [{ id: 'sn1', label: 'say Lily', nodes: [f1.index, f2.index] }] });
    const sn = work.getState().stats!.groups.find((x) => x.kind === 'supernode' && x.id === 'sn1');
    expect(sn?.nodes).toEqual([f1.index, f2.index]);
    expect(sn!.inputAbs).toBeGreaterThan(0);

    await until(() => client.of('explanation.recoverySave').some((c) => c.outcome === 'result'), 'a recovery copy');
    const listed = await client.call('explanation.recoveryList', {});
    expect(listed.entries.some((e) => e.prompt === PROMPT)).toBe(true);

    // A new trace: new, clean work (the unsaved work went to a recovery copy).
    const before = client.of('explanation.recoverySave').length;
    main.getState().actions.setPrompt('Once upon a time');
    await main.getState().actions.trace();
    await until(() => main.getState().graph?.graphId !== g.graphId, 'the new graph');
    expect(work.getState().history.present.work.pinnedNodeIds).toEqual([]);
    expect(isDirty(work.getState().history)).toBe(false);
    expect(client.of('explanation.recoverySave').slice(before)[0]?.params).toMatchObject({ content: { graphId: g.graphId } });
    for (const e of (await client.call('explanation.recoveryList', {})).entries) await client.call('explanation.recoveryDiscard', { path: e.path });
  });

  it('ablating a supernode of top features really lowers the target probability; saved as a test, it runs', async () => {
    const { client, main, work } = await traced();
    const feats = topFeatures(main, 8);
    const a = work.getState().actions;
    group(a, feats, 'top features');
    a.setSubject('sn1');
    await a.runIntervention();
    const run = work.getState().lastRun;
    expect(run).not.toBeNull();
    expect(run!.request.edits[0]).toMatchObject({ type: 'group', label: 'top features', op: 'ablate' });
    expect((run!.request.edits[0] as { features: unknown[] }).features).toHaveLength(feats.length);
    const t = run!.result.target!;
    const target = run!.request.target;
    expect(target?.kind).toBe('token'); // the graph's most probable logit
    expect(t.probAfter!).toBeLessThan(t.probBefore!);
    expect(run!.result.kl).toBeGreaterThan(0);
    for (const n of run!.result.affectedNodes) expect(main.getState().graph!.nodes.some((x) => x.index === n.node && x.kind === 'feature')).toBe(true);
    expect(client.of('intervene.run')).toHaveLength(1);

    const token = (target as { token: number }).token;
    const drop = (t.probBefore! - t.probAfter!) / t.probBefore!;
    a.saveAsTest('ablating the top features', { kind: 'probDrop', token, atLeastFraction: drop / 2 });
    expect(work.getState().history.present.tests.map((x) => x.id)).toEqual(['t1']);
    await until(() => work.getState().testResults.t1 !== undefined, 'the test result');
    const r = work.getState().testResults.t1!;
    expect(r.passed).toBe(true);
    expect(r.before).toBeCloseTo(t.probBefore!, 5);
    expect(r.after).toBeCloseTo(t.probAfter!, 5);
  });

  it('patch and steer from the panel: patching from the same prompt and steering with strength 0 change nothing, real ones do', async () => {
    const { main, work } = await traced();
    const [f1, f2] = topFeatures(main, 2);
    const a = work.getState().actions;
    a.togglePin(f1.id);
    a.togglePin(f2.id);
    group(a, [f1, f2], 'pair');
    a.setSubject('sn1');
    const run = async (patch: Parameters<typeof a.setDraft>[0]) => {
      a.setDraft(patch);
      await a.runIntervention();
      return work.getState().lastRun!;
    };
    // Identities: the prompt's own feature values patched in, a zero steering vector.
    const same = await run({ op: 'patch', sourcePrompt: PROMPT });
    expect(same.request.edits).toEqual([{ type: 'patchFeatures', source: { prompt: PROMPT }, layers: [...new Set([f1.layer, f2.layer])].sort((x, y) => x - y), positions: [...new Set([f1.pos, f2.pos])].sort((x, y) => x - y) }]);
    expect(same.result.kl).toBeLessThan(1e-6);
    expect(same.result.target!.probAfter!).toBeCloseTo(same.result.target!.probBefore!, 5);
    const zero = await run({ op: 'steer', value: 0, steerAt: 'node', generate: 0 });
    expect(zero.request.edits).toHaveLength(2);
    expect(zero.result.kl).toBeLessThan(1e-9);
    // Another prompt's values (a boy, not a girl) and a strong steer do move the prediction.
    const other = await run({ op: 'patch', sourcePrompt: 'Once upon a time, there was a little boy named Tim' });
    expect(other.result.kl).toBeGreaterThan(1e-4);
    const steer = await run({ op: 'steer', value: -20, steerAt: 'all', generate: 3 });
    expect(steer.request.edits[0]).toMatchObject({ type: 'steer', strength: -20, generated: true, positions: [...Array(main.getState().graph!.nPos).keys()] });
    expect(steer.request.generate).toBe(3);
    expect(steer.result.kl).toBeGreaterThan(1e-3);
    expect(steer.result.generated?.tokens).toHaveLength(3);
  });

  it('saved views: saved and applied through the store (thresholds re-pruned), undoable, and the figure stats add tokens and logits', async () => {
    const { client, main, work } = await traced();
    const [f1, f2, f3] = topFeatures(main, 3);
    const a = work.getState().actions;
    for (const f of [f1, f2, f3]) a.togglePin(f.id);
    group(a, [f1, f2], 'pair');
    const base = { nodeThreshold: 0.8, edgeThreshold: 0.98, region: null, path: null, show: 'graph' as const };
    expect(a.saveView(base)).toBe(0);
    expect(a.saveView({ ...base, nodeThreshold: 0.5, show: 'subgraph', path: [f1.id, f3.id] }, 'Sparse')).toBe(1);
    expect(work.getState().history.present.work.views.map((v) => v.name)).toEqual(['View 1', 'Sparse']);
    a.applyView(1);
    expect(work.getState()).toMatchObject({ activeView: 1, display: 'subgraph', viewPath: { ids: [f1.id, f3.id] } });
    await until(() => main.getState().pruned?.nodeThreshold === 0.5, 'the re-prune at the view’s threshold');
    expect(a.stepView(1)).toBe(false); // the last one
    expect(a.stepView(-1)).toBe(true);
    expect(work.getState()).toMatchObject({ activeView: 0, display: 'graph', viewPath: null });
    await until(() => main.getState().pruned?.nodeThreshold === 0.8, 'back at 0.8');
    a.removeView(0);
    expect(work.getState().activeView).toBeNull();
    a.undo();
    expect(work.getState().history.present.work.views).toHaveLength(2);

    const stats = (await a.figureStats())!;
    const g = main.getState().graph!;
    const kinds = stats.groups.map((x) => (x.kind === 'supernode' ? 'supernode' : g.nodes.find((n) => n.index === x.nodes[0])!.kind));
    expect(kinds[0]).toBe('supernode');
    expect(kinds.filter((k) => k === 'token')).toHaveLength(g.tokens.length);
    expect(kinds).toContain('logit');
    expect(stats.groups.find((x) => x.id === f3.id)).toBeDefined();
    // Cached: asking again, or after renaming the supernode, does not call the engine again (the label follows).
    // (The figure's requests are the ones with the prompt's tokens in them; the pane's own stats follow the rename.)
    const figureCalls = () => client.of('subgraph.stats').filter((c) => (c.params as { nodes: number[] }).nodes.length > 3).length;
    const calls = figureCalls();
    await a.figureStats();
    a.renameSupernode('sn1', 'renamed pair');
    expect((await a.figureStats())!.groups[0].label).toBe('renamed pair');
    expect(figureCalls()).toBe(calls);
    // Only the chosen supernode (the loose pinned node stays).
    const only = (await a.figureStats(['nope']))!;
    expect(only.groups.some((x) => x.kind === 'supernode')).toBe(false);
    expect(only.groups.find((x) => x.id === f3.id)).toBeDefined();
  });

  it('saves (clean afterwards), asks before replacing unsaved work, and open restores pins, supernodes, labels and tests', async () => {
    const { main, work, asked } = await traced();
    const [f1, f2, f3] = topFeatures(main, 3);
    const a = work.getState().actions;
    group(a, [f1, f2], 'pair');
    a.togglePin(f3.id);
    a.setNodeLabel(f3.id, 'the name');
    a.setNotes('notes');
    a.setSubject(f3.id);
    await a.runIntervention();
    expect(work.getState().lastRun).not.toBeNull();
    a.saveAsTest('single', { kind: 'logitChange', token: (work.getState().lastRun!.request.target as { token: number }).token, atMost: 1e6 });
    await until(() => work.getState().testResults.t1 !== undefined, 'the test result');
    const doc = work.getState().history.present;

    const file = path.join(tmp, 'lily.circuit.json');
    expect(await a.saveTo(file)).toBe(true);
    expect(existsSync(file)).toBe(true);
    expect(isDirty(work.getState().history)).toBe(false);
    expect(work.getState().savedPath).toBe(file);

    a.togglePin(f2.id); // unsaved: unpins f2 (and takes it out of the supernode)
    await a.open();
    expect(asked).toHaveLength(1); // declined: nothing replaced
    expect(work.getState().history.present.work.pinnedNodeIds).not.toContain(f2.id);

    // Another session opens the file from the same workspace.
    const other = stores();
    expect(await other.work.getState().actions.openPath(file)).toBe(true);
    await until(() => other.main.getState().pruned !== null, 'the opened graph');
    const w = other.work.getState();
    expect(w.history.present.work).toEqual(doc.work);
    expect(w.history.present.tests.map((x) => ({ id: x.id, name: x.name, intervention: x.intervention, expectation: x.expectation }))).toEqual(
      doc.tests.map((x) => ({ id: x.id, name: x.name, intervention: x.intervention, expectation: x.expectation })),
    );
    expect(w.history.present.tests[0].result?.passed).toBe(true);
    expect(w.savedPath).toBe(file);
    expect(isDirty(w.history)).toBe(false);
    expect(other.main.getState().graph?.prompt).toBe(PROMPT);
    expect(other.main.getState().graph?.nodes.some((n) => n.id === f3.id)).toBe(true);
    expect(other.main.getState().nodeThreshold).toBe(main.getState().nodeThreshold);
  });

  it('offers recovery copies once the session is known; a restored copy is unsaved work; a discarded one is gone', async () => {
    const first = await traced();
    const [f1] = topFeatures(first.main, 1);
    first.work.getState().actions.togglePin(f1.id);
    await until(() => first.client.of('explanation.recoverySave').some((c) => c.outcome === 'result'), 'a recovery copy');

    const next = stores();
    await next.main.getState().actions.init();
    await until(() => next.work.getState().recovery.length > 0, 'the recovery offer');
    const entry = next.work.getState().recovery.find((e) => e.prompt === PROMPT)!;
    expect(entry).toMatchObject({ savedPath: null, prompt: PROMPT });
    await next.work.getState().actions.restoreRecovery(entry);
    expect(next.work.getState().recovery.some((e) => e.path === entry.path)).toBe(false);
    expect(next.work.getState().history.present.work.pinnedNodeIds).toEqual([f1.id]);
    expect(isDirty(next.work.getState().history)).toBe(true);
    expect(next.main.getState().graph?.prompt).toBe(PROMPT);

    const third = stores();
    await third.main.getState().actions.init();
    await until(() => third.work.getState().recovery.some((e) => e.path === entry.path), 'the recovery offer');
    await third.work.getState().actions.discardRecovery(entry);
    expect(third.work.getState().recovery.some((e) => e.path === entry.path)).toBe(false);
    expect((await third.client.call('explanation.recoveryList', {})).entries.some((e) => e.path === entry.path)).toBe(false);
    expect(existsSync(entry.path)).toBe(false);
  });
});
