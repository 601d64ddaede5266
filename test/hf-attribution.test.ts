/**
 * Attribution on Hugging Face families (tiny Gemma-2: sandwich norms, soft-caps, sliding windows, (1 + w) gains,
 * GeGLU; tiny Qwen3: q/k norms, BF16 weights, untied head; Qwen2 biases; Llama-3 RoPE; GPT-2 LayerNorm) with random
 * transcoders: the same intervention check
 * as test/attribution.test.ts (circuit-tracer §9.1). With patterns, every norm scale (ln1, ln2, Gemma's ln1_post /
 * ln2_post, ln_final) and the MLP outputs frozen (skip paths live), adding a source's vector through the FORWARD
 * program's intervention path moves every target by exactly its adjacency column. Logit targets are pre-soft-cap
 * (ln_final output · demeaned unembedding), as in circuit-tracer.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { AttributionGraph } from '../shared/graph';
import { graphLayout } from '../shared/graph';
import type { Dictionary } from '../shared/dictionary';
import type { ModelSpec } from '../shared/model';
import { loadHfModel } from '../main/model/hf/load';
import { idsOnlyTokenizer } from '../main/model/hf/open';
import type { Tokenizer } from '../main/tokenizer/types';
import { attributeGraph } from '../main/attribution/attribute';
import { buildPromptContext, type PromptContext } from '../main/attribution/context';
import type { TargetSpec } from '../main/attribution/targets';
import { Rng } from '../main/engine/sampler';
import { randomDictionary, randomTokens } from './helpers';
import { hfFixtureDir } from './hfFixtures';
import { checkAdjacencyColumns } from './attributionCheck';

interface Case {
  name: string;
  fixture: string;
  dict: (spec: ModelSpec) => Dictionary;
  targets: TargetSpec;
}

const dictFor = (spec: ModelSpec, o: Omit<Parameters<typeof randomDictionary>[0], 'd' | 'L'>, seed: number, inputHook?: string): Dictionary => {
  const dict = randomDictionary({ d: spec.config.dModel, L: spec.config.nLayers, ...o }, seed);
  return inputHook ? { ...dict, inputHook, fingerprint: `${dict.fingerprint}-${inputHook}` } : dict;
};

const cases: Case[] = [
  { name: 'tiny Gemma-2, ReLU PLT with skip (mlp.hook_in), salient logits', fixture: 'tiny-gemma2', targets: { kind: 'salient' }, dict: (s) => dictFor(s, { D: 64, kind: 'plt', activation: { kind: 'relu' }, skip: true }, 11) },
  { name: 'tiny Gemma-2, GemmaScope-style JumpReLU PLT reading ln2.hook_normalized, contrast', fixture: 'tiny-gemma2', targets: { kind: 'contrast', a: 5, b: 9 }, dict: (s) => dictFor(s, { D: 64, kind: 'plt', activation: { kind: 'jumprelu' } }, 12, 'ln2.hook_normalized') },
  { name: 'tiny Gemma-2, CLT (JumpReLU, hook_resid_mid)', fixture: 'tiny-gemma2', targets: { kind: 'salient' }, dict: (s) => dictFor(s, { D: 48, kind: 'clt', activation: { kind: 'jumprelu' } }, 13, 'hook_resid_mid') },
  { name: 'tiny Qwen3 (BF16), TopK PLT with skip, token targets', fixture: 'tiny-qwen3', targets: { kind: 'tokens', tokens: [7, 11, 13] }, dict: (s) => dictFor(s, { D: 64, kind: 'plt', activation: { kind: 'topk', k: 6 }, skip: true }, 14) },
  { name: 'tiny Qwen3, ReLU PLT, salient logits', fixture: 'tiny-qwen3', targets: { kind: 'salient' }, dict: (s) => dictFor(s, { D: 64, kind: 'plt', activation: { kind: 'relu' } }, 15) },
  { name: 'tiny Qwen2 (q/k/v biases), JumpReLU PLT with skip', fixture: 'tiny-qwen2', targets: { kind: 'salient' }, dict: (s) => dictFor(s, { D: 64, kind: 'plt', activation: { kind: 'jumprelu' }, skip: true }, 16) },
  { name: 'tiny Llama (llama3 RoPE, untied), CLT', fixture: 'tiny-llama', targets: { kind: 'tokens', tokens: [3, 30] }, dict: (s) => dictFor(s, { D: 48, kind: 'clt', activation: { kind: 'jumprelu' } }, 17, 'hook_resid_mid') },
  { name: 'tiny GPT-2 (LayerNorm, biases, learned positions), ReLU PLT with skip', fixture: 'tiny-gpt2', targets: { kind: 'salient' }, dict: (s) => dictFor(s, { D: 64, kind: 'plt', activation: { kind: 'relu' }, skip: true }, 18) },
  { name: 'tiny GPT-2, TopK PLT reading ln2.hook_normalized with skip, contrast', fixture: 'tiny-gpt2', targets: { kind: 'contrast', a: 4, b: 8 }, dict: (s) => dictFor(s, { D: 64, kind: 'plt', activation: { kind: 'topk', k: 8 }, skip: true }, 19, 'ln2.hook_normalized') },
];

describe.each(cases)('attribution: $name', ({ fixture, dict: makeDict, targets }) => {
  let spec: ModelSpec;
  let dict: Dictionary;
  let tok: Tokenizer;
  let graph: AttributionGraph;
  let ctx: PromptContext;
  beforeAll(async () => {
    spec = loadHfModel(hfFixtureDir(fixture));
    dict = makeDict(spec);
    tok = idsOnlyTokenizer(spec);
    // 12 tokens: longer than Gemma's sliding window of 8, so windowed layers matter.
    const tokens = randomTokens(new Rng(7), 12, spec.config.vocabSize, spec.config.bosId);
    graph = await attributeGraph(spec, dict, tok, tokens, { targets, batchSize: 64 });
    ctx = await buildPromptContext(spec, dict, tokens);
  });

  it('every error and token edge, and ≥ 100 feature edges, equal forward interventions', async () => {
    const lay = graphLayout(graph);
    expect(lay.F).toBeGreaterThan(20);
    const rng = new Rng(9);
    const feats = [...Array(lay.F).keys()].sort(() => rng.f32() - 0.5).slice(0, Math.min(lay.F, 120));
    const others = [...Array(lay.tokenStart + lay.T - lay.errorStart).keys()].map((i) => lay.errorStart + i);
    const { worst, checked, largest } = await checkAdjacencyColumns(spec, dict, tok, graph, ctx, targets, [...feats, ...others]);
    expect(checked).toBeGreaterThan(100);
    expect(largest).toBeGreaterThan(1e-2);
    expect(worst, 'worst |Δ − A| / (1e-4 + 1e-3·|A|)').toBeLessThanOrEqual(1);
  });
});
