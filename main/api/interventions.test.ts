/**
 * intervene.run and test.run through the engine service on the real embedded model and dictionary: the answers
 * equal main/intervene's and main/explain's run directly on the same prompt, and are reported on the graph
 * (its logit targets, KL, which of its feature nodes moved).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiCallError, type ApiClient, type GraphNode, type GraphSummary } from '../../shared/api';
import type { Dictionary } from '../../shared/dictionary';
import type { CausalTest } from '../../shared/explanation';
import { interventionRequestSchema, type InterventionRequest } from '../../shared/intervention';
import type { ModelSpec } from '../../shared/model';
import { resolveToken } from '../attribution/targets';
import { loadDictionary } from '../dictionary/format';
import { runCausalTest } from '../explain/build';
import { intervene } from '../intervene/intervene';
import { loadModel } from '../model/load';
import { embeddedDictionaryPath } from '../paths';
import type { Tokenizer } from '../tokenizer/types';
import { klFromLogits } from '../engine/sampler';
import { createEngineService, localClient, type EngineService } from './service';

const PROMPT = 'Once upon a time, there was a little girl named';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'cwb-intervene-api-'));
let service: EngineService;
let api: ApiClient;
let spec: ModelSpec;
let tok: Tokenizer;
let dict: Dictionary;
let graph: GraphSummary;
let tokens: number[];
let lily: number;
let top: GraphNode[];

const codeOf = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ApiCallError);
    return (e as ApiCallError).code;
  }
  throw new Error('the call succeeded');
};

const ablate = (...nodes: GraphNode[]): InterventionRequest =>
  interventionRequestSchema.parse({
    edits: nodes.map((n) => ({ type: 'feature', layer: n.layer, feature: n.feature, pos: n.pos, op: 'ablate' })),
    target: { kind: 'token', token: lily },
  });

beforeAll(async () => {
  service = await createEngineService({ workspace: tmp });
  api = localClient(service);
  ({ spec, tokenizer: tok } = await loadModel());
  dict = await loadDictionary(embeddedDictionaryPath);
  tokens = tok.encode(PROMPT, { bos: true });
  lily = resolveToken(tok, spec.config.vocabSize, ' Lily');
  graph = await api.call('graph.trace', { prompt: PROMPT, target: { kind: 'salient' } });
  top = graph.nodes.filter((n) => n.kind === 'feature').sort((a, b) => b.influence - a.influence);
});
afterAll(async () => {
  await service.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('intervene.run', () => {
  it('ablating a top feature changes the target probability, exactly as main/intervene does on the same prompt', async () => {
    const req = ablate(top[0]);
    const r = await api.call('intervene.run', { graphId: graph.graphId, intervention: req });
    const direct = await intervene(spec, dict, tok, tokens, { ...req, topFeatures: 10_000 });
    expect(graph.tokens.map((t) => t.id)).toEqual(tokens);

    // The graph's target " Lily": its probability moved, and the numbers are main/intervene's.
    const t = r.targets.find((x) => x.token === lily)!;
    expect(t.node).toBe(graph.nodes.find((n) => n.kind === 'logit' && n.label === ' Lily')!.index);
    expect(Math.abs(t.probAfter! - t.probBefore!)).toBeGreaterThan(1e-3);
    expect([t.logitBefore, t.logitAfter]).toEqual([direct.before.logits[lily], direct.after.logits[lily]]);
    expect(t.probBefore).toBeCloseTo(direct.target!.probBefore!, 6);
    expect(t.probAfter).toBeCloseTo(direct.target!.probAfter!, 6);
    expect(t.probBefore).toBeCloseTo(graph.nodes[t.node].prob!, 5);
    expect(r.target).toEqual(direct.target);
    expect(r.before.top).toEqual(direct.before.top);
    expect(r.after.top).toEqual(direct.after.top);
    expect(r.targets.map((x) => x.node)).toEqual(graph.nodes.filter((n) => n.kind === 'logit').map((n) => n.index));
    expect(r.warnings).toEqual([]);

    // KL(before ‖ after), computed here independently.
    const p = (l: Float32Array) => {
      const m = Math.max(...l);
      const e = Array.from(l, (x) => Math.exp(x - m));
      const s = e.reduce((a, b) => a + b, 0);
      return e.map((x) => x / s);
    };
    const [pb, pa] = [p(direct.before.logits), p(direct.after.logits)];
    const kl = pb.reduce((s, x, i) => (x > 0 ? s + x * Math.log(x / pa[i]) : s), 0);
    expect(r.kl).toBeGreaterThan(0);
    expect(r.kl).toBeCloseTo(kl, 9);
    expect(klFromLogits(direct.before.logits, direct.before.logits)).toBe(0);

    // The clamp, mapped to the graph node.
    expect(r.applied).toEqual([{ layer: top[0].layer, feature: top[0].feature, pos: top[0].pos, before: direct.applied[0].before, after: 0, node: top[0].index }]);
    expect(r.applied[0].before).toBeCloseTo(top[0].activation!, 4);
  });

  it('affectedNodes: the graph feature nodes that moved, largest change first, all downstream of the edit, as main/intervene measures them', async () => {
    const req = ablate(top[0]);
    const r = await api.call('intervene.run', { graphId: graph.graphId, intervention: req });
    const direct = await intervene(spec, dict, tok, tokens, { ...req, topFeatures: 10_000 });
    const changes = new Map(direct.featureChanges.map((c) => [`${c.layer}_${c.feature}_${c.pos}`, c]));
    expect(direct.featureChanges.length).toBeLessThan(10_000); // so the map holds every change
    expect(r.affectedNodes.length).toBeGreaterThan(0);
    for (const [i, a] of r.affectedNodes.entries()) {
      const n = graph.nodes[a.node];
      expect(n.kind).toBe('feature');
      expect(a.node).not.toBe(top[0].index);
      // A frozen-mode clamp at (l, p) can only move features of later layers at positions ≥ p.
      expect(n.layer).toBeGreaterThan(top[0].layer);
      expect(n.pos).toBeGreaterThanOrEqual(top[0].pos);
      expect(a.before).toBeCloseTo(n.activation!, 4);
      const c = changes.get(n.id)!;
      expect([a.before, a.after]).toEqual([c.before, c.after]);
      if (i > 0) expect(Math.abs(a.after - a.before)).toBeLessThanOrEqual(Math.abs(r.affectedNodes[i - 1].after - r.affectedNodes[i - 1].before));
    }
    // Every graph feature that moved is reported.
    const inGraph = direct.featureChanges.filter((c) => graph.nodes.some((n) => n.id === `${c.layer}_${c.feature}_${c.pos}`));
    expect(r.affectedNodes).toHaveLength(inGraph.length);
  });

  it('supports the other modes, topK and a continuation, as main/intervene does', async () => {
    const req = interventionRequestSchema.parse({ edits: [{ type: 'group', op: 'scale', value: 3, features: top.slice(0, 2).map((n) => ({ layer: n.layer, feature: n.feature, pos: n.pos })) }], mode: 'free', generate: 3 });
    const r = await api.call('intervene.run', { graphId: graph.graphId, intervention: req, topK: 3 });
    const direct = await intervene(spec, dict, tok, tokens, { ...req, topK: 3 });
    expect(r.mode).toBe('free');
    expect(r.after.top).toEqual(direct.after.top);
    expect(r.after.top).toHaveLength(3);
    expect(r.generated).toEqual({ tokens: direct.generated!.tokens, text: direct.generated!.text });
    expect(r.target).toBeNull();
    const constrained = await api.call('intervene.run', { graphId: graph.graphId, intervention: { ...ablate(top[0]), mode: 'constrained' } });
    const d2 = await intervene(spec, dict, tok, tokens, { ...ablate(top[0]), mode: 'constrained' });
    expect(constrained.targets.find((x) => x.token === lily)!.logitAfter).toBe(d2.after.logits[lily]);
  });

  it('a contrast target is reported as logit(a) − logit(b)', async () => {
    const tim = resolveToken(tok, spec.config.vocabSize, ' Tim');
    const g = await api.call('graph.trace', { prompt: PROMPT, target: { kind: 'contrast', a: ' Lily', b: ' Tim' } });
    const r = await api.call('intervene.run', { graphId: g.graphId, intervention: ablate(top[0]) });
    const d = await intervene(spec, dict, tok, tokens, ablate(top[0]));
    expect(r.targets).toHaveLength(1);
    expect(r.targets[0]).toMatchObject({ token: null, probBefore: null, probAfter: null });
    expect(r.targets[0].logitBefore).toBe(d.before.logits[lily] - d.before.logits[tim]);
    expect(r.targets[0].logitAfter).toBe(d.after.logits[lily] - d.after.logits[tim]);
  });

  it('a graph file that does not name its dictionary and model: allowed, with warnings', async () => {
    await api.call('graph.export', { graphId: graph.graphId, path: 'g.json', nodeThreshold: 0.8, edgeThreshold: 0.98 });
    const obj = JSON.parse(readFileSync(path.join(tmp, 'g.json'), 'utf8')) as { metadata: Record<string, unknown> };
    delete obj.metadata.circuit_workbench;
    writeFileSync(path.join(tmp, 'plain.json'), JSON.stringify(obj));
    const opened = await api.call('graph.open', { path: 'plain.json' });
    const r = await api.call('intervene.run', { graphId: opened.graphId, intervention: ablate(top[0]) });
    expect(r.warnings).toHaveLength(2);
    expect(r.warnings.join(' ')).toMatch(/dictionary/);
    const direct = await intervene(spec, dict, tok, tokens, ablate(top[0]));
    expect(r.targets.find((t) => t.token === lily)!.logitAfter).toBe(direct.after.logits[lily]);
  });

  it('errors: unknown graph → not-found; impossible edits → user; malformed → bad-request', async () => {
    expect(await codeOf(api.call('intervene.run', { graphId: 'g999', intervention: ablate(top[0]) }))).toBe('not-found');
    const bad = interventionRequestSchema.parse({ edits: [{ type: 'feature', layer: 99, feature: 0, pos: 1, op: 'ablate' }] });
    expect(await codeOf(api.call('intervene.run', { graphId: graph.graphId, intervention: bad }))).toBe('user');
    const farPos = interventionRequestSchema.parse({ edits: [{ type: 'feature', layer: 0, feature: 0, pos: 500, op: 'ablate' }] });
    expect(await codeOf(api.call('intervene.run', { graphId: graph.graphId, intervention: farPos }))).toBe('user');
    const malformed = { edits: [{ type: 'feature', layer: 0, feature: 0, pos: 1, op: 'explode' }] } as unknown as InterventionRequest;
    expect(await codeOf(api.call('intervene.run', { graphId: graph.graphId, intervention: malformed }))).toBe('bad-request');
  });
});

describe('test.run', () => {
  it('judges a causal test exactly as runCausalTest (cwb explain / cwb verify) does', async () => {
    const tests: Omit<CausalTest, 'result'>[] = [
      { id: 't1', name: 'ablate the top features', intervention: ablate(...top.slice(0, 3)), expectation: { kind: 'probDrop', token: lily, atLeastFraction: 0.2 } },
      { id: 't2', name: 'baseline', intervention: interventionRequestSchema.parse({ edits: [] }), expectation: { kind: 'probAtLeast', token: lily, value: 0.5 } },
      { id: 't3', name: 'logit', intervention: ablate(top[0]), expectation: { kind: 'logitChange', token: lily, atMost: -0.5 } },
    ];
    for (const t of tests) {
      const t0 = Date.now();
      const r = await api.call('test.run', { graphId: graph.graphId, test: t });
      const direct = await runCausalTest(spec, dict, tok, tokens, t.intervention, t.expectation);
      expect({ passed: r.passed, before: r.before, after: r.after }).toEqual(direct);
      expect(Date.parse(r.ranAt)).toBeGreaterThanOrEqual(t0 - 1000);
    }
    expect((await api.call('test.run', { graphId: graph.graphId, test: tests[1] })).passed).toBe(true);
  });

  it('refuses a malformed test', async () => {
    const bad = { id: 't', name: 'x', intervention: ablate(top[0]), expectation: { kind: 'probDrop', token: lily, atLeastFraction: 2 } };
    expect(await codeOf(api.call('test.run', { graphId: graph.graphId, test: bad as unknown as CausalTest }))).toBe('bad-request');
  });
});
