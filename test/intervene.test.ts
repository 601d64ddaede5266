/**
 * Interventions (issue 5): constrained mode reproduces the attribution graph's adjacency columns; frozen and free
 * modes equal explicit hook edits made by hand through runForward; a null intervention changes nothing.
 * Embedded stories260K model with the embedded TopK PLT (skip transcoders).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { AttributionGraph } from '../shared/graph';
import { graphLayout } from '../shared/graph';
import type { Dictionary } from '../shared/dictionary';
import type { ModelSpec } from '../shared/model';
import type { HookIntervention } from '../shared/forward';
import { runForward } from '../native/forwardRun';
import { loadModel } from '../main/model/load';
import { loadDictionary } from '../main/dictionary/format';
import { encodePrompt } from '../main/dictionary/encode';
import type { Tokenizer } from '../main/tokenizer/types';
import { attributeGraph } from '../main/attribution/attribute';
import { embeddedDictionaryPath } from '../main/paths';
import { intervene } from '../main/intervene/intervene';
import { decoderRow, encodeRow, rowOf } from '../main/intervene/math';
import { argmax, Rng } from '../main/engine/sampler';
import { isUserError } from '../main/errors';
import { maxAbsDiff } from './helpers';

let spec: ModelSpec;
let dict: Dictionary;
let tok: Tokenizer;
let tokens: number[];
const PROMPT = 'Once upon a time, there was a little girl named Lily. She';

beforeAll(async () => {
  ({ spec, tokenizer: tok } = await loadModel());
  dict = await loadDictionary(embeddedDictionaryPath);
  tokens = tok.encode(PROMPT, { bos: true });
});

const lastLogits = async (req: { interventions?: HookIntervention[]; freeze?: Map<string, import('../shared/tensor').Tensor> }) => {
  const V = spec.config.vocabSize;
  const r = await runForward(spec, { tokens: [tokens], outputs: ['logits', ...[...Array(5).keys()].map((l) => `blocks.${l}.mlp.hook_in`)], ...req });
  return { logits: r.get('logits')!.data.slice((tokens.length - 1) * V), run: r };
};
const addDec = (l: number, f: number, p: number, s: number): HookIntervention => ({ hook: `blocks.${l}.hook_mlp_out`, op: 'add', positions: [p], value: decoderRow(dict, l, l, f).map((w) => w * s) });

describe('constrained mode = direct effects = adjacency columns', () => {
  let graph: AttributionGraph;
  beforeAll(async () => {
    graph = await attributeGraph(spec, dict, tok, tokens, { targets: { kind: 'salient' }, batchSize: 256 });
  });

  it('ablating a feature changes each target demeaned logit by −A[target, feature] (≥ 20 features) and an error node by −A[target, error]', async () => {
    const lay = graphLayout(graph);
    const rng = new Rng(5);
    const feats = [...Array(lay.F).keys()].sort(() => rng.f32() - 0.5).slice(0, 24);
    const errs = [lay.errorNode(1, lay.T - 1), lay.errorNode(3, lay.T - 2), lay.errorNode(4, lay.T - 1)];
    expect(feats.length).toBeGreaterThanOrEqual(20);
    const V = spec.config.vocabSize;
    let worst = 0;
    let checked = 0;
    for (const s of [...feats, ...errs]) {
      const edit = s < lay.F
        ? { type: 'feature' as const, layer: graph.features.layer[s], feature: graph.features.index[s], pos: graph.features.pos[s], op: 'ablate' as const }
        : { type: 'error' as const, layer: Math.floor((s - lay.errorStart) / lay.T), pos: (s - lay.errorStart) % lay.T, op: 'ablate' as const };
      const r = await intervene(spec, dict, tok, tokens, { edits: [edit], mode: 'constrained', topFeatures: 0 });
      let meanDelta = 0;
      for (let v = 0; v < V; v++) meanDelta += (r.after.logits[v] - r.before.logits[v]) / V;
      graph.targets.forEach((t, k) => {
        const got = r.after.logits[t.vocabIdx] - r.before.logits[t.vocabIdx] - meanDelta;
        const want = -graph.adjacency[lay.logitNode(k) * lay.N + s];
        worst = Math.max(worst, Math.abs(got - want) / (2e-4 + 2e-3 * Math.abs(want)));
        checked++;
      });
    }
    expect(checked).toBeGreaterThanOrEqual(20);
    expect(worst, 'worst |Δ − (−A)| / (2e-4 + 2e-3·|A|)').toBeLessThanOrEqual(1);
  });
});

describe('frozen and free modes = hook edits by hand', () => {
  it('free: ablating f at (l, p) = adding −a·W_dec[f] to blocks.l.hook_mlp_out at p', async () => {
    const enc = await encodePrompt(spec, dict, tokens);
    const T = tokens.length;
    const i = [...Array(enc.features.count).keys()].find((j) => enc.features.layer[j] === 2 && enc.features.pos[j] === T - 1)!;
    const [l, p, f, a] = [enc.features.layer[i], enc.features.pos[i], enc.features.feature[i], enc.features.value[i]];
    const r = await intervene(spec, dict, tok, tokens, { edits: [{ type: 'feature', layer: l, feature: f, pos: p, op: 'ablate' }], mode: 'free' });
    const hand = await lastLogits({ interventions: [addDec(l, f, p, -a)] });
    expect(maxAbsDiff(r.after.logits, hand.logits)).toBeLessThan(1e-4);
    expect(maxAbsDiff(r.after.logits, r.before.logits)).toBeGreaterThan(1e-3);
    expect(r.applied).toEqual([{ layer: l, feature: f, pos: p, before: expect.closeTo(a, 4), after: 0 }]);
  });

  it('frozen: two clamps in layers 1 and 3 = patterns frozen, layer-1 delta, re-encode layer 3 in that run, its delta', async () => {
    const enc = await encodePrompt(spec, dict, tokens);
    const T = tokens.length;
    const pick = (l: number, p: number) => {
      const j = [...Array(enc.features.count).keys()].find((k) => enc.features.layer[k] === l && enc.features.pos[k] === p)!;
      return { f: enc.features.feature[j], a: enc.features.value[j] };
    };
    const e1 = pick(1, T - 2);
    const e3 = pick(3, T - 1);
    const r = await intervene(spec, dict, tok, tokens, {
      edits: [{ type: 'feature', layer: 3, feature: e3.f, pos: T - 1, op: 'scale', value: 3 }, { type: 'feature', layer: 1, feature: e1.f, pos: T - 2, op: 'ablate' }],
    });
    const clean = await runForward(spec, { tokens: [tokens], outputs: [...Array(5).keys()].map((l) => `blocks.${l}.attn.hook_pattern`) });
    const freeze = new Map(clean);
    const step1 = addDec(1, e1.f, T - 2, -e1.a);
    const mid = await lastLogits({ freeze, interventions: [step1] });
    const cur3 = encodeRow(dict, 3, rowOf(mid.run.get('blocks.3.mlp.hook_in')!, T - 1), T - 1)[e3.f];
    expect(Math.abs(cur3 - e3.a)).toBeGreaterThan(0); // the lower edit really moved the upper feature
    const hand = await lastLogits({ freeze, interventions: [step1, addDec(3, e3.f, T - 1, 2 * cur3)] });
    expect(maxAbsDiff(r.after.logits, hand.logits)).toBeLessThan(1e-4);
    expect(r.applied.map((c) => [c.layer, c.after / (c.before || 1)])).toEqual([[1, 0], [3, expect.closeTo(3, 5)]]);
  });

  it('steering and hook patches equal the same edits by hand', async () => {
    const T = tokens.length;
    const other = tok.encode('Once upon a time, there was a little boy named Tom. He', { bos: true });
    const src = await runForward(spec, { tokens: [other], outputs: ['blocks.2.hook_resid_post'] });
    const d = spec.config.dModel;
    const slice = src.get('blocks.2.hook_resid_post')!.data.slice(5 * d, 6 * d);
    const r = await intervene(spec, dict, tok, tokens, {
      mode: 'free',
      edits: [
        { type: 'steer', layer: 4, feature: 17, strength: 2.5, positions: [T - 1] },
        { type: 'patchHook', source: { tokens: other }, hook: 'blocks.2.hook_resid_post', positions: [5] },
      ],
    });
    const hand = await lastLogits({ interventions: [addDec(4, 17, T - 1, 2.5), { hook: 'blocks.2.hook_resid_post', op: 'set', positions: [5], value: slice }] });
    expect(maxAbsDiff(r.after.logits, hand.logits)).toBeLessThan(1e-4);
  });
});

describe('null interventions', () => {
  it.each(['frozen', 'free', 'constrained'] as const)('%s: no edits, scale ×1, and patching features from the same prompt change nothing', async (mode) => {
    const T = tokens.length;
    for (const edits of [[], [{ type: 'feature' as const, layer: 2, feature: 5, pos: T - 1, op: 'scale' as const, value: 1 }], [{ type: 'patchFeatures' as const, source: { prompt: PROMPT }, positions: [T - 1, T - 2] }]]) {
      const r = await intervene(spec, dict, tok, tokens, { edits, mode, topFeatures: 5 });
      expect(maxAbsDiff(r.after.logits, r.before.logits)).toBeLessThan(2e-4);
      for (const c of r.featureChanges) expect(Math.abs(c.after - c.before)).toBeLessThan(2e-3);
    }
  });

  it('generation with no edits is the greedy continuation of the prompt', async () => {
    const r = await intervene(spec, dict, tok, tokens, { edits: [], mode: 'free', generate: 8 });
    const seq = [...tokens];
    const V = spec.config.vocabSize;
    for (let i = 0; i < 8; i++) {
      const out = await runForward(spec, { tokens: [seq], outputs: ['logits'] });
      seq.push(argmax(out.get('logits')!.data.subarray((seq.length - 1) * V, seq.length * V)));
    }
    expect(r.generated!.tokens).toEqual(seq.slice(tokens.length, tokens.length + r.generated!.tokens.length));
    expect(r.generated!.tokens.length).toBeGreaterThan(0);
  });
});

describe('results and bad requests', () => {
  it('ablating the strongest late features lowers the top token, reports target change and downstream features', async () => {
    const enc = await encodePrompt(spec, dict, tokens);
    const T = tokens.length;
    const top = argmax(await lastLogits({}).then((x) => x.logits));
    const feats = [...Array(enc.features.count).keys()].filter((j) => enc.features.pos[j] === T - 1 && enc.features.layer[j] >= 3);
    const t0 = performance.now();
    const r = await intervene(spec, dict, tok, tokens, {
      edits: [{ type: 'group', op: 'ablate', features: feats.map((j) => ({ layer: enc.features.layer[j], feature: enc.features.feature[j], pos: T - 1 })) }],
      target: { kind: 'token', token: top },
      generate: 5,
    });
    console.log(`intervene (frozen, ${feats.length} clamps, 5 generated tokens): ${(performance.now() - t0).toFixed(1)} ms`);
    expect(r.target!.after).toBeLessThan(r.target!.before);
    expect(r.target!.probAfter!).toBeLessThan(r.target!.probBefore!);
    expect(r.before.top[0].token).toBe(top);
    expect(r.featureChanges.length).toBeGreaterThan(0);
    expect(r.featureChanges.every((c) => c.layer >= 3)).toBe(true);
  });

  it.each([
    [{ edits: [{ type: 'feature', layer: 9, feature: 1, pos: 1, op: 'ablate' }] }, /layer 9 does not exist/],
    [{ edits: [{ type: 'feature', layer: 1, feature: 5000, pos: 1, op: 'ablate' }] }, /feature 5000 does not exist/],
    [{ edits: [{ type: 'feature', layer: 1, feature: 1, pos: 99, op: 'ablate' }] }, /position 99 is outside/],
    [{ edits: [{ type: 'feature', layer: 1, feature: 1, pos: 1, op: 'set' }] }, /need a value/],
    [{ edits: [{ type: 'error', layer: 1, pos: 1, op: 'set', value: 1 }] }, /edits\.0\.op/],
    [{ edits: [], mode: 'sideways' }, /mode/],
    [{ edits: [{ type: 'patchHook', source: { prompt: 'x' }, hook: 'blocks.1.nope', positions: [1] }] }, /not a hook/],
  ])('refused with a clear message: %j', async (req, re) => {
    const e = await intervene(spec, dict, tok, tokens, req as never).then(() => null, (x: unknown) => x);
    expect(isUserError(e)).toBe(true);
    expect((e as Error).message).toMatch(re);
  });
});

describe('cwb intervene', () => {
  it('--json prints tokens and full before/after last-position logits, top-k and the target change; bad edits exit 2', async () => {
    const { spawnSync } = await import('node:child_process');
    const path = await import('node:path');
    const { packageRoot } = await import('../main/paths');
    const run = (...args: string[]) => spawnSync(process.execPath, [path.join(packageRoot, 'bin', 'cwb.js'), 'intervene', ...args], { encoding: 'utf8', timeout: 120_000 });
    const r = run('--prompt', PROMPT, '--ablate', '4:-1:-1', '--scale', '3:100:-1=2', '--target', ' lo', '--mode', 'free', '--generate', '4', '--json');
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.tokens).toEqual(tokens);
    expect(j.before.logits).toHaveLength(spec.config.vocabSize);
    expect(j.after.logits).toHaveLength(spec.config.vocabSize);
    expect(j.before.top).toHaveLength(10);
    expect(j.target.change).toBeCloseTo(j.target.after - j.target.before, 6);
    expect(j.generated.tokens.length).toBeGreaterThan(0);
    const api = await intervene(spec, dict, tok, tokens, { mode: 'free', edits: [{ type: 'error', layer: 4, pos: tokens.length - 1, op: 'ablate' }, { type: 'feature', layer: 3, feature: 100, pos: tokens.length - 1, op: 'scale', value: 2 }] });
    expect(maxAbsDiff(j.after.logits, api.after.logits)).toBeLessThan(1e-5);
    const bad = run('--prompt', PROMPT, '--ablate', '3:x:1');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/not a node/);
  });
});
