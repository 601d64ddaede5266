/**
 * The engine service on the real embedded model and dictionary: tracing (progress, cancel), re-pruning, node
 * details with feature cards, paths, export → open, and the error codes. Graph answers are checked against an
 * AttributionGraph computed independently with attributeGraph (attribution is deterministic).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiCallError, type ApiClient, type EngineMessage, type GraphSummary } from '../../shared/api';
import { graphLayout, type AttributionGraph } from '../../shared/graph';
import { attributeGraph } from '../attribution/attribute';
import { loadDictionary } from '../dictionary/format';
import { nodeIdsOf } from '../graph/nodeIds';
import { writeRawGraph } from '../graph/rawGraph';
import { loadModel } from '../model/load';
import { embeddedDictionaryPath } from '../paths';
import { createEngineService, localClient, type EngineService } from './service';

const PROMPT = 'Once upon a time';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'cwb-service-'));
let service: EngineService;
let api: ApiClient;
let g: AttributionGraph;
let traced: GraphSummary;
let progress: { phase: string; done: number; total: number }[];

const codeOf = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ApiCallError);
    return (e as ApiCallError).code;
  }
  throw new Error('the call succeeded');
};

/** Raw envelope exchange: every message the service emits for one handle() call, until result or error. */
function exchange(raw: unknown, onMessage: (m: EngineMessage) => void = () => undefined): Promise<EngineMessage[]> {
  return new Promise((resolve) => {
    const seen: EngineMessage[] = [];
    const emit = (m: EngineMessage) => {
      seen.push(m);
      onMessage(m);
      if (m.type !== 'progress') resolve(seen);
    };
    service.handle(raw, emit);
    setTimeout(() => resolve(seen), 100); // envelopes without a readable id get no answer
  });
}

beforeAll(async () => {
  service = await createEngineService({ workspace: tmp });
  api = localClient(service);
  const { spec, tokenizer } = await loadModel();
  const dict = await loadDictionary(embeddedDictionaryPath);
  g = await attributeGraph(spec, dict, tokenizer, tokenizer.encode(PROMPT, { bos: true }), { targets: { kind: 'salient' }, prompt: PROMPT });
  progress = [];
  traced = await api.call('graph.trace', { prompt: PROMPT, target: { kind: 'salient' } }, { onProgress: (p) => progress.push(p) });
});
afterAll(async () => {
  await service.close();
  rmSync(tmp, { recursive: true, force: true });
});

const A = (t: number, s: number) => g.adjacency[t * graphLayout(g).N + s];

describe('engine service', () => {
  it('reports the session: embedded model and dictionary with its feature index', async () => {
    const info = await api.call('session.info', {});
    expect(info.workspace).toBe(path.resolve(tmp));
    expect(info.model).toMatchObject({ name: 'stories260K', embedded: true, nLayers: 5, vocabSize: 512 });
    expect(info.dictionary).toMatchObject({ name: 'stories260K-plt', embedded: true, kind: 'plt', hasFeatureIndex: true });
  });

  it('analyzes a prompt: tokens and the top-10 next tokens', async () => {
    const a = await api.call('prompt.analyze', { prompt: PROMPT });
    expect(a.tokens.map((t) => t.id)).toEqual([1, 403, 407, 261, 378]);
    expect(a.top).toHaveLength(10);
    expect(a.top[0].text).toBe(',');
    for (let i = 1; i < a.top.length; i++) expect(a.top[i].prob).toBeLessThanOrEqual(a.top[i - 1].prob);
  });

  it('traces a prompt with progress events: all four node kinds, unique ids equal to the graph JSON ids', () => {
    expect(progress.length).toBeGreaterThan(0);
    expect(progress[0]).toMatchObject({ phase: 'forward' });
    expect(new Set(traced.nodes.map((n) => n.kind))).toEqual(new Set(['token', 'feature', 'error', 'logit']));
    const ids = traced.nodes.map((n) => n.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(nodeIdsOf(g));
    expect(traced.nodes.every((n, i) => n.index === i)).toBe(true);
    expect(traced.tokens.map((t) => t.text)).toEqual(g.tokenTexts);
    const total = traced.nodes.reduce((s, n) => s + n.influence, 0);
    expect(total).toBeCloseTo(1, 6);
    expect(traced.nodes.filter((n) => n.kind === 'logit').every((n) => n.influence === 0 && n.prob !== null)).toBe(true);
    const f = traced.nodes.find((n) => n.kind === 'feature')!;
    expect(f.label).toBe(`L${f.layer} #${f.feature}`);
    expect(traced.nodes.find((n) => n.kind === 'error')!.label).toMatch(/^err L\d$/);
    expect(traced.scores.replacement).toBeGreaterThan(0);
    expect(traced.activeFeatureCount).toBe(g.activeFeatureCount);
  });

  it('cancels a trace mid-way', async () => {
    const abort = new AbortController();
    const code = await codeOf(api.call('graph.trace', { prompt: PROMPT, target: { kind: 'salient' } }, { signal: abort.signal, onProgress: () => abort.abort() }));
    expect(code).toBe('cancelled');
  });

  it('prunes: more nodes as the node threshold rises; kept edges join kept nodes with their adjacency weight', async () => {
    let previous = 0;
    for (const t of [0, 0.2, 0.4, 0.6, 0.8, 0.9, 0.95, 1]) {
      const v = await api.call('graph.prune', { graphId: traced.graphId, nodeThreshold: t, edgeThreshold: 0.98 });
      expect(v.nodes.length).toBeGreaterThanOrEqual(previous);
      previous = v.nodes.length;
      const kept = new Set(v.nodes);
      expect(v.edgeSource).toHaveLength(v.edgeWeight.length);
      expect(v.edgeTarget).toHaveLength(v.edgeWeight.length);
      v.edgeWeight.forEach((w, i) => {
        expect(kept.has(v.edgeSource[i]) && kept.has(v.edgeTarget[i])).toBe(true);
        expect(w).toBe(A(v.edgeTarget[i], v.edgeSource[i]));
        expect(w).not.toBe(0);
      });
    }
    expect(previous).toBeGreaterThan(10);
  });

  it('prunes with maxEdges: the strongest edges by |weight|, and how many were kept in all', async () => {
    const full = await api.call('graph.prune', { graphId: traced.graphId, nodeThreshold: 0.9, edgeThreshold: 0.98 });
    expect(full.edgeTotal).toBe(full.edgeWeight.length);
    const k = Math.floor(full.edgeTotal / 3);
    const capped = await api.call('graph.prune', { graphId: traced.graphId, nodeThreshold: 0.9, edgeThreshold: 0.98, maxEdges: k });
    expect(capped.nodes).toEqual(full.nodes);
    expect(capped.edgeTotal).toBe(full.edgeTotal);
    expect(capped.edgeWeight).toHaveLength(k);
    const weakestKept = Math.min(...capped.edgeWeight.map(Math.abs));
    const key = (s: number, t: number) => `${s}>${t}`;
    const keptKeys = new Set(capped.edgeSource.map((s, i) => key(s, capped.edgeTarget[i])));
    full.edgeWeight.forEach((w, i) => {
      if (!keptKeys.has(key(full.edgeSource[i], full.edgeTarget[i]))) expect(Math.abs(w)).toBeLessThanOrEqual(weakestKept);
    });
    capped.edgeWeight.forEach((w, i) => expect(w).toBe(A(capped.edgeTarget[i], capped.edgeSource[i])));
    const uncapped = await api.call('graph.prune', { graphId: traced.graphId, nodeThreshold: 0.9, edgeThreshold: 0.98, maxEdges: full.edgeTotal });
    expect(uncapped.edgeWeight).toEqual(full.edgeWeight);
  });

  it('node details: inputs and outputs are the strongest adjacency entries; a feature comes with its card', async () => {
    const N = graphLayout(g).N;
    const top = (entries: { node: number; weight: number }[], k: number) => entries.filter((e) => e.weight !== 0).sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight) || a.node - b.node).slice(0, k);
    const feature = traced.nodes.filter((n) => n.kind === 'feature').sort((a, b) => b.influence - a.influence)[0];
    for (const node of [feature.index, traced.nodes.find((n) => n.kind === 'logit')!.index]) {
      const d = await api.call('graph.node', { graphId: traced.graphId, node, k: 5 });
      const row = Array.from({ length: N }, (_, s) => ({ node: s, weight: A(node, s) }));
      expect(d.inputs.map((l) => [l.node, l.weight])).toEqual(top(row, 5).map((e) => [e.node, e.weight]));
      const rowSum = row.reduce((s, e) => s + Math.abs(e.weight), 0);
      d.inputs.forEach((l) => expect(l.share).toBeCloseTo(Math.abs(l.weight) / rowSum, 6));
      const column = Array.from({ length: N }, (_, t) => ({ node: t, weight: A(t, node) }));
      expect(d.outputs.map((l) => [l.node, l.weight])).toEqual(top(column, 5).map((e) => [e.node, e.weight]));
    }
    const d = await api.call('graph.node', { graphId: traced.graphId, node: feature.index });
    expect(d.node).toEqual(feature);
    expect(d.cardNote).toBeNull();
    expect(d.card).toMatchObject({ layer: feature.layer, feature: feature.feature });
    expect(d.card!.topContexts.length).toBeGreaterThan(0);
    const tokenNode = await api.call('graph.node', { graphId: traced.graphId, node: traced.nodes.find((n) => n.kind === 'token')!.index });
    expect(tokenNode.card).toBeNull();
    expect(tokenNode.inputs).toEqual([]);
  });

  it('paths end at the logit, start at tokens, and carry the adjacency weights', async () => {
    const logit = traced.nodes.find((n) => n.kind === 'logit')!.index;
    const paths = await api.call('graph.paths', { graphId: traced.graphId, to: logit, k: 5 });
    expect(paths.length).toBe(5);
    for (const p of paths) {
      expect(p.nodes.at(-1)).toBe(logit);
      expect(traced.nodes[p.nodes[0]].kind).toBe('token');
      p.edges.forEach((e, i) => {
        expect([e.source, e.target]).toEqual([p.nodes[i], p.nodes[i + 1]]);
        expect(e.weight).toBe(A(e.target, e.source));
      });
      expect(p.score).toBeCloseTo(p.edges.reduce((s, e) => s * e.share, 1), 12);
    }
    for (let i = 1; i < paths.length; i++) expect(paths[i].score).toBeLessThanOrEqual(paths[i - 1].score);
    // Restricted to the pruned graph, every edge is one the prune kept.
    const pruned = { nodeThreshold: 0.8, edgeThreshold: 0.98 };
    const v = await api.call('graph.prune', { graphId: traced.graphId, ...pruned });
    const kept = new Set(v.edgeSource.map((s, i) => `${s}>${v.edgeTarget[i]}`));
    const inPruned = await api.call('graph.paths', { graphId: traced.graphId, to: logit, k: 5, pruned });
    expect(inPruned.length).toBeGreaterThan(0);
    for (const p of inPruned) for (const e of p.edges) expect(kept.has(`${e.source}>${e.target}`)).toBe(true);
  });

  it('exports the pruned graph and opens it again with the same node ids', async () => {
    const thresholds = { nodeThreshold: 0.8, edgeThreshold: 0.98 };
    const v = await api.call('graph.prune', { graphId: traced.graphId, ...thresholds });
    const r = await api.call('graph.export', { graphId: traced.graphId, path: 'sub/../g.json', ...thresholds });
    expect(r.path).toBe(path.join(tmp, 'g.json'));
    expect(r.links).toBe(v.edgeWeight.length);
    const opened = await api.call('graph.open', { path: 'g.json' });
    expect(opened.graphId).not.toBe(traced.graphId);
    expect(opened.source).toEqual({ kind: 'file', path: path.join(tmp, 'g.json') });
    expect(opened.nodes.map((n) => n.id)).toEqual(v.nodes.map((n) => traced.nodes[n].id));
    expect(opened.tokens).toEqual(traced.tokens);
    expect(opened.dictionary).toEqual(traced.dictionary);
    // Its features keep their cards: the file names the dictionary it was traced with.
    const f = opened.nodes.find((n) => n.kind === 'feature')!;
    expect((await api.call('graph.node', { graphId: opened.graphId, node: f.index })).card).not.toBeNull();
    // Export of an opened file at thresholds of 1 keeps it as it was.
    const again = await api.call('graph.export', { graphId: opened.graphId, path: path.join(tmp, 'g2.json'), nodeThreshold: 1, edgeThreshold: 1 });
    expect([again.nodes, again.links]).toEqual([r.nodes, r.links]);
  });

  it('opens graph JSON without workbench metadata: no card, and a note saying why', async () => {
    const { readFileSync, writeFileSync } = await import('node:fs');
    await api.call('graph.export', { graphId: traced.graphId, path: 'full.json', nodeThreshold: 0.8, edgeThreshold: 0.98 });
    const obj = JSON.parse(readFileSync(path.join(tmp, 'full.json'), 'utf8')) as { metadata: Record<string, unknown> };
    delete obj.metadata.circuit_workbench;
    writeFileSync(path.join(tmp, 'plain.json'), JSON.stringify(obj));
    const opened = await api.call('graph.open', { path: 'plain.json' });
    expect(opened.dictionary).toBeNull();
    expect(opened.nLayers).toBe(traced.nLayers);
    expect(opened.tokens).toEqual(traced.tokens);
    expect(opened.nodes.find((n) => n.kind === 'logit')!.label).toBe(traced.nodes.find((n) => n.kind === 'logit')!.label);
    const f = opened.nodes.find((n) => n.kind === 'feature')!;
    const d = await api.call('graph.node', { graphId: opened.graphId, node: f.index });
    expect(d.card).toBeNull();
    expect(d.cardNote).toMatch(/does not say which dictionary/);
  });

  it('opens a raw graph (.safetensors): the full graph with the ids of a trace', async () => {
    await writeRawGraph(path.join(tmp, 'raw.safetensors'), g);
    const opened = await api.call('graph.open', { path: 'raw.safetensors' });
    expect(opened.nodes.map((n) => n.id)).toEqual(traced.nodes.map((n) => n.id));
    expect(opened.nodes.map((n) => n.influence)).toEqual(traced.nodes.map((n) => n.influence));
  });

  it.each([
    ['out-of-range threshold', 'graph.prune', { graphId: 'g1', nodeThreshold: 1.5, edgeThreshold: 0.9 }, /nodeThreshold/],
    ['missing field', 'graph.prune', { graphId: 'g1', nodeThreshold: 0.5 }, /edgeThreshold/],
    ['unknown field', 'session.info', { extra: 1 }, /extra/],
    ['empty prompt', 'graph.trace', { prompt: '', target: { kind: 'salient' } }, /prompt/],
    ['bad target', 'graph.trace', { prompt: 'hi', target: { kind: 'everything' } }, /target/],
    ['node out of range', 'graph.node', { graphId: 'g1', node: 1e6 }, /out of range/],
    ['params not an object', 'files.list', 'x', /params/],
  ])('bad request: %s', async (_name, method, params, message) => {
    const [m] = await exchange({ type: 'call', id: 'x1', method, params });
    expect(m).toMatchObject({ type: 'error', id: 'x1', error: { code: 'bad-request' } });
    if (m.type === 'error') {
      expect(m.error.message).toMatch(message);
      expect(m.error.message).not.toContain('\n');
    }
  });

  it('bad envelopes: unknown method, readable id → error; unreadable → no answer', async () => {
    expect((await exchange({ type: 'call', id: 'u', method: 'graph.delete', params: {} }))[0]).toMatchObject({ type: 'error', error: { code: 'bad-request', message: expect.stringMatching(/unknown method/) } });
    expect((await exchange({ type: 'call', id: 'v', method: 'session.info', params: {}, junk: 1 }))[0]).toMatchObject({ type: 'error', id: 'v', error: { code: 'bad-request' } });
    expect(await exchange({ hello: 'world' })).toEqual([]);
    expect(await exchange(null)).toEqual([]);
  });

  it('unknown graph → not-found; user errors → user', async () => {
    expect(await codeOf(api.call('graph.prune', { graphId: 'g999', nodeThreshold: 0.8, edgeThreshold: 0.98 }))).toBe('not-found');
    expect(await codeOf(api.call('graph.trace', { prompt: 'Once upon a time '.repeat(150), target: { kind: 'salient' } }))).toBe('user');
    expect(await codeOf(api.call('graph.trace', { prompt: PROMPT, target: { kind: 'tokens', tokens: ['elephantine'] } }))).toBe('user');
    expect(await codeOf(api.call('graph.open', { path: 'missing.json' }))).toBe('user');
    expect(await codeOf(api.call('graph.export', { graphId: traced.graphId, path: 'g.txt', nodeThreshold: 0.8, edgeThreshold: 0.98 }))).toBe('user');
    expect(await codeOf(api.call('graph.export', { graphId: traced.graphId, path: 'nodir/g.json', nodeThreshold: 0.8, edgeThreshold: 0.98 }))).toBe('user');
    expect(await codeOf(api.call('dictionary.open', { path: tmp }))).toBe('user');
  });

  it('files.list: dirs first, then files, no dotfiles', async () => {
    const { mkdirSync, writeFileSync } = await import('node:fs');
    mkdirSync(path.join(tmp, 'zdir'), { recursive: true });
    writeFileSync(path.join(tmp, '.hidden'), 'x');
    writeFileSync(path.join(tmp, 'a.txt'), 'abc');
    const r = await api.call('files.list', {});
    expect(r.dir).toBe(path.resolve(tmp));
    expect(r.entries.some((e) => e.name.startsWith('.'))).toBe(false);
    const kinds = r.entries.map((e) => e.kind);
    expect(kinds).toEqual([...kinds].sort((a, b) => (a === b ? 0 : a === 'dir' ? -1 : 1)));
    expect(r.entries.find((e) => e.name === 'a.txt')).toEqual({ name: 'a.txt', path: path.join(tmp, 'a.txt'), kind: 'file', size: 3 });
    expect(r.entries[0]).toMatchObject({ name: 'zdir', kind: 'dir' });
  });

  it('model.open of the embedded model keeps the dictionary', async () => {
    const info = await api.call('session.info', {});
    const after = await api.call('model.open', { path: info.model.path });
    expect(after.model.fingerprint).toBe(info.model.fingerprint);
    expect(after.dictionary?.fingerprint).toBe(info.dictionary?.fingerprint);
  });
});
