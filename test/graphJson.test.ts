/** Graph JSON (circuit-tracer / Neuronpedia format) export/import and the raw safetensors + sidecar format. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Ajv from 'ajv';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import schema from '../shared/schemas/neuronpedia-graph-schema.json';
import { graphLayout, NodeKind, type AttributionGraph } from '../shared/graph';
import { UserError } from '../main/errors';
import { Rng } from '../main/engine/sampler';
import {
  cantorPair, cantorUnpair, exportGraphJson, exportImportedGraphJson, formatFixed3, importGraphJson, importGraphJsonFile,
  stringifyGraphJson, type GraphJson, type PrunedGraph,
} from '../main/graph/neuronpediaJson';
import { readRawGraph, sidecarPath, writeRawGraph } from '../main/graph/rawGraph';

/** L = 2, T = 3, 4 features, 2 logits: N = 4 + 6 + 3 + 2 = 15. Edges only where the frozen model allows them. */
function smallGraph(): AttributionGraph {
  const features = { layer: Int32Array.from([0, 0, 1, 1]), pos: Int32Array.from([1, 2, 1, 2]), index: Int32Array.from([5, 17, 3, 5]), activation: Float32Array.from([1.5, 0.25, 3.75, 0.1]) };
  const g0 = { features, nLayers: 2, nPos: 3, targets: [{ vocabIdx: 9, label: ' world', weight: 0.6875 }, { vocabIdx: 11, label: '"q"\n', weight: 0.0625 }] };
  const lay = graphLayout(g0);
  const A = new Float32Array(lay.N * lay.N);
  const rng = new Rng(7);
  const val = () => (rng.f32() - 0.5) * 4 || 0.5;
  // Sources of a node at (layer, pos): earlier-layer features and errors at positions ≤ pos, and tokens ≤ pos.
  const sourcesOf = (layer: number, pos: number) => {
    const out: number[] = [];
    for (let f = 0; f < lay.F; f++) if (features.layer[f] < layer && features.pos[f] <= pos) out.push(f);
    for (let l = 0; l < layer; l++) for (let p = 0; p <= pos; p++) out.push(lay.errorNode(l, p));
    for (let p = 0; p <= pos; p++) out.push(lay.tokenNode(p));
    return out;
  };
  for (let f = 0; f < lay.F; f++) for (const s of sourcesOf(features.layer[f], features.pos[f])) A[f * lay.N + s] = val();
  for (let k = 0; k < lay.K; k++) for (const s of sourcesOf(2, 2)) A[lay.logitNode(k) * lay.N + s] = val();
  return {
    formatVersion: 1, prompt: '<s> Hello\n', tokens: [1, 42, 7], tokenTexts: ['<s>', ' Hello', '\n'], nLayers: 2, nPos: 3, vocabSize: 64,
    features, activeFeatureCount: 10, targets: g0.targets, adjacency: A,
    settings: { maxFeatureNodes: null, batchSize: 4, maxLogits: 10, desiredLogitProb: 0.95, targetMode: 'salient' },
    model: { name: 'tiny', fingerprint: 'm-abc' }, dictionary: { name: 'tiny-plt', fingerprint: 'd-123', kind: 'plt' },
  };
}

const g = smallGraph();
const lay = graphLayout(g);
const allKept = (): PrunedGraph => ({
  nodeMask: new Uint8Array(lay.N).fill(1),
  edgeKept: () => true,
  cumulativeScores: Float32Array.from({ length: lay.N }, (_, i) => (i + 1) / lay.N),
});
const opts = { slug: 'tiny-graph', scan: 'tiny-plt', nodeThreshold: 0.8, edgeThreshold: 0.98 };
const exported = exportGraphJson(g, allKept(), opts);
const text = stringifyGraphJson(exported);
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
const node = (doc: GraphJson, id: string) => doc.nodes.find((n) => n.node_id === id);

/** Runs `f`, expects a UserError whose one-line message matches `re`. */
function userError(f: () => unknown, re: RegExp): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(UserError);
  expect((err as Error).message).toMatch(re);
  expect((err as Error).message).not.toContain('\n');
}

describe('exportGraphJson', () => {
  it('validates against the Neuronpedia schema', () => {
    expect(validate(exported), JSON.stringify(validate.errors)).toBe(true);
    expect(validate(JSON.parse(text))).toBe(true);
  });

  it('writes node ids, cantor ids, clerps and influence exactly as circuit-tracer does', () => {
    expect(exported.nodes).toHaveLength(lay.N); // every node takes part in an edge
    expect(cantorPair(1, 5)).toBe(26);
    expect(node(exported, '1_5_2')).toEqual({
      node_id: '1_5_2', feature: 26, layer: '1', ctx_idx: 2, feature_type: 'cross layer transcoder', token_prob: 0, is_target_logit: false,
      run_idx: 0, reverse_ctx_idx: 0, jsNodeId: '1_5-0', clerp: '', influence: Math.fround(4 / 15), activation: Math.fround(0.1),
    });
    expect(node(exported, '0_17_2')).toMatchObject({ feature: (17 * 18) / 2 + 17, layer: '0', activation: 0.25 });
    expect(node(exported, '1_-1_2')).toMatchObject({ feature: -1, layer: '1', ctx_idx: 2, feature_type: 'mlp reconstruction error', jsNodeId: '1_-1-2', activation: null, influence: Math.fround(10 / 15) });
    expect(node(exported, 'E_42_1')).toMatchObject({ feature: 1, layer: 'E', ctx_idx: 1, feature_type: 'embedding', jsNodeId: 'E_42-1', activation: null });
    expect(node(exported, '3_9_2')).toMatchObject({
      feature: 9, layer: '3', ctx_idx: 2, feature_type: 'logit', jsNodeId: 'L_9-2', token_prob: 0.6875, is_target_logit: true,
      clerp: 'Output " world" (p=0.688)', influence: null, activation: null,
    });
    // Python's f"{p:.3f}" rounds the exact tie 0.0625 to even (0.062); JS toFixed would say 0.063.
    expect(node(exported, '3_11_2')).toMatchObject({ is_target_logit: false, clerp: 'Output ""q"\n" (p=0.062)' });
    expect([formatFixed3(0.1875), formatFixed3(-0.0625), formatFixed3(0.123456), formatFixed3(1)]).toEqual(['0.188', '-0.062', '0.123', '1.000']);
    expect(exported.metadata).toMatchObject({ slug: 'tiny-graph', scan: 'tiny-plt', transcoder_list: [], prompt_tokens: ['<s>', ' Hello', '\n'], prompt: '<s> Hello\n', node_threshold: 0.8, schema_version: 1 });
    expect(exported.qParams).toEqual({ pinnedIds: [], supernodes: [], linkType: 'both', clickedId: '', sg_pos: '' });
  });

  it('writes every nonzero kept edge with the raw signed weight A[target, source], row-major', () => {
    const idOf = new Map(exported.nodes.map((n, i) => [n.node_id, i]));
    expect(exported.links).toHaveLength(g.adjacency.filter((x) => x !== 0).length);
    const [t, s] = [lay.logitNode(1), lay.tokenNode(1)];
    expect(exported.links.find((l) => l.source === 'E_42_1' && l.target === '3_11_2')?.weight).toBe(g.adjacency[t * lay.N + s]);
    const f = 2; // feature (1, pos 1, idx 3) ← error (0, pos 0)
    expect(exported.links.find((l) => l.source === '0_-1_0' && l.target === '1_3_1')?.weight).toBe(g.adjacency[f * lay.N + lay.errorNode(0, 0)]);
    const order = exported.links.map((l) => [idOf.get(l.target)!, idOf.get(l.source)!]);
    expect(order).toEqual([...order].sort((a, b) => a[0] - b[0] || a[1] - b[1]));
  });

  it('drops masked or unconnected features and errors but keeps every token and logit', () => {
    const p = allKept();
    p.nodeMask[0] = 0; // feature 0_5_1
    p.nodeMask.fill(0, lay.tokenStart); // tokens and logits are emitted regardless
    const dropEdgesOf = 1; // feature 0_17_2 keeps no edge
    const out = exportGraphJson(g, { ...p, edgeKept: (t, s) => t !== dropEdgesOf && s !== dropEdgesOf }, { ...opts, labels: new Map<string | number, string>([[2, 'by index'], ['1_5_2', 'by id'], [lay.logitNode(0), 'ignored']]) });
    const ids = out.nodes.map((n) => n.node_id);
    expect(ids).not.toContain('0_5_1');
    expect(ids).not.toContain('0_17_2');
    expect(ids.filter((id) => id.startsWith('E_'))).toHaveLength(3);
    expect(out.nodes.filter((n) => n.feature_type === 'logit')).toHaveLength(2);
    expect(out.links.every((l) => ids.includes(l.source) && ids.includes(l.target))).toBe(true);
    expect(node(out, '1_3_1')?.clerp).toBe('by index');
    expect(node(out, '1_5_2')?.clerp).toBe('by id');
    expect(node(out, '3_9_2')?.clerp).toMatch(/^Output " world"/);
  });

  it('merges qParams overrides and generator info without breaking the schema', () => {
    const out = exportGraphJson(g, allKept(), { ...opts, qParams: { pinnedIds: ['1_5_2'], supernodes: [['group', '1_5_2', '1_3_1']], clerps: new Map([['26', 'x']]), extra: { gridsnap: true } }, info: { name: 'circuit-workbench', version: '0.1.0' } });
    expect(out.qParams).toMatchObject({ pinnedIds: ['1_5_2'], supernodes: [['group', '1_5_2', '1_3_1']], clerps: '[["26","x"]]', gridsnap: true, linkType: 'both' });
    expect(out.metadata.info).toEqual({ generator: { name: 'circuit-workbench', version: '0.1.0' } });
    expect(validate(out)).toBe(true);
  });
});

describe('importGraphJson', () => {
  it('round-trips export → import → export identically', () => {
    const imported = importGraphJson(text, 'test');
    const again = exportImportedGraphJson(imported);
    expect(again).toEqual(exported);
    expect(stringifyGraphJson(again)).toBe(text);
    expect(JSON.parse(text)).toEqual(exported);
    const f = imported.nodes.find((n) => n.nodeId === '1_5_2')!;
    expect(f).toMatchObject({ kind: 'feature', layer: 1, pos: 2, featureIdx: 5, tokenId: null, vocabIdx: null, activation: Math.fround(0.1) });
    expect(imported.nodes.find((n) => n.nodeId === 'E_42_1')).toMatchObject({ kind: 'token', layer: null, tokenId: 42, pos: 1 });
    expect(imported.nodes.find((n) => n.nodeId === '3_11_2')).toMatchObject({ kind: 'logit', layer: 3, vocabIdx: 11, tokenProb: 0.0625 });
    expect(imported.workbench).toMatchObject({ model: { fingerprint: 'm-abc' }, dictionary: { kind: 'plt' }, tokens: [1, 42, 7], edgeThreshold: 0.98 });
    expect(imported.legacy).toEqual({ featureIdSchema: 1, featureIdScale: null, legacyErrorIds: 0 });
  });

  it('reads legacy error ids and schema-0 feature ids (featIdx + layer·10^ceil(log10 D))', () => {
    const doc = JSON.parse(text) as GraphJson;
    delete (doc.metadata as Record<string, unknown>).schema_version;
    const rename = new Map<string, string>();
    for (const n of doc.nodes) {
      if (n.feature_type === 'cross layer transcoder') {
        const u = cantorUnpair(n.feature as number)!;
        n.feature = u.featIdx + u.layer * 100; // D = 32 → 10^2
        rename.set(n.node_id, `f${rename.size}`); // non-standard ids: the index must come from `feature`
      } else if (n.feature_type === 'mlp reconstruction error') rename.set(n.node_id, `0_${n.layer}_${n.ctx_idx}`);
    }
    for (const n of doc.nodes) n.node_id = rename.get(n.node_id) ?? n.node_id;
    for (const l of doc.links) [l.source, l.target] = [rename.get(l.source) ?? l.source, rename.get(l.target) ?? l.target];
    const imp = importGraphJson(JSON.stringify(doc), 'legacy');
    expect(imp.legacy).toEqual({ featureIdSchema: 0, featureIdScale: 100, legacyErrorIds: 3 });
    const feats = imp.nodes.filter((n) => n.kind === 'feature').map((n) => [n.layer, n.featureIdx, n.pos]);
    expect(feats).toEqual([[0, 5, 1], [0, 17, 2], [1, 3, 1], [1, 5, 2]]);
    expect(imp.nodes.filter((n) => n.kind === 'error').map((n) => [n.nodeId, n.layer, n.pos])).toContainEqual(['0_1_2', 1, 2]);
    expect(stringifyGraphJson(exportImportedGraphJson(imp))).toBe(stringifyGraphJson(doc));
    // A legacy error id that collides with a layer-0 feature id is ambiguous.
    const clash = JSON.parse(JSON.stringify(doc)) as GraphJson;
    clash.nodes[0].node_id = '0_1_2';
    userError(() => importGraphJson(JSON.stringify(clash), 'clash'), /two nodes have the id "0_1_2"/);
  });

  const mutate = (f: (d: GraphJson) => void) => {
    const d = JSON.parse(text) as GraphJson;
    f(d);
    return JSON.stringify(d);
  };
  /** text.replace that fails loudly when the pattern is absent (so a case cannot silently test the valid file). */
  const sub = (from: string, to: string) => {
    expect(text).toContain(from);
    return text.replace(from, to);
  };
  it.each<[string, () => string, RegExp]>([
    ['bad JSON', () => text.slice(0, -5), /is not valid JSON/],
    ['a missing required key', () => mutate((d) => delete (d.metadata as Record<string, unknown>).slug), /does not match the graph schema: \/metadata: must have required property 'slug'/],
    ['a wrongly typed field', () => mutate((d) => ((d.nodes[2] as Record<string, unknown>).feature = 'x')), /\/nodes\/2\/feature: must be integer,null/],
    ['deep nesting', () => '['.repeat(100_000), /nested more than 64 levels/],
    ['a __proto__ key', () => sub('"metadata":{', '"metadata":{"__proto__":{"polluted":1},'), /"__proto__", which is not allowed/],
    ['an escaped __proto__ key', () => sub('"metadata":{', '"metadata":{"\\u005f_proto__":1,'), /"__proto__", which is not allowed/],
    ['a constructor key in a node', () => sub('"activation":0.1', '"constructor":{},"activation":0.1'), /"constructor", which is not allowed/],
    ['an unknown node type', () => mutate((d) => (d.nodes[0].feature_type = 'lorsa')), /node 0 \("0_5_1"\) has unknown feature_type "lorsa"/],
    ['a link to a missing node', () => mutate((d) => (d.links[3].source = 'nope')), /link 3 refers to a missing node "nope"/],
    ['an unsupported schema version', () => mutate((d) => ((d.metadata as Record<string, unknown>).schema_version = 7)), /schema_version 7 is not supported/],
    ['a position outside the prompt', () => mutate((d) => (d.nodes[0].ctx_idx = 3)), /ctx_idx 3 is outside the prompt's 3 tokens/],
    ['a cantor id for another layer', () => mutate((d) => (d.nodes[0].feature = cantorPair(1, 5))), /decodes to layer 1, but the node's layer is 0/],
    ['an overflowing number', () => sub('"activation":0.1', '"activation":1e400'), /too large for a 64-bit float/],
    ['a bad field the schema does not cover', () => mutate((d) => ((d.nodes[0] as Record<string, unknown>).is_target_logit = 1)), /is_target_logit must be true or false/],
    ['malformed workbench extras', () => mutate((d) => (((d.metadata as Record<string, Record<string, unknown>>).circuit_workbench.nPos = -1))), /circuit_workbench\.nPos/],
  ])('refuses %s with a clear UserError', (_name, make, re) => userError(() => importGraphJson(make(), 'bad.json'), re));

  it('refuses input over the size limit (the limit is an option; 200 MB by default)', async () => {
    userError(() => importGraphJson(text, 'big.json', { maxBytes: 1000 }), /big\.json is \d+ bytes, over the 1000 bytes limit/);
    const dir = await mkdtemp(path.join(tmpdir(), 'cwb-json-'));
    try {
      const file = path.join(dir, 'g.json');
      await writeFile(file, text);
      await expect(importGraphJsonFile(file, { maxBytes: 1000 })).rejects.toThrow(/over the 1000 bytes limit/);
      expect((await importGraphJsonFile(file)).nodes).toHaveLength(lay.N);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('fuzz: random mutations of a valid export either import or give a UserError', () => {
    const base = JSON.parse(text) as unknown;
    const paths: (string | number)[][] = [];
    const walk = (v: unknown, p: (string | number)[]) => {
      paths.push(p);
      if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...p, i]));
      else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...p, k]);
    };
    walk(base, []);
    const key = fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('__proto__', 'constructor', 'prototype', 'node_id', 'feature', 'layer'));
    const mutation = fc.record({ at: fc.nat(), op: fc.constantFrom('delete', 'replace', 'addKey', 'truncate', 'flip'), value: fc.jsonValue({ maxDepth: 2 }), key, cut: fc.nat(), ch: fc.string({ minLength: 1, maxLength: 1 }) });
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (muts) => {
        let doc = JSON.parse(text) as unknown;
        let out: string | null = null;
        for (const m of muts) {
          const p = paths[m.at % paths.length];
          if (m.op === 'truncate' || m.op === 'flip') {
            const s: string = out ?? JSON.stringify(doc);
            const i = m.cut % s.length;
            out = m.op === 'truncate' ? s.slice(0, i) : s.slice(0, i) + m.ch + s.slice(i + 1);
            continue;
          }
          if (out !== null) continue; // text already broken: structural edits no longer apply
          if (p.length === 0) doc = m.value;
          else {
            // Paths come from the unmutated document: an earlier edit may have removed this one's parent.
            const parent = p.slice(0, -1).reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string | number, unknown>)[k] : undefined), doc) as Record<string | number, unknown>;
            const last = p[p.length - 1];
            if (!parent || typeof parent !== 'object') continue;
            if (m.op === 'delete') {
              if (Array.isArray(parent)) parent.splice(last as number, 1);
              else delete parent[last];
            } else if (m.op === 'replace') parent[last] = m.value;
            else if (!Array.isArray(parent)) Object.defineProperty(parent, m.key, { value: m.value, enumerable: true, writable: true, configurable: true });
          }
        }
        try {
          importGraphJson(out ?? JSON.stringify(doc) ?? 'null', 'fuzz');
        } catch (e) {
          if (!(e instanceof UserError)) throw e;
          expect(e.message).not.toContain('\n');
        }
      }),
      { numRuns: 200, seed: 4242 },
    );
  });
});

describe('raw graph (safetensors + JSON sidecar)', () => {
  let dir = '';
  beforeAll(async () => (dir = await mkdtemp(path.join(tmpdir(), 'cwb-raw-'))));
  afterAll(async () => rm(dir, { recursive: true, force: true }));
  const fresh = async (name: string) => {
    const file = path.join(dir, name);
    await writeRawGraph(file, g);
    return file;
  };

  it('round-trips every field and typed array exactly', async () => {
    const back = await readRawGraph(await fresh('a.cwbgraph'));
    expect(back).toEqual(g);
    expect(back.features.layer).toBeInstanceOf(Int32Array);
    expect(back.adjacency).toBeInstanceOf(Float32Array);
    expect(Buffer.from(back.adjacency.buffer, back.adjacency.byteOffset, back.adjacency.byteLength).equals(Buffer.from(g.adjacency.buffer))).toBe(true);
    expect(lay.kindOf(lay.N - 1)).toBe(NodeKind.logit);
  });

  it('refuses a flipped byte, a sidecar hash mismatch, truncation and a missing sidecar', async () => {
    const file = await fresh('b.cwbgraph');
    const bytes = await readFile(file);
    const flipped = Buffer.from(bytes);
    flipped[flipped.length - 7] ^= 0x01;
    await writeFile(file, flipped);
    await expect(readRawGraph(file)).rejects.toThrow(/does not match its sidecar \(sha256 differs\)/);
    await writeFile(file, bytes.subarray(0, bytes.length - 100));
    await expect(readRawGraph(file)).rejects.toThrow(/truncated or does not belong to this sidecar/);
    await writeFile(file, bytes);
    const side = await readFile(sidecarPath(file), 'utf8');
    await writeFile(sidecarPath(file), side.replace(/"sha256": "[0-9a-f]/, '"sha256": "g'));
    await expect(readRawGraph(file)).rejects.toThrow(/safetensors\.sha256/);
    const sc = JSON.parse(side) as { safetensors: { sha256: string } };
    sc.safetensors.sha256 = sc.safetensors.sha256.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    await writeFile(sidecarPath(file), JSON.stringify(sc));
    await expect(readRawGraph(file)).rejects.toThrow(/sha256 differs/);
    await writeFile(sidecarPath(file), side.slice(0, side.length / 2));
    await expect(readRawGraph(file)).rejects.toThrow(/raw graph sidecar .* is not valid JSON/);
    await rm(sidecarPath(file));
    await expect(readRawGraph(file)).rejects.toThrow(/cannot read raw graph sidecar .*: no such file/);
    for (const e of await Promise.allSettled([readRawGraph(file)])) expect(e.status === 'rejected' && e.reason instanceof UserError).toBe(true);
  });

  it('refuses a consistent-hash pair whose sidecar disagrees with the tensors, and values float32 cannot hold', async () => {
    const file = await fresh('c.cwbgraph');
    const sc = JSON.parse(await readFile(sidecarPath(file), 'utf8')) as { nPos: number; tokens: number[]; tokenTexts: string[]; targets: { weight: number }[] };
    await writeFile(sidecarPath(file), JSON.stringify({ ...sc, targets: sc.targets.map((t, k) => ({ ...t, weight: k === 0 ? 0.5 : t.weight })) }));
    await expect(readRawGraph(file)).rejects.toThrow(/target 0: the sidecar weight 0\.5/);
    await writeFile(sidecarPath(file), JSON.stringify({ ...sc, nPos: 4, tokens: [...sc.tokens, 1], tokenTexts: [...sc.tokenTexts, 'x'] }));
    await expect(readRawGraph(file)).rejects.toThrow(/the sidecar says 15 nodes, but F \+ L·T \+ T \+ K = 18/);
    const big = { ...g, features: { ...g.features, index: Int32Array.from([5, 17, 3, 2 ** 24]) } };
    await expect(writeRawGraph(path.join(dir, 'd.cwbgraph'), big)).rejects.toThrow(/features\.index\[3\] = 16777216 is too large/);
  });
});
