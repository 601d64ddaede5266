/**
 * explanation.save / .open, recovery copies, feature labels and the HTML report through the engine service, on the
 * real embedded model: save → open restores work, tests, thresholds and the node ids (from the raw sidecar, or the
 * embedded graph when the sidecar is missing or foreign), a saved file is what `cwb verify` recomputes, files are
 * only written inside the workspace, and the report is self-contained with every piece of user text escaped.
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiCallError, type ApiClient, type GraphSummary } from '../../shared/api';
import type { ExplanationContent } from '../../shared/apiExplain';
import type { CausalTest, Explanation } from '../../shared/explanation';
import { interventionRequestSchema } from '../../shared/intervention';
import { resolveToken } from '../attribution/targets';
import { loadDictionary } from '../dictionary/format';
import { escapeHtml } from '../explain/report';
import { loadExplanation, saveExplanation } from '../explain/file';
import { verifyExplanation } from '../explain/verify';
import { loadModel } from '../model/load';
import { embeddedDictionaryPath } from '../paths';
import { createEngineService, localClient, type EngineService } from './service';

const PROMPT = 'Once upon a time, there was a little girl named';
const tmp = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'cwb-explfiles-')));
const appData = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'cwb-appdata-')));
const at = (...p: string[]) => path.join(tmp, ...p);
let service: EngineService;
let api: ApiClient;
let graph: GraphSummary;
let lily: number;
let work: Explanation['work'];
let tests: CausalTest[];
let content: ExplanationContent;

const codeOf = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ApiCallError);
    return (e as ApiCallError).code;
  }
  throw new Error('the call succeeded');
};
const ids = (json: Record<string, unknown>) => (json.nodes as { node_id: string }[]).map((n) => n.node_id);

beforeAll(async () => {
  service = await createEngineService({ workspace: tmp });
  api = localClient(service);
  const { spec, tokenizer } = await loadModel();
  lily = resolveToken(tokenizer, spec.config.vocabSize, ' Lily');
  graph = await api.call('graph.trace', { prompt: PROMPT, target: { kind: 'salient' } });
  const top = graph.nodes.filter((n) => n.kind === 'feature').sort((a, b) => b.influence - a.influence);
  work = {
    pinnedNodeIds: [top[0].id, top[1].id],
    supernodes: [{ id: 's1', label: 'say "Lily"', nodeIds: [top[2].id, top[3].id] }],
    nodeLabels: { [top[0].id]: 'name <feature> & co' },
    notes: 'The name comes from "Lily" features.\nSecond line <b>not bold</b>.',
    views: [{ name: 'main', nodeThreshold: 0.8, edgeThreshold: 0.98, positions: { [top[0].id]: { x: 10, y: -2.5 } }, highlightedPaths: [[top[0].id, top[2].id]] }],
  };
  const ablateTop = interventionRequestSchema.parse({ edits: [{ type: 'feature', layer: top[0].layer, feature: top[0].feature, pos: top[0].pos, op: 'ablate' }] });
  const t1 = { id: 't1', name: 'baseline', intervention: interventionRequestSchema.parse({ edits: [] }), expectation: { kind: 'probAtLeast' as const, token: lily, value: 0.5 } };
  const t2 = { id: 't2', name: 'ablate the top feature', intervention: ablateTop, expectation: { kind: 'logitChange' as const, token: lily, atMost: -0.5 } };
  tests = [{ ...t1, result: await api.call('test.run', { graphId: graph.graphId, test: t1 }) }, t2];
  content = { graphId: graph.graphId, work, tests, nodeThreshold: 0.8, edgeThreshold: 0.98 };
});
afterAll(async () => {
  await service.close();
  rmSync(tmp, { recursive: true, force: true });
  rmSync(appData, { recursive: true, force: true });
});

describe('explanation.save → explanation.open', () => {
  it('writes a valid explanation with the graph JSON (labels, pins, supernodes) and a raw sidecar; open restores everything', async () => {
    const r = await api.call('explanation.save', { ...content, path: 'lily.circuit.json' });
    expect(r).toMatchObject({ path: at('lily.circuit.json'), rawPath: at('lily.raw.safetensors') });
    expect(existsSync(at('lily.raw.safetensors.json'))).toBe(true);
    const e = loadExplanation(at('lily.circuit.json'));
    const info = await api.call('session.info', {});
    expect(e.app).toEqual({ name: 'circuit-workbench', version: info.appVersion });
    expect(e.model).toEqual({ name: info.model.name, fingerprint: info.model.fingerprint });
    expect(e.dictionary).toEqual({ name: info.dictionary!.name, fingerprint: info.dictionary!.fingerprint, kind: 'plt' });
    expect(e.prompt).toBe(PROMPT);
    expect(e.tokens).toEqual(graph.tokens.map((t) => t.id));
    expect(e.targets).toEqual({ kind: 'salient' });
    expect(e.attribution).toEqual({ maxFeatureNodes: null, batchSize: 256, nodeThreshold: 0.8, edgeThreshold: 0.98 });
    expect(e.graph.rawPath).toBe('lily.raw.safetensors');
    expect(e.work).toEqual(work);
    expect(e.tests).toEqual(tests);
    expect(r.nodes).toBe((e.graph.json.nodes as unknown[]).length);
    expect(r.links).toBe((e.graph.json.links as unknown[]).length);

    // The embedded graph is graph.export's at the same thresholds, plus the labels and Neuronpedia's subgraph state.
    await api.call('graph.export', { graphId: graph.graphId, path: 'plain.json', nodeThreshold: 0.8, edgeThreshold: 0.98 });
    const plain = JSON.parse(readFileSync(at('plain.json'), 'utf8')) as Record<string, unknown>;
    expect(ids(e.graph.json)).toEqual(ids(plain));
    expect((e.graph.json.links as unknown[]).length).toBe((plain.links as unknown[]).length);
    const node = (id: string) => (e.graph.json.nodes as { node_id: string; clerp: string }[]).find((n) => n.node_id === id)!;
    expect(node(work.pinnedNodeIds[0]).clerp).toBe('name <feature> & co');
    expect(e.graph.json.qParams).toEqual({ pinnedIds: work.pinnedNodeIds, supernodes: [['say "Lily"', ...work.supernodes[0].nodeIds]], linkType: 'both', clickedId: '', sg_pos: '', pruningThreshold: 0.8 });

    const o = await api.call('explanation.open', { path: 'lily.circuit.json' });
    expect(o.graphFrom).toBe('raw');
    expect(o.warnings).toEqual([]);
    expect(o.explanation).toEqual(e);
    expect(o.graph.graphId).not.toBe(graph.graphId);
    expect(o.graph.source).toEqual({ kind: 'file', path: at('lily.circuit.json') });
    expect(o.graph.nodes.map((n) => n.id)).toEqual(graph.nodes.map((n) => n.id));
    expect(o.graph.scores).toEqual(graph.scores);
    const [a, b] = await Promise.all([graph.graphId, o.graph.graphId].map((graphId) => api.call('graph.prune', { graphId, nodeThreshold: 0.8, edgeThreshold: 0.98 })));
    expect(b.nodes).toEqual(a.nodes);
    expect(b.edgeWeight).toEqual(a.edgeWeight);

    // Saving the reopened explanation again gives the same bytes.
    const before = readFileSync(at('lily.circuit.json'), 'utf8');
    await api.call('explanation.save', { graphId: o.graph.graphId, path: 'lily.circuit.json', work: e.work, tests: e.tests, nodeThreshold: 0.8, edgeThreshold: 0.98 });
    expect(readFileSync(at('lily.circuit.json'), 'utf8')).toBe(before);
  });

  it('is what cwb verify recomputes: no drift, and its tests hold', async () => {
    const { spec, tokenizer } = await loadModel();
    const dict = await loadDictionary(embeddedDictionaryPath);
    const v = await verifyExplanation(spec, dict, tokenizer, loadExplanation(at('lily.circuit.json')));
    expect(v.fingerprints.model.match && v.fingerprints.dictionary.match).toBe(true);
    expect(v.drift.nodes.gained).toEqual([]);
    expect(v.drift.nodes.lost).toEqual([]);
    expect([v.drift.edges.gained, v.drift.edges.lost]).toEqual([0, 0]);
    expect(v.tests.map((t) => t.new.before)).toEqual(tests.map(() => expect.any(Number)));
    expect(v.tests[0]).toMatchObject({ passed: true, new: { before: tests[0].result!.before, after: tests[0].result!.after } });
  });

  it('without its raw sidecar, or with a foreign one, opens the embedded pruned graph and says why', async () => {
    await api.call('explanation.save', { ...content, path: 'b.circuit.json' });
    rmSync(at('b.raw.safetensors'));
    rmSync(at('b.raw.safetensors.json'));
    const o = await api.call('explanation.open', { path: 'b.circuit.json' });
    expect(o.graphFrom).toBe('embedded');
    expect(o.warnings).toHaveLength(1);
    expect(o.warnings[0]).toMatch(/raw graph b\.raw\.safetensors is missing/);
    expect(o.graph.nodes.map((n) => n.id)).toEqual(ids(o.explanation.graph.json));
    expect(o.graph.tokens).toEqual(graph.tokens);
    // The embedded graph still runs the explanation's tests.
    const t = await api.call('test.run', { graphId: o.graph.graphId, test: tests[0] });
    expect([t.before, t.after]).toEqual([tests[0].result!.before, tests[0].result!.after]);

    // Another prompt's raw graph in its place is refused by content, not trusted by name.
    const other = await api.call('graph.trace', { prompt: 'Once upon a time', target: { kind: 'salient' } });
    await api.call('explanation.save', { graphId: other.graphId, path: 'other.circuit.json', work: { ...work, pinnedNodeIds: [], supernodes: [], nodeLabels: {} }, tests: [], nodeThreshold: 0.8, edgeThreshold: 0.98 });
    copyFileSync(at('other.raw.safetensors'), at('b.raw.safetensors'));
    copyFileSync(at('other.raw.safetensors.json'), at('b.raw.safetensors.json'));
    const o2 = await api.call('explanation.open', { path: 'b.circuit.json' });
    expect(o2.graphFrom).toBe('embedded');
    expect(o2.warnings[0]).toMatch(/does not belong to this explanation \(its prompt tokens differ\)/);

    // A raw path leading out of the workspace is not followed.
    const e = loadExplanation(at('b.circuit.json'));
    saveExplanation(at('c.circuit.json'), { ...e, graph: { ...e.graph, rawPath: '../outside.raw.safetensors' } });
    const o3 = await api.call('explanation.open', { path: 'c.circuit.json' });
    expect(o3.graphFrom).toBe('embedded');
    expect(o3.warnings[0]).toMatch(/outside the workspace/);
  });

  it('refuses: a wrong name, overwriting other files, paths outside the workspace, bad files', async () => {
    const save = (p: string) => api.call('explanation.save', { ...content, path: p });
    expect(await codeOf(save('notes.json'))).toBe('user');
    expect(await codeOf(save('missing-dir/x.circuit.json'))).toBe('user');
    writeFileSync(at('x.circuit.json'), 'my precious notes');
    expect(await codeOf(save('x.circuit.json'))).toBe('user');
    expect(readFileSync(at('x.circuit.json'), 'utf8')).toBe('my precious notes');
    writeFileSync(at('y.raw.safetensors'), 'not a raw graph');
    expect(await codeOf(save('y.circuit.json'))).toBe('user');
    expect(readFileSync(at('y.raw.safetensors'), 'utf8')).toBe('not a raw graph');
    expect(existsSync(at('y.circuit.json'))).toBe(false);
    expect(await codeOf(save('../escape.circuit.json'))).toBe('forbidden');
    expect(await codeOf(save(path.join(os.tmpdir(), 'abs.circuit.json')))).toBe('forbidden');
    expect(await codeOf(api.call('explanation.open', { path: '../../../etc/passwd' }))).toBe('forbidden');
    expect(await codeOf(api.call('explanation.open', { path: 'x.circuit.json' }))).toBe('user');
    expect(await codeOf(api.call('explanation.open', { path: 'nothing.circuit.json' }))).toBe('user');
    expect(await codeOf(api.call('explanation.open', { path: 'plain.json' }))).toBe('user'); // graph JSON, not an explanation
    expect(await codeOf(api.call('report.export', { path: '../r.html', content, figureSvg: '' }))).toBe('forbidden');
    expect(await codeOf(api.call('explanation.recoverySave', { path: '/etc/x.circuit.json', content }))).toBe('forbidden');
    expect(await codeOf(api.call('explanation.save', { ...content, graphId: 'g404', path: 'z.circuit.json' }))).toBe('not-found');
  });
});

describe('recovery copies', () => {
  it('autosave → list → open; a save supersedes them; discard removes one', async () => {
    const list = async () => (await api.call('explanation.recoveryList', {})).entries;
    expect(await list()).toEqual([]);
    const untitled = await api.call('explanation.recoverySave', { content });
    expect(untitled.savedPath).toBeNull();
    expect(path.dirname(untitled.path)).toBe(at('.cwb', 'recovery'));
    const saved = await api.call('explanation.recoverySave', { path: 'lily.circuit.json', content: { ...content, work: { ...work, notes: 'edited after saving' } } });
    expect(saved.savedPath).toBe(at('lily.circuit.json'));
    const entries = await list();
    expect(entries.map((e) => e.path).sort()).toEqual([untitled.path, saved.path].sort());
    const s = entries.find((e) => e.savedPath !== null)!;
    expect(s).toMatchObject({ prompt: PROMPT, savedPath: at('lily.circuit.json'), savedModifiedAt: expect.any(String) });
    expect(entries.find((e) => e.savedPath === null)!.savedModifiedAt).toBeNull();

    // A recovery copy is an explanation file: it opens with its work and the full graph.
    const o = await api.call('explanation.open', { path: saved.path });
    expect(o.explanation.work.notes).toBe('edited after saving');
    expect(o.graphFrom).toBe('raw');

    // Saving the graph's explanation removes both the untitled copy and the copy of that file.
    await api.call('explanation.save', { ...content, path: 'lily.circuit.json' });
    expect(await list()).toEqual([]);
    expect(existsSync(untitled.path)).toBe(false);

    // A copy older than its saved file is not offered.
    const again = await api.call('explanation.recoverySave', { path: 'lily.circuit.json', content });
    expect(await list()).toHaveLength(1);
    const future = new Date(Date.now() + 60_000);
    utimesSync(at('lily.circuit.json'), future, future);
    expect(await list()).toEqual([]);

    // Discard.
    const u2 = await api.call('explanation.recoverySave', { content });
    expect((await list()).map((e) => e.path)).toEqual([u2.path]);
    expect(await api.call('explanation.recoveryDiscard', { path: u2.path })).toEqual({ path: u2.path });
    expect(await list()).toEqual([]);
    expect(existsSync(u2.path.replace('.circuit.json', '.raw.safetensors'))).toBe(false);
    expect(await codeOf(api.call('explanation.recoveryDiscard', { path: 'lily.circuit.json' }))).toBe('forbidden');
    await api.call('explanation.recoveryDiscard', { path: again.path });
  });

  it('without a workspace they live in the data folder (Electron userData); without either, they are refused', async () => {
    const desktop = await createEngineService({ workspace: null, dataDir: appData });
    try {
      const d = localClient(desktop);
      const g = await d.call('graph.trace', { prompt: 'Once upon a time', target: { kind: 'salient' } });
      const r = await d.call('explanation.recoverySave', { content: { ...content, graphId: g.graphId, work: { ...work, pinnedNodeIds: [], supernodes: [], nodeLabels: {} }, tests: [] } });
      expect(path.dirname(r.path)).toBe(path.join(appData, '.cwb', 'recovery'));
      expect((await d.call('explanation.recoveryList', {})).entries.map((e) => e.path)).toEqual([r.path]);
      expect((await d.call('explanation.open', { path: r.path })).graphFrom).toBe('raw');
      const fp = (await d.call('session.info', {})).dictionary!.fingerprint;
      await d.call('labels.set', { dictionaryFingerprint: fp, labels: { '1_2': 'x' } });
      expect(existsSync(path.join(appData, '.cwb', 'labels', `${fp}.json`))).toBe(true);
      expect(await codeOf(d.call('explanation.open', { path: 'relative.circuit.json' }))).toBe('bad-request');
    } finally {
      await desktop.close();
    }
    const bare = await createEngineService({ workspace: null });
    try {
      const b = localClient(bare);
      const g = await b.call('graph.trace', { prompt: 'Once upon a time', target: { kind: 'salient' } });
      expect(await codeOf(b.call('explanation.recoverySave', { content: { ...content, graphId: g.graphId, tests: [], work: { ...work, pinnedNodeIds: [], supernodes: [], nodeLabels: {} } } }))).toBe('user');
      expect(await b.call('explanation.recoveryList', {})).toEqual({ dir: '', entries: [] });
      const fp = 'c'.repeat(64);
      expect(await b.call('labels.get', { dictionaryFingerprint: fp })).toEqual({ dictionaryFingerprint: fp, labels: {} });
      expect(await codeOf(b.call('labels.set', { dictionaryFingerprint: fp, labels: {} }))).toBe('user');
    } finally {
      await bare.close();
    }
  });
});

describe('feature labels', () => {
  it('round trip per dictionary; used as clerps of unlabelled feature nodes when saving; bad input refused', async () => {
    const fp = graph.dictionary!.fingerprint;
    expect(await api.call('labels.get', { dictionaryFingerprint: fp })).toEqual({ dictionaryFingerprint: fp, labels: {} });
    const [f0, f1] = work.pinnedNodeIds.map((id) => graph.nodes.find((n) => n.id === id)!);
    const key = (n: typeof f0) => `${n.layer}_${n.feature}`;
    const set = await api.call('labels.set', { dictionaryFingerprint: fp, labels: { [key(f1)]: 'says a name', [key(f0)]: 'dictionary label', '0_1': '  ' } });
    expect(set.labels).toEqual({ [key(f1)]: 'says a name', [key(f0)]: 'dictionary label' });
    expect((await api.call('labels.get', { dictionaryFingerprint: fp })).labels).toEqual(set.labels);
    const file = at('.cwb', 'labels', `${fp}.json`);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ format: 'circuit-workbench-feature-labels', formatVersion: 1, dictionaryFingerprint: fp, labels: set.labels });

    await api.call('explanation.save', { ...content, path: 'labelled.circuit.json' });
    const nodes = loadExplanation(at('labelled.circuit.json')).graph.json.nodes as { node_id: string; clerp: string }[];
    expect(nodes.find((n) => n.node_id === f1.id)!.clerp).toBe('says a name');
    expect(nodes.find((n) => n.node_id === f0.id)!.clerp).toBe('name <feature> & co'); // the node's own label wins

    expect(await codeOf(api.call('labels.set', { dictionaryFingerprint: fp, labels: { '3_117_5': 'with a position' } }))).toBe('bad-request');
    // zod drops a "__proto__" key: nothing is stored and no prototype is touched.
    const proto = await api.call('labels.set', { dictionaryFingerprint: fp, labels: JSON.parse('{"__proto__": "x", "1_1": "one"}') as Record<string, string> });
    expect(Object.keys(proto.labels)).toEqual(['1_1']);
    expect(Object.getPrototypeOf(proto.labels)).toBe(Object.prototype);
    expect(await codeOf(api.call('labels.get', { dictionaryFingerprint: '../../etc/passwd' }))).toBe('bad-request');
    writeFileSync(file, '{"format": "circuit-workbench-feature-labels", "formatVersion": 1, "labels": [');
    expect(await codeOf(api.call('labels.get', { dictionaryFingerprint: fp }))).toBe('user');
    writeFileSync(file, JSON.stringify({ format: 'circuit-workbench-feature-labels', formatVersion: 1, dictionaryFingerprint: 'd'.repeat(64), labels: {} }));
    expect(await codeOf(api.call('labels.get', { dictionaryFingerprint: fp }))).toBe('user');
    await api.call('labels.set', { dictionaryFingerprint: fp, labels: {} });
    expect((await api.call('labels.get', { dictionaryFingerprint: fp })).labels).toEqual({});
  });
});

describe('report.export', () => {
  it('writes a self-contained report: escaped prompt and user text, sanitized figure, test results, scores, fingerprints', async () => {
    const prompt = 'Lily said "yes" & <b>Tom</b> smiled';
    const g = await api.call('graph.trace', { prompt, target: { kind: 'salient' } });
    const f = g.nodes.filter((n) => n.kind === 'feature').sort((a, b) => b.influence - a.influence);
    const evil = '<img src=x onerror=alert(1)>';
    const c: ExplanationContent = {
      graphId: g.graphId,
      work: { pinnedNodeIds: [f[0].id], supernodes: [{ id: 's', label: `group ${evil}`, nodeIds: [f[1].id, f[2].id] }], nodeLabels: { [f[0].id]: `label ${evil}` }, notes: `notes <script>alert(2)</script>`, views: [] },
      tests: [{ ...tests[0], name: `test ${evil}` }],
      nodeThreshold: 0.8,
      edgeThreshold: 0.98,
    };
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 20 20" onload="alert(3)"><script>alert(4)</script><circle cx="10" cy="10" r="5"/><image href="https://evil.example/x.png"/></svg>';
    const fresh = { passed: false, before: 0.5, after: 0.25, ranAt: '2026-02-03T04:05:06.000Z' };
    const r = await api.call('report.export', { path: 'report.html', content: c, figureSvg: svg, testResults: { t1: fresh } });
    const html = readFileSync(at('report.html'), 'utf8');
    expect(r).toEqual({ path: at('report.html'), bytes: Buffer.byteLength(html) });
    expect(html).toContain(escapeHtml(prompt));
    expect(html).not.toContain('<b>Tom</b>');
    for (const s of [`group ${evil}`, `label ${evil}`, `test ${evil}`, 'notes <script>alert(2)</script>']) expect(html).toContain(escapeHtml(s));
    expect(html).toContain('<figure><svg viewBox="0 0 20 20"><circle cx="10" cy="10" r="5"/></svg></figure>');
    for (const bad of [/https?:/i, /\/\//]) expect(html).not.toMatch(bad);
    const markup = (html.match(/<[^>]*>/g) ?? []).join('\n'); // escaped user text may spell anything; tags may not
    for (const bad of [/<script/i, /<img/i, /<image/i, /\bsrc=/i, /\son[a-z]+=/i]) expect(markup).not.toMatch(bad);
    expect(html).toContain('<td class="fail">FAIL</td>'); // the fresh result, not the saved one
    expect(html).toContain('2026-02-03T04:05:06.000Z');
    const info = await api.call('session.info', {});
    expect(html).toContain(info.model.fingerprint);
    expect(html).toContain(info.dictionary!.fingerprint);
    expect(html).toContain(`Circuit Workbench ${escapeHtml(info.appVersion)}`);
    expect(html).toContain(`${(g.scores.replacement * 100).toFixed(1)}%`);
    expect(html).toContain('pinned nodes and supernode members');

    // It may replace its own report, not other HTML files.
    await api.call('report.export', { path: 'report.html', content: c, figureSvg: svg });
    writeFileSync(at('page.html'), '<html>mine</html>');
    expect(await codeOf(api.call('report.export', { path: 'page.html', content: c, figureSvg: svg }))).toBe('user');
    expect(readFileSync(at('page.html'), 'utf8')).toBe('<html>mine</html>');
    expect(await codeOf(api.call('report.export', { path: 'report.txt', content: c, figureSvg: svg }))).toBe('user');
  });
});
