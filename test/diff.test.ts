/**
 * Model diffs (issue 9) on v2 models built from the embedded one with known changes: a rank-one edit of layer 3's
 * MLP output weights that renames girls " Lily" → " Tim", a perturbation of layer 1's attention output weights, a
 * Q8_0 requantization, and a bit-identical copy. Independent checks: the edit is rank one by construction; the
 * batched, padded outputs equal single unpadded runs; patching the one changed component must reproduce B exactly
 * (everything upstream of it is identical, so A with B's output there *is* B); the flipped prompts are measured
 * separately; the explanation's test is judged by verify's own code on B.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Dictionary } from '../shared/dictionary';
import type { DiffReport } from '../shared/diff';
import { diffReportSchema } from '../shared/diff';
import { loadModel, type LoadedModel } from '../main/model/load';
import { loadDictionary } from '../main/dictionary/format';
import { embeddedDictionaryPath } from '../main/paths';
import { runForward } from '../native/forwardRun';
import { runDiff } from '../main/diff/run';
import { argmax, klFromLogits } from '../main/engine/sampler';
import { estimateRank } from '../main/diff/lowRank';
import { makeExplanation } from '../main/explain/build';
import { saveExplanation } from '../main/explain/file';
import { parseTestSpec } from '../main/explain/testSpec';
import { interventionRequestSchema } from '../shared/intervention';
import { mulberry32 } from '../shared/prng';
import { encodePrompt } from '../main/dictionary/encode';
import { alignGraphs, graphDiff } from '../main/diff/graphs';
import { CONTROLS, EDIT_LAYER, NAMING, PERTURBED, writeTestModels, type TestModels } from './diffModels';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'cwb-diff-'));
const entries = [...NAMING.map((p) => ({ prompt: p })), ...CONTROLS.map((p) => ({ prompt: p }))];
let A: LoadedModel;
let dict: Dictionary;
let files: TestModels;

async function diff(candidate: string, extra: Partial<Parameters<typeof runDiff>[0]> = {}): Promise<DiffReport> {
  const B = await loadModel({ model: candidate });
  return runDiff({ base: A, candidate: B, suite: { name: 'test', entries }, dict, dictDir: embeddedDictionaryPath, ...extra });
}

async function lastLogitsSingle(model: string, text: string): Promise<Float32Array> {
  const m = await loadModel({ model });
  const ids = m.tokenizer.encode(text, { bos: true });
  const V = m.spec.config.vocabSize;
  return (await runForward(m.spec, { tokens: [ids], outputs: ['logits'] })).get('logits')!.data.slice((ids.length - 1) * V, ids.length * V);
}

beforeAll(async () => {
  A = await loadModel();
  dict = await loadDictionary(embeddedDictionaryPath);
  files = await writeTestModels(tmp, A.spec, A.tokenizer);
});

describe('identical models', () => {
  it('give an empty diff: every change exactly zero', async () => {
    const r = await diff(files.same);
    expect(diffReportSchema.parse(r)).toEqual(r);
    expect(r.comparability.level).toBe('full');
    expect(r.weights!.identical).toBe(true);
    for (const t of r.weights!.tensors) {
      expect([t.relChange, t.absChange, t.maxAbs, t.changedEntries]).toEqual([0, 0, 0, 0]);
      if (t.rank) expect(t.rank.rank).toBe(0);
    }
    for (const c of r.weights!.components) expect(c.relChange).toBe(0);
    expect(r.outputs.prompts.every((p) => p.kl === 0 && !p.flipped && p.topA.p === p.topB.p)).toBe(true);
    expect([r.outputs.meanKl, r.outputs.maxKl, r.outputs.flips]).toEqual([0, 0, 0]);
    expect(r.patching!.prompts).toEqual([]);
    expect(r.patching!.components.every((c) => c.reproduced === 0 && c.restored === 0)).toBe(true);
    expect(r.features!.rows).toEqual([]);
    expect(r.graphs).toEqual([]);
  });
});

describe('rank-one edit of layer 3 MLP output weights (" Lily" → " Tim")', () => {
  let r: DiffReport;
  beforeAll(async () => {
    // Explanations saved on v1: one depends on the renamed girl, one on an unrelated control prompt.
    const dir = mkdtempSync(path.join(tmp, 'expl-'));
    const save = async (name: string, prompt: string, test: string) => {
      const tokens = A.tokenizer.encode(prompt, { bos: true });
      const t = parseTestSpec(test, A.tokenizer, 512, tokens.length);
      const e = await makeExplanation(A.spec, dict, A.tokenizer, {
        prompt, tokens, targets: { kind: 'salient' }, attribution: { maxFeatureNodes: null, batchSize: 256, nodeThreshold: 0.8, edgeThreshold: 0.98 },
        tests: [{ name: test, spec: test, intervention: interventionRequestSchema.parse({ edits: t.edits, mode: t.mode }), expectation: t.expectation }],
      });
      expect(e.tests[0].result!.passed).toBe(true);
      saveExplanation(path.join(dir, name), e);
    };
    await save('lily.circuit.json', NAMING[0], 'none => p( Lily) >= 50%');
    await save('park.circuit.json', 'Tom and Lily went to the park. They', 'none => p( saw) >= 50%');
    r = await diff(files.edit, { explanationFiles: [path.join(dir, 'lily.circuit.json'), path.join(dir, 'park.circuit.json')] });
  }, 120_000);

  it('weights: the edited component and tensor rank first, nothing else changed, and the change is rank 1', () => {
    const w = r.weights!;
    expect(w.components[0].id).toBe(`blocks.${EDIT_LAYER}.mlp`);
    expect(w.components.slice(1).every((c) => c.relChange === 0)).toBe(true);
    const t = w.tensors[0];
    expect(t.name).toBe(`blocks.${EDIT_LAYER}.mlp.W_out`);
    expect(t.rank).toMatchObject({ rank: 1, atLeast: false });
    expect(t.rank!.rankOneEnergy).toBeGreaterThan(0.999999);
    expect(t.rank!.singularValues[1] / t.rank!.singularValues[0]).toBeLessThan(1e-4);
    expect(w.tensors.slice(1).every((x) => x.changedEntries === 0)).toBe(true);
  });

  it('outputs: the affected prompts are the naming prompts whose top token flipped, first', async () => {
    const top = r.outputs.prompts.slice(0, NAMING.length);
    expect(new Set(top.map((p) => p.text))).toEqual(new Set(NAMING));
    expect(top.every((p) => p.flipped && p.topB.text === ' Tim')).toBe(true);
    expect(r.outputs.prompts.filter((p) => p.flipped).map((p) => p.text).sort()).toEqual([...NAMING].sort());
    // Independent: single unpadded runs of each model give the same KL and flips as the batched report.
    for (const p of r.outputs.prompts.slice(0, 3).concat(r.outputs.prompts.slice(-2))) {
      const la = await lastLogitsSingle(A.spec.path, p.text);
      const lb = await lastLogitsSingle(files.edit, p.text);
      expect(Math.abs(klFromLogits(la, lb) - p.kl)).toBeLessThan(1e-4 * Math.max(1, p.kl));
      expect([argmax(la), argmax(lb)]).toEqual([p.topA.id, p.topB.id]);
    }
  });

  it('patching: layer 3 MLP output alone reproduces the change and restores A (exact identity), and ranks first', () => {
    const c = r.patching!.components;
    expect(c[0].hook).toBe(`blocks.${EDIT_LAYER}.hook_mlp_out`);
    expect(c[0].reproduced).toBeGreaterThan(0.999);
    expect(c[0].restored).toBeGreaterThan(0.999);
    for (const p of c[0].perPrompt) if (p.logitDiffReproduced !== null) expect(p.logitDiffReproduced).toBeCloseTo(1, 3);
    // Components upstream of the edit see identical inputs in both models: patching them changes nothing.
    for (const x of c.filter((k) => k.layer !== null && k.layer < EDIT_LAYER)) expect(Math.abs(x.reproduced)).toBeLessThan(1e-5);
    expect(r.patching!.prompts.length).toBe(8);
  });

  it('features: the top feature\'s statistics equal those of unbatched single-prompt encodings of A and B', async () => {
    const B = await loadModel({ model: files.edit });
    const top = r.features!.rows[0];
    const d: Dictionary = { ...dict, model: {} };
    let sumA = 0;
    let sumB = 0;
    let sumAbs = 0;
    let n = 0;
    for (const e of entries) {
      const tokens = A.tokenizer.encode(e.prompt, { bos: true });
      const ea = await encodePrompt(A.spec, d, tokens);
      const eb = await encodePrompt(B.spec, d, tokens);
      const D = ea.act[top.layer].shape[1];
      for (let t = 1; t < tokens.length; t++) {
        const a = ea.act[top.layer].data[t * D + top.feature];
        const b = eb.act[top.layer].data[t * D + top.feature];
        sumA += a;
        sumB += b;
        sumAbs += Math.abs(b - a);
        n++;
      }
    }
    expect(r.features!.positions).toBe(n);
    expect(top.meanA).toBeCloseTo(sumA / n, 5);
    expect(top.meanB).toBeCloseTo(sumB / n, 5);
    expect(top.meanAbsChange).toBeCloseTo(sumAbs / n, 5);
  });

  it('graphs: a model against itself aligns with nothing gained, lost or re-weighted', async () => {
    const g = await graphDiff(A.spec, A.spec, dict, A.tokenizer, { index: 0, text: NAMING[0], tokens: A.tokenizer.encode(NAMING[0], { bos: true }) }, [317, 326]);
    expect(g.nodes.gained).toEqual([]);
    expect(g.nodes.lost).toEqual([]);
    expect([g.edges.gained, g.edges.lost, g.edges.reweighted.length, g.influenceShift.length]).toEqual([0, 0, 0, 0]);
    expect(g.nodes.common).toBe(g.graphA.nodes.length);
    // Alignment by id: a node removed from one side is lost; an edge's weight change is a re-weighting.
    const b = { nodes: g.graphA.nodes.slice(1), edges: g.graphA.edges.map((e, i) => (i === 0 ? { ...e, weight: e.weight + 1 } : e)).filter((e) => e.source !== g.graphA.nodes[0].id && e.target !== g.graphA.nodes[0].id) };
    const al = alignGraphs(g.graphA, b);
    expect(al.nodes.lost).toEqual([g.graphA.nodes[0].id]);
    expect(al.nodes.gained).toEqual([]);
  });

  it('features and graphs: features downstream of the edit change; the graph pair of the top prompt differs', () => {
    const f = r.features!.rows;
    expect(f.length).toBeGreaterThan(0);
    // The dictionary reads each MLP's input, which the layer-3 MLP output reaches only from layer 4 on.
    expect(f.every((x) => x.layer > EDIT_LAYER)).toBe(true);
    expect(f[0].card).not.toBeNull();
    const g = r.graphs![0];
    expect(NAMING).toContain(g.text);
    expect(g.targets.map((t) => t.text).sort()).toEqual([' Lily', ' Tim']);
    expect(g.nodes.gained.length + g.nodes.lost.length + g.edges.reweighted.length).toBeGreaterThan(0);
  });

  it('explanations: the one that depends on " Lily" fails on v2, the unrelated one holds', () => {
    const [lily, park] = r.explanations!;
    expect(lily.ok).toBe(false);
    expect(lily.tests[0]).toMatchObject({ passedOnA: true, passedOnB: false });
    expect(lily.tests[0].after).toBeLessThan(0.5);
    expect(park.ok).toBe(true);
  });
});

describe('perturbation of layer 1 attention output weights', () => {
  it('ranks blocks.1.attn first (full-rank change) and patching localizes it to blocks.1.hook_attn_out', async () => {
    const r = await diff(files.attn, { dict: undefined });
    expect(r.weights!.components[0].id).toBe('blocks.1.attn');
    expect(r.weights!.tensors[0].name).toBe(PERTURBED);
    expect(r.weights!.tensors[0].relChange).toBeCloseTo(0.5, 1);
    // Independent: ‖ΔW‖/‖W‖ in float64 from the two files' tensors.
    const B = await loadModel({ model: files.attn });
    const wa = A.spec.weights.get(PERTURBED)!.data;
    const wb = B.spec.weights.get(PERTURBED)!.data;
    let dd = 0;
    let aa = 0;
    for (let i = 0; i < wa.length; i++) {
      dd += (wb[i] - wa[i]) ** 2;
      aa += wa[i] ** 2;
    }
    expect(r.weights!.tensors[0].relChange).toBeCloseTo(Math.sqrt(dd / aa), 5);
    expect(r.weights!.tensors[0].rank).toMatchObject({ rank: 12, atLeast: true });
    expect(r.outputs.maxKl).toBeGreaterThan(0);
    const c = r.patching!.components;
    expect(c[0].hook).toBe('blocks.1.hook_attn_out');
    expect(c[0].reproduced).toBeGreaterThan(0.999);
    expect(c[0].restored).toBeGreaterThan(0.999);
    expect(r.features).toBeNull();
  }, 60_000);
});

describe('Q8_0 requantized copy', () => {
  it('every matrix changes a little (full rank), norms not at all, outputs barely', async () => {
    const r = await diff(files.q80, { dict: undefined });
    expect(r.candidate.format).toBe('llama2c-v2-q8_0');
    for (const t of r.weights!.tensors) {
      if (t.shape.length === 1) expect(t.changedEntries).toBe(0); // norms stay float32 in version 2
      else {
        expect(t.relChange).toBeGreaterThan(0);
        expect(t.relChange).toBeLessThan(0.02);
        expect(t.rank!.atLeast || t.rank!.rank === Math.min(...t.shape)).toBe(true);
      }
    }
    expect(r.outputs.meanKl).toBeGreaterThan(0);
    expect(r.outputs.meanKl).toBeLessThan(1e-3);
  }, 60_000);
});

describe('rank estimate', () => {
  it('finds the rank of random low-rank matrices and flags full rank as a lower bound', async () => {
    const rand = mulberry32(5);
    const [m, n] = [40, 70];
    for (const k of [1, 2, 3, 5]) {
      const d = new Float32Array(m * n);
      for (let c = 0; c < k; c++) {
        const u = Array.from({ length: m }, () => rand() - 0.5);
        const v = Array.from({ length: n }, () => rand() - 0.5);
        for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) d[i * n + j] += u[i] * v[j] * 2 ** -c;
      }
      const fro = d.reduce((s, x) => s + x * x, 0);
      expect(await estimateRank(d, m, n, fro)).toMatchObject({ rank: k, atLeast: false });
    }
    const full = Float32Array.from({ length: m * n }, () => rand() - 0.5);
    expect(await estimateRank(full, m, n, full.reduce((s, x) => s + x * x, 0))).toMatchObject({ rank: 12, atLeast: true });
  });
});
