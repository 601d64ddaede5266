import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiCallError, type ApiResult, type PrunedView } from '../../../shared/api';
import { fakeClient, SESSION, TINY_GRAPH } from './fakeEngine';
import { dictionaryDir, latestOnly, nextSelection, pathQuery, toTargetChoice } from './helpers';
import { createWorkbenchStore } from './store';

const flush = () => new Promise((r) => setTimeout(r, 0));

afterEach(() => vi.useRealTimers());

describe('helpers', () => {
  it('builds target choices from the draft', () => {
    const d = { mode: 'salient' as const, token: '', contrastA: '', contrastB: '' };
    expect(toTargetChoice(d)).toEqual({ ok: true, target: { kind: 'salient' } });
    expect(toTargetChoice({ ...d, mode: 'token', token: ' Lily' })).toEqual({ ok: true, target: { kind: 'tokens', tokens: [' Lily'] } });
    expect(toTargetChoice({ ...d, mode: 'token', token: '#439' })).toEqual({ ok: true, target: { kind: 'tokens', tokens: [439] } });
    expect(toTargetChoice({ ...d, mode: 'token' }).ok).toBe(false);
    expect(toTargetChoice({ ...d, mode: 'contrast', contrastA: ' Lily', contrastB: ' Tim' })).toEqual({ ok: true, target: { kind: 'contrast', a: ' Lily', b: ' Tim' } });
    expect(toTargetChoice({ ...d, mode: 'contrast', contrastA: 'x' }).ok).toBe(false);
  });
  it('selects one node, Shift adds a second, Shift on a selected one removes it', () => {
    expect(nextSelection([1], 2, false)).toEqual([2]);
    expect(nextSelection([1], 2, true)).toEqual([1, 2]);
    expect(nextSelection([1, 2], 3, true)).toEqual([2, 3]);
    expect(nextSelection([1, 2], 1, true)).toEqual([2]);
  });
  it('asks for paths from the lower node to the higher one', () => {
    const at = (i: number) => TINY_GRAPH.nodes[i];
    expect(pathQuery([5], at, 2)).toEqual({ to: 5, from: null });
    expect(pathQuery([5, 0], at, 2)).toEqual({ to: 5, from: 0 });
    expect(pathQuery([3, 1], at, 2)).toEqual({ to: 1, from: 3 });
    expect(pathQuery([], at, 2)).toBeNull();
  });
  it('runs one request at a time and finishes with the latest value', async () => {
    const seen: number[] = [];
    const resolvers: (() => void)[] = [];
    const run = latestOnly<number>((v) => { seen.push(v); return new Promise<void>((r) => resolvers.push(r)); });
    run(1); run(2); run(3); run(4);
    expect(seen).toEqual([1]);
    resolvers.shift()!();
    await flush();
    expect(seen).toEqual([1, 4]);
    resolvers.shift()!();
    await flush();
    expect(seen).toEqual([1, 4]);
  });
  it('uses the folder of a picked dictionary config', () => {
    expect(dictionaryDir('/a/dict/config.yaml')).toBe('/a/dict');
    expect(dictionaryDir('C:\\d\\x\\config.yaml')).toBe('C:\\d\\x');
    expect(dictionaryDir('/a/dict')).toBe('/a/dict');
  });
});

describe('workbench store', () => {
  it('loads the session and analyzes the prompt, debounced while typing', async () => {
    vi.useFakeTimers();
    const client = fakeClient();
    const store = createWorkbenchStore({ client, analyzeDelayMs: 250 });
    await store.getState().actions.init();
    expect(store.getState().session?.model.name).toBe('stories260K');
    expect(store.getState().analysis?.top[0].text).toBe(' a');
    const { setPrompt } = store.getState().actions;
    setPrompt('O'); setPrompt('On'); setPrompt('Once');
    await vi.advanceTimersByTimeAsync(100);
    expect(client.calls.filter((c) => c.method === 'prompt.analyze')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(300);
    const analyses = client.calls.filter((c) => c.method === 'prompt.analyze');
    expect(analyses).toHaveLength(2);
    expect(analyses[1].params).toEqual({ prompt: 'Once' });
    expect(store.getState().analysisFor).toBe('Once');
  });

  it('traces, then prunes at the default thresholds', async () => {
    const client = fakeClient();
    const store = createWorkbenchStore({ client });
    await store.getState().actions.init();
    store.getState().actions.chooseTargetToken(' a', 10);
    expect(store.getState().target).toMatchObject({ mode: 'token', token: ' a' });
    await store.getState().actions.trace();
    await flush();
    const trace = client.calls.find((c) => c.method === 'graph.trace')!;
    expect(trace.params).toMatchObject({ target: { kind: 'tokens', tokens: [' a'] } });
    expect(store.getState().graph?.graphId).toBe('g1');
    expect(store.getState().pruned?.nodes).toEqual([0, 1, 3, 5]);
    expect(client.calls.find((c) => c.method === 'graph.prune')!.params).toEqual({ graphId: 'g1', nodeThreshold: 0.8, edgeThreshold: 0.98 });
    expect(store.getState().job).toBeNull();
  });

  it('shows trace progress and cancels through the AbortSignal', async () => {
    let signal: AbortSignal | undefined;
    const client = fakeClient({
      'graph.trace': (_p, opts) => {
        signal = opts.signal;
        opts.onProgress?.({ phase: 'attribution', done: 1, total: 4 });
        return new Promise<ApiResult<'graph.trace'>>((_, reject) => opts.signal?.addEventListener('abort', () => reject(new ApiCallError('cancelled', 'cancelled'))));
      },
    });
    const store = createWorkbenchStore({ client });
    const done = store.getState().actions.trace();
    expect(store.getState().job?.progress).toEqual({ phase: 'attribution', done: 1, total: 4 });
    store.getState().actions.cancelJob();
    expect(signal?.aborted).toBe(true);
    expect(store.getState().job).toBeNull();
    await done;
    expect(store.getState().graph).toBeNull();
    expect(store.getState().toasts.filter((t) => t.kind === 'error')).toEqual([]);
  });

  it('keeps the prompt and shows a toast when a trace fails', async () => {
    const client = fakeClient({ 'graph.trace': () => { throw new ApiCallError('user', 'prompt is 600 tokens; the context is 512'); } });
    const store = createWorkbenchStore({ client });
    store.getState().actions.setPrompt('my long prompt');
    await store.getState().actions.trace();
    expect(store.getState().prompt).toBe('my long prompt');
    expect(store.getState().toasts.at(-1)).toMatchObject({ kind: 'error', message: 'prompt is 600 tokens; the context is 512' });
    store.getState().actions.dismissToast(store.getState().toasts.at(-1)!.id);
    expect(store.getState().toasts).toEqual([]);
  });

  it('re-prunes with one request in flight and ends on the latest thresholds', async () => {
    const pending: (() => void)[] = [];
    const client = fakeClient({
      'graph.prune': (p) => new Promise<PrunedView>((resolve) => pending.push(() => resolve({ graphId: p.graphId, nodeThreshold: p.nodeThreshold, edgeThreshold: p.edgeThreshold, nodes: [], edgeSource: [], edgeTarget: [], edgeWeight: [], ms: 1 }))),
    });
    const store = createWorkbenchStore({ client });
    await store.getState().actions.trace(); // first prune now in flight
    const a = store.getState().actions;
    a.setNodeThreshold(0.5); a.setNodeThreshold(0.4); a.setEdgeThreshold(0.9);
    const prunes = () => client.calls.filter((c) => c.method === 'graph.prune').map((c) => c.params);
    expect(prunes()).toHaveLength(1);
    pending.shift()!();
    await flush();
    expect(prunes()).toHaveLength(2);
    expect(prunes()[1]).toEqual({ graphId: 'g1', nodeThreshold: 0.4, edgeThreshold: 0.9 });
    pending.shift()!();
    await flush();
    expect(store.getState().pruned).toMatchObject({ nodeThreshold: 0.4, edgeThreshold: 0.9 });
  });

  it('selects nodes, loads details and paths at the current thresholds', async () => {
    const client = fakeClient();
    const store = createWorkbenchStore({ client });
    await store.getState().actions.trace();
    await flush();
    store.getState().actions.selectNode(5);
    await flush();
    expect(store.getState().detail?.node.index).toBe(5);
    expect(client.calls.find((c) => c.method === 'graph.paths')!.params).toEqual({ graphId: 'g1', to: 5, k: 10, pruned: { nodeThreshold: 0.8, edgeThreshold: 0.98 } });
    expect(store.getState().paths?.paths).toHaveLength(1);
    store.getState().actions.selectNode(0, { additive: true });
    await flush();
    expect(client.calls.filter((c) => c.method === 'graph.paths').at(-1)!.params).toMatchObject({ to: 5, from: [0] });
    store.getState().actions.togglePinnedPath(0);
    expect(store.getState().pinnedPath).toBe(0);
    store.getState().actions.escape(); // unpins first
    expect(store.getState().pinnedPath).toBeNull();
    store.getState().actions.escape(); // then clears the selection
    expect(store.getState().selected).toEqual([]);
    expect(store.getState().paths).toBeNull();
  });

  it('uses the workspace browser without a bridge and the native dialog with one', async () => {
    const client = fakeClient({ 'graph.open': () => ({ ...TINY_GRAPH, graphId: 'g2', prompt: 'Once upon', source: { kind: 'file', path: '/ws/g.json' } }) });
    const browser = createWorkbenchStore({ client });
    await browser.getState().actions.openFile('graph');
    expect(browser.getState().fileDialog).toBe('graph');
    await browser.getState().actions.applyFile('graph', '/ws/g.json');
    expect(browser.getState().fileDialog).toBeNull();
    expect(browser.getState().graph?.graphId).toBe('g2');
    expect(browser.getState().prompt).toBe('Once upon');

    const pickFile = vi.fn(async () => '/x/dict/config.yaml');
    const nativeClient = fakeClient({ 'dictionary.open': () => SESSION });
    const native = createWorkbenchStore({ client: nativeClient, pickFile });
    await native.getState().actions.openFile('dictionary');
    expect(native.getState().fileDialog).toBeNull();
    expect(pickFile).toHaveBeenCalledOnce();
    expect(nativeClient.calls.find((c) => c.method === 'dictionary.open')!.params).toEqual({ path: '/x/dict' });
    expect(native.getState().session?.dictionary?.name).toBe('stories260K-plt');
  });

  it('exports the shown graph at the current thresholds', async () => {
    const client = fakeClient({ 'graph.export': (p) => ({ path: p.path, nodes: 4, links: 3 }) });
    const store = createWorkbenchStore({ client });
    await store.getState().actions.exportGraph();
    expect(store.getState().fileDialog).toBeNull(); // nothing to export yet
    await store.getState().actions.trace();
    await flush();
    store.getState().actions.setEdgeThreshold(0.9);
    await store.getState().actions.exportGraph();
    expect(store.getState().fileDialog).toBe('export');
    await store.getState().actions.applyFile('export', '/ws/once.json');
    expect(client.calls.find((c) => c.method === 'graph.export')!.params).toEqual({ graphId: 'g1', path: '/ws/once.json', nodeThreshold: 0.8, edgeThreshold: 0.9 });
    expect(store.getState().toasts.at(-1)?.message).toContain('/ws/once.json');

    const pickFile = vi.fn(async () => null);
    const native = createWorkbenchStore({ client: fakeClient(), pickFile });
    await native.getState().actions.trace();
    await native.getState().actions.exportGraph();
    expect(pickFile).toHaveBeenCalledWith(expect.objectContaining({ mode: 'save', defaultPath: 'once-upon.json' }));
  });

  it('leaves presentation mode with Esc', () => {
    const store = createWorkbenchStore({ client: fakeClient() });
    store.getState().actions.togglePresentation();
    expect(store.getState().presentation).toBe(true);
    store.getState().actions.escape();
    expect(store.getState().presentation).toBe(false);
  });
});
