/**
 * The renderer's workbench store driven against the real engine, in-process: `createEngineService` on the
 * embedded stories260K model and dictionary with a temporary workspace, and `localClient` as the store's
 * ApiClient (the same envelope protocol as the WebSocket and IPC transports). The client is wrapped only to
 * record what the store asked for and how the engine answered. Pure store logic is tested beside it
 * (renderer/src/store/store.test.ts).
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEFAULT_EDGE_THRESHOLD, DEFAULT_NODE_THRESHOLD } from '../shared/api';
import { STORY } from '../bench/story';
import { createEngineService, localClient, type EngineService } from '../main/api/service';
import { recording, until } from './recordingClient';
import { embeddedDictionaryPath, embeddedModelPath } from '../main/paths';

const repoFixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
import { MAX_VIEW_EDGES } from '../renderer/src/store/actions/graph';
import { createWorkbenchStore, type WorkbenchStore } from '../renderer/src/store/store';

const PROMPT = 'Once upon a time';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'cwb-store-'));
let service: EngineService;

function newStore(opts: { pickFile?: Parameters<typeof createWorkbenchStore>[0]['pickFile']; analyzeDelayMs?: number } = {}) {
  const client = recording(localClient(service));
  const store = createWorkbenchStore({ client, analyzeDelayMs: opts.analyzeDelayMs ?? 30, ...(opts.pickFile ? { pickFile: opts.pickFile } : {}) });
  return { client, store };
}

/** A store with PROMPT traced (salient logits) and its first view pruned. */
async function traced(): Promise<{ client: ReturnType<typeof recording>; store: WorkbenchStore }> {
  const { client, store } = newStore();
  store.getState().actions.setPrompt(PROMPT);
  await store.getState().actions.trace();
  await until(() => store.getState().pruned !== null, 'the first view');
  return { client, store };
}

beforeAll(async () => {
  service = await createEngineService({ workspace: tmp });
});
afterAll(async () => {
  await service.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('workbench store on the real engine', () => {
  it('loads the session and analyzes the prompt, debounced while typing', async () => {
    const { client, store } = newStore({ analyzeDelayMs: 80 });
    await store.getState().actions.init();
    expect(store.getState().session?.model).toMatchObject({ name: 'stories260K', embedded: true });
    expect(store.getState().session?.dictionary?.name).toBe('stories260K-plt');
    expect(store.getState().analysis?.top.length).toBeGreaterThan(0);
    const { setPrompt } = store.getState().actions;
    setPrompt('O');
    setPrompt('On');
    setPrompt('Once');
    await new Promise((r) => setTimeout(r, 20));
    expect(client.of('prompt.analyze')).toHaveLength(1);
    await until(() => store.getState().analysisFor === 'Once', 'the debounced analysis');
    expect(client.of('prompt.analyze')).toHaveLength(2);
    expect(client.of('prompt.analyze')[1].params).toEqual({ prompt: 'Once' });
    expect(store.getState().analysis?.tokens.map((t) => t.id)).toEqual([1, 403]);
  });

  it('traces a chosen target, then prunes at the default thresholds with the edge cap', async () => {
    const { client, store } = newStore();
    store.getState().actions.setPrompt(PROMPT);
    await until(() => store.getState().analysisFor === PROMPT, 'the analysis');
    const top = store.getState().analysis!.top[0];
    store.getState().actions.chooseTargetToken(top.text, top.id);
    expect(store.getState().target).toMatchObject({ mode: 'token' });
    await store.getState().actions.trace();
    await until(() => store.getState().pruned !== null, 'the first view');
    const trace = client.of('graph.trace')[0];
    expect(trace.params).toEqual({ prompt: PROMPT, target: { kind: 'tokens', tokens: [top.text] } }); // no maxFeatureNodes: every feature
    const s = store.getState();
    expect(s.graph?.prompt).toBe(PROMPT);
    expect(s.graph?.nodes.some((n) => n.kind === 'logit' && n.label === top.text)).toBe(true);
    expect(client.of('graph.prune')[0].params).toEqual({ graphId: s.graph!.graphId, nodeThreshold: DEFAULT_NODE_THRESHOLD, edgeThreshold: DEFAULT_EDGE_THRESHOLD, maxEdges: MAX_VIEW_EDGES });
    expect(s.pruned!.nodes.length).toBeGreaterThan(0);
    expect(s.pruned!.edgeTotal).toBe(s.pruned!.edgeSource.length); // far below the cap
    expect(s.job).toBeNull();
  });

  it('passes "Max features" to the engine only when set', async () => {
    const { client, store } = newStore();
    const a = store.getState().actions;
    a.setPrompt(PROMPT);
    a.setMaxFeatures(5);
    await a.trace();
    expect(client.of('graph.trace')[0].params).toMatchObject({ maxFeatureNodes: 5 });
    expect(store.getState().graph!.nodes.filter((n) => n.kind === 'feature').length).toBeLessThanOrEqual(5);
    a.setMaxFeatures(0);
    expect(store.getState().maxFeatures).toBeNull();
    a.setMaxFeatures(null);
    await a.trace();
    expect(client.of('graph.trace')[1].params).not.toHaveProperty('maxFeatureNodes');
  });

  it('shows trace progress and cancels through the AbortSignal; the engine answers "cancelled"', async () => {
    const { client, store } = newStore();
    const a = store.getState().actions;
    a.setPrompt(STORY);
    const done = a.trace();
    await until(() => store.getState().job?.progress != null, 'trace progress');
    expect(store.getState().job).toMatchObject({ kind: 'trace' });
    a.cancelJob();
    expect(store.getState().job).toBeNull();
    await done;
    await until(() => client.of('graph.trace')[0].outcome !== 'pending', "the engine's answer");
    expect(client.of('graph.trace')[0].outcome).toBe('cancelled');
    expect(store.getState().graph).toBeNull();
    expect(store.getState().toasts.filter((t) => t.kind === 'error')).toEqual([]);
    expect(store.getState().toasts.at(-1)?.message).toBe('Cancelled.');
  });

  it('keeps the prompt and shows the engine\'s message when a trace fails', async () => {
    const { store } = newStore();
    const long = 'a '.repeat(700);
    store.getState().actions.setPrompt(long);
    await store.getState().actions.trace();
    expect(store.getState().prompt).toBe(long);
    const toast = store.getState().toasts.at(-1)!;
    expect(toast.kind).toBe('error');
    expect(toast.message).toMatch(/the prompt is \d+ tokens; the model's context is 512/);
    store.getState().actions.dismissToast(toast.id);
    expect(store.getState().toasts).toEqual([]);
  });

  it('re-prunes with one request in flight and ends on the latest thresholds', async () => {
    const { client, store } = newStore();
    const a = store.getState().actions;
    a.setPrompt(PROMPT);
    await a.trace(); // the first prune is now in flight
    a.setNodeThreshold(0.5);
    a.setNodeThreshold(0.4);
    a.setEdgeThreshold(0.9);
    await until(() => store.getState().pruned?.nodeThreshold === 0.4 && store.getState().pruned?.edgeThreshold === 0.9, 'the latest view');
    const prunes = client.of('graph.prune').map((c) => c.params);
    expect(prunes).toHaveLength(2);
    expect(prunes[1]).toEqual({ graphId: store.getState().graph!.graphId, nodeThreshold: 0.4, edgeThreshold: 0.9, maxEdges: MAX_VIEW_EDGES });
  });

  it('selects nodes, loads details and paths at the current thresholds', async () => {
    const { client, store } = await traced();
    const g = store.getState().graph!;
    const shown = new Set(store.getState().pruned!.nodes);
    const logit = g.nodes.find((n) => n.kind === 'logit' && shown.has(n.index))!;
    store.getState().actions.selectNode(logit.index);
    await until(() => store.getState().detail?.node.index === logit.index && store.getState().paths?.loading === false, 'details and paths');
    expect(client.of('graph.paths')[0].params).toEqual({ graphId: g.graphId, to: logit.index, k: 10, pruned: { nodeThreshold: DEFAULT_NODE_THRESHOLD, edgeThreshold: DEFAULT_EDGE_THRESHOLD } });
    const paths = store.getState().paths!.paths!;
    expect(paths.length).toBeGreaterThan(0);
    expect(paths[0].nodes.at(-1)).toBe(logit.index);
    const source = paths[0].nodes[0];
    store.getState().actions.selectNode(source, { additive: true });
    await until(() => store.getState().paths?.loading === false && store.getState().paths?.from === source, 'paths between two nodes');
    expect(client.of('graph.paths').at(-1)!.params).toMatchObject({ to: logit.index, from: [source] });
    store.getState().actions.togglePinnedPath(0);
    expect(store.getState().pinnedPath).toBe(0);
    store.getState().actions.escape(); // unpins first
    expect(store.getState().pinnedPath).toBeNull();
    store.getState().actions.escape(); // then clears the selection
    expect(store.getState().selected).toEqual([]);
    expect(store.getState().paths).toBeNull();
  });

  it('exports the shown graph at the current thresholds and opens it again from the workspace browser', async () => {
    const { client, store } = await traced();
    store.getState().actions.setEdgeThreshold(0.9);
    await store.getState().actions.exportGraph();
    expect(store.getState().fileDialog).toBe('export'); // no bridge: the workspace browser
    const file = path.join(tmp, 'once.json');
    await store.getState().actions.applyFile('export', file);
    expect(client.of('graph.export')[0].params).toEqual({ graphId: store.getState().graph!.graphId, path: file, nodeThreshold: DEFAULT_NODE_THRESHOLD, edgeThreshold: 0.9 });
    expect(store.getState().toasts.at(-1)?.message).toContain(file);
    expect(existsSync(file)).toBe(true);
    expect(JSON.parse(readFileSync(file, 'utf8')).metadata.prompt).toBe(PROMPT);

    const other = newStore();
    await other.store.getState().actions.openFile('graph');
    expect(other.store.getState().fileDialog).toBe('graph');
    await other.store.getState().actions.applyFile('graph', file);
    await until(() => other.store.getState().pruned !== null, 'the opened graph');
    expect(other.store.getState().fileDialog).toBeNull();
    expect(other.store.getState().graph?.source).toEqual({ kind: 'file', path: file });
    expect(other.store.getState().prompt).toBe(PROMPT); // the prompt box follows the opened graph
  });

  it('uses the native dialogs when the host has them', async () => {
    const pickDictionary = vi.fn(async () => path.join(embeddedDictionaryPath, 'config.yaml'));
    const { client, store } = newStore({ pickFile: pickDictionary });
    await store.getState().actions.openFile('dictionary');
    expect(store.getState().fileDialog).toBeNull();
    expect(pickDictionary).toHaveBeenCalledOnce();
    expect(client.of('dictionary.open')[0].params).toEqual({ path: embeddedDictionaryPath }); // the config's folder
    expect(store.getState().session?.dictionary?.name).toBe('stories260K-plt');

    const pickNothing = vi.fn(async () => null);
    const native = newStore({ pickFile: pickNothing });
    native.store.getState().actions.setPrompt(PROMPT);
    await native.store.getState().actions.trace();
    await native.store.getState().actions.exportGraph();
    expect(pickNothing).toHaveBeenCalledWith(expect.objectContaining({ mode: 'save', defaultPath: 'once-upon-a-time.json' }));
    expect(native.client.of('graph.export')).toEqual([]); // cancelled dialog: nothing written
  });

  it('opens a Hugging Face model folder picked by its config.json', async () => {
    const dir = path.join(tmp, 'tiny-llama');
    cpSync(path.join(repoFixtures, 'hf', 'tiny-llama'), dir, { recursive: true });
    const pick = vi.fn(async () => path.join(dir, 'config.json'));
    const { client, store } = newStore({ pickFile: pick });
    await store.getState().actions.init();
    await store.getState().actions.openFile('model');
    expect(client.of('model.open')[0].params).toEqual({ path: dir }); // the folder, not the file
    expect(store.getState().session?.model.name).toBe('tiny-llama');
    // Back to the embedded model for the other tests.
    await client.call('model.open', { path: embeddedModelPath });
  });

  it('leaves presentation mode with Esc', () => {
    const { store } = newStore();
    store.getState().actions.togglePresentation();
    expect(store.getState().presentation).toBe(true);
    store.getState().actions.escape();
    expect(store.getState().presentation).toBe(false);
  });
});
