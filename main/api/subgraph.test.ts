/**
 * subgraph.stats on a real trace: the whole graph's restricted scores are graphScores exactly; a small subgraph's
 * scores equal an independent dense computation of circuit-tracer's formulas on the induced subgraph; supernode
 * edge sums and input shares are checked by hand against the adjacency of an independently computed graph.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiCallError, type ApiClient, type GraphSummary } from '../../shared/api';
import { graphLayout, logitWeights, NodeKind, type AttributionGraph } from '../../shared/graph';
import { attributeGraph } from '../attribution/attribute';
import { loadDictionary } from '../dictionary/format';
import { kindsOf } from '../graph/influence';
import { graphScores } from '../graph/scores';
import { loadModel } from '../model/load';
import { embeddedDictionaryPath } from '../paths';
import { createEngineService, localClient, type EngineService } from './service';

const PROMPT = 'Once upon a time, there was a little girl named';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'cwb-subgraph-'));
let service: EngineService;
let api: ApiClient;
let g: AttributionGraph;
let graph: GraphSummary;
let N: number;
const A = (t: number, s: number) => g.adjacency[t * N + s];

const codeOf = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ApiCallError);
    return (e as ApiCallError).code;
  }
  throw new Error('the call succeeded');
};

beforeAll(async () => {
  service = await createEngineService({ workspace: tmp });
  api = localClient(service);
  const { spec, tokenizer } = await loadModel();
  const dict = await loadDictionary(embeddedDictionaryPath);
  g = await attributeGraph(spec, dict, tokenizer, tokenizer.encode(PROMPT, { bos: true }), { targets: { kind: 'salient' }, prompt: PROMPT });
  N = graphLayout(g).N;
  graph = await api.call('graph.trace', { prompt: PROMPT, target: { kind: 'salient' } });
});
afterAll(async () => {
  await service.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** circuit-tracer's scores on the dense induced subgraph over `S` (node indices), written out independently. */
function denseScores(S: number[]): { replacement: number; completeness: number } {
  const kinds = kindsOf(g);
  const w = logitWeights(g);
  const n = S.length;
  const Ah = S.map((t) => {
    const row = S.map((s) => Math.abs(A(t, s)));
    const sum = row.reduce((a, b) => a + b, 0);
    return row.map((x) => x / Math.max(sum, 1e-10));
  });
  const ws = S.map((t) => w[t]);
  // I = wÂ + wÂ² + …
  let q = ws.slice();
  const I = new Array<number>(n).fill(0);
  for (let it = 0; it < 100; it++) {
    const next = new Array<number>(n).fill(0);
    for (let i = 0; i < n; i++) if (q[i] !== 0) for (let j = 0; j < n; j++) next[j] += q[i] * Ah[i][j];
    if (next.every((x) => x === 0)) break;
    next.forEach((x, j) => (I[j] += x));
    q = next;
  }
  let tok = 0;
  let err = 0;
  let num = 0;
  let den = 0;
  S.forEach((node, i) => {
    if (kinds[node] === NodeKind.token) tok += I[i];
    if (kinds[node] === NodeKind.error) err += I[i];
    const errShare = S.reduce((a, s, j) => (kinds[s] === NodeKind.error ? a + Ah[i][j] : a), 0);
    num += (1 - errShare) * (I[i] + ws[i]);
    den += I[i] + ws[i];
  });
  return { replacement: tok / (tok + err), completeness: num / den };
}

describe('subgraph.stats', () => {
  it('the whole graph: its scores are graphScores, exactly', async () => {
    const all = graph.nodes.map((n) => n.index);
    const r = await api.call('subgraph.stats', { graphId: graph.graphId, nodes: all, supernodes: [] });
    expect(r.scores).toEqual(graph.scores);
    expect(r.graphScores).toEqual(graph.scores);
    const independent = graphScores(g);
    expect(r.scores.replacement).toBeCloseTo(independent.replacement, 12);
    expect(r.scores.completeness).toBeCloseTo(independent.completeness, 12);
    expect(r.scoredNodes).toEqual(all);
    // Every feature node (tokens, logits and errors added by the definition) is the whole graph too.
    const features = graph.nodes.filter((n) => n.kind === 'feature').map((n) => n.index);
    const r2 = await api.call('subgraph.stats', { graphId: graph.graphId, nodes: features, supernodes: [] });
    expect(r2.scores.replacement).toBeCloseTo(graph.scores.replacement, 12);
    expect(r2.scores.completeness).toBeCloseTo(graph.scores.completeness, 12);
  });

  it('a small subgraph: scores of the induced subgraph, as a dense computation gives them', async () => {
    const features = graph.nodes.filter((n) => n.kind === 'feature').sort((a, b) => b.influence - a.influence);
    const chosen = features.slice(0, 6).map((n) => n.index);
    const r = await api.call('subgraph.stats', { graphId: graph.graphId, nodes: chosen, supernodes: [] });
    // S = chosen + every token and logit + the error nodes feeding any of them.
    const lay = graphLayout(g);
    const base = new Set([...chosen, ...Array.from({ length: lay.T }, (_, p) => lay.tokenNode(p)), ...Array.from({ length: lay.K }, (_, k) => lay.logitNode(k))]);
    const errors = new Set<number>();
    for (const t of base) for (let e = lay.errorStart; e < lay.tokenStart; e++) if (A(t, e) !== 0) errors.add(e);
    const S = [...new Set([...base, ...errors])].sort((a, b) => a - b);
    expect(r.scoredNodes).toEqual(S);
    const want = denseScores(S);
    expect(r.scores.replacement).toBeCloseTo(want.replacement, 9);
    expect(r.scores.completeness).toBeCloseTo(want.completeness, 9);
    expect(r.scores.replacement).toBeGreaterThan(0);
    expect(r.scores.replacement).toBeLessThanOrEqual(1);
    expect(r.scores.completeness).toBeLessThanOrEqual(1);
  });

  it('supernode edges are sums of member edges; input shares by hand', async () => {
    const features = graph.nodes.filter((n) => n.kind === 'feature');
    const low = features.filter((n) => n.layer <= 1).sort((a, b) => b.influence - a.influence).slice(0, 3).map((n) => n.index);
    const high = features.filter((n) => n.layer >= 3).sort((a, b) => b.influence - a.influence).slice(0, 3).map((n) => n.index);
    const single = features.filter((n) => n.layer === 2).sort((a, b) => b.influence - a.influence)[0].index;
    const logit = graph.nodes.find((n) => n.kind === 'logit')!.index;
    const r = await api.call('subgraph.stats', {
      graphId: graph.graphId,
      nodes: [single, logit, low[0]], // low[0] is also a supernode member: it belongs to the supernode
      supernodes: [
        { id: 'low', label: 'early features', nodes: low },
        { id: 'high', label: 'late features', nodes: high },
      ],
    });
    expect(r.groups.map((x) => [x.kind, x.id, x.nodes])).toEqual([
      ['supernode', 'low', low],
      ['supernode', 'high', high],
      ['node', graph.nodes[single].id, [single]],
      ['node', graph.nodes[logit].id, [logit]],
    ]);
    const sum = (from: number[], to: number[]) => to.reduce((acc, t) => acc + from.reduce((a, s) => a + A(t, s), 0), 0);
    const edge = (s: number, t: number) => r.edges.find((e) => e.source === s && e.target === t)?.weight;
    const lowToHigh = sum(low, high);
    expect(lowToHigh).not.toBe(0);
    expect(edge(0, 1)).toBeCloseTo(lowToHigh, 9);
    expect(edge(1, 0)).toBeUndefined(); // no edge runs from a later layer to an earlier one
    expect(edge(0, 2)).toBeCloseTo(sum(low, [single]), 9);
    expect(edge(2, 1)).toBeCloseTo(sum([single], high), 9);
    expect(edge(1, 3)).toBeCloseTo(sum(high, [logit]), 9);
    for (let i = 1; i < r.edges.length; i++) expect(Math.abs(r.edges[i].weight)).toBeLessThanOrEqual(Math.abs(r.edges[i - 1].weight));

    // Input shares of "high": |inputs| from outside S and from error nodes, over all |inputs|.
    const S = new Set(r.scoredNodes);
    const kinds = kindsOf(g);
    let total = 0;
    let outside = 0;
    let error = 0;
    for (const t of high) {
      for (let s = 0; s < N; s++) {
        const a = Math.abs(A(t, s));
        total += a;
        if (!S.has(s)) outside += a;
        if (kinds[s] === NodeKind.error) error += a;
      }
    }
    const h = r.groups[1];
    expect(h.inputAbs).toBeCloseTo(total, 4);
    expect(h.outsideShare!).toBeCloseTo(outside / total, 9);
    expect(h.errorShare!).toBeCloseTo(error / total, 9);
    expect(h.outsideShare!).toBeGreaterThan(0);
    // A lone token has no inputs.
    const tokenNode = graph.nodes.find((n) => n.kind === 'token' && n.pos === 1)!.index;
    const rt = await api.call('subgraph.stats', { graphId: graph.graphId, nodes: [tokenNode], supernodes: [] });
    expect(rt.groups[0]).toMatchObject({ inputAbs: 0, outsideShare: null, errorShare: null });
  });

  it('bad requests: node out of range, a node in two supernodes, a repeated supernode id', async () => {
    const f = graph.nodes.filter((n) => n.kind === 'feature').map((n) => n.index);
    expect(await codeOf(api.call('subgraph.stats', { graphId: graph.graphId, nodes: [N + 5], supernodes: [] }))).toBe('bad-request');
    expect(await codeOf(api.call('subgraph.stats', { graphId: graph.graphId, nodes: [], supernodes: [{ id: 'a', label: '', nodes: [f[0], f[1]] }, { id: 'b', label: '', nodes: [f[1]] }] }))).toBe('bad-request');
    expect(await codeOf(api.call('subgraph.stats', { graphId: graph.graphId, nodes: [], supernodes: [{ id: 'a', label: '', nodes: [f[0]] }, { id: 'a', label: '', nodes: [f[2]] }] }))).toBe('bad-request');
    expect(await codeOf(api.call('subgraph.stats', { graphId: graph.graphId, nodes: [], supernodes: [{ id: 'a', label: '', nodes: [N + 1] }] }))).toBe('bad-request');
    expect(await codeOf(api.call('subgraph.stats', { graphId: 'g404', nodes: [], supernodes: [] }))).toBe('not-found');
  });
});
