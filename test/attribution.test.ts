/**
 * circuit-tracer's reference test, reproduced (method brief §9.1): with everything frozen (patterns, all norm
 * scales, all MLP outputs; skip paths live), adding a source's vector at its position through the engine's
 * FORWARD intervention path changes every target's pre-activation and demeaned logit by exactly the adjacency
 * column. Plus completeness (row sum + constant term = value) and input invariance of the frozen map.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { AttributionGraph } from '../shared/graph';
import { graphLayout } from '../shared/graph';
import type { Dictionary } from '../shared/dictionary';
import type { ModelSpec } from '../shared/model';
import { loadModel } from '../main/model/load';
import type { Tokenizer } from '../main/tokenizer/types';
import { attributeGraph } from '../main/attribution/attribute';
import { buildPromptContext, type PromptContext } from '../main/attribution/context';
import { resolveTargets, type TargetSpec } from '../main/attribution/targets';
import { Rng } from '../main/engine/sampler';
import { randomDictionary, randomLlama, randomTokens } from './helpers';
import { checkAdjacencyColumns, constrainedFreeze, targetValues, type Injection } from './attributionCheck';
interface Case {
  name: string;
  setup: () => Promise<{ spec: ModelSpec; dict: Dictionary; tok: Tokenizer; tokens: number[] }>;
  targets: TargetSpec;
}

const tinyTok = (V: number): Tokenizer => ({
  vocabSize: V,
  bosId: 1,
  eosId: 2,
  encode: () => [],
  decode: (ids) => ids.map((i) => `t${i}`).join(''),
  printablePiece: () => new Uint8Array(),
});

const cases: Case[] = [
  {
    name: 'embedded model, ReLU PLT',
    targets: { kind: 'salient' },
    setup: async () => {
      const { spec, tokenizer } = await loadModel();
      const dict = randomDictionary({ d: 64, L: 5, D: 96, kind: 'plt', activation: { kind: 'relu' }, scale: 1 }, 3);
      return { spec, dict, tok: tokenizer, tokens: tokenizer.encode('Once upon a time, there was a little', { bos: true }) };
    },
  },
  {
    name: 'random tiny model, JumpReLU PLT with skip, contrast target',
    targets: { kind: 'contrast', a: 5, b: 9 },
    setup: async () => {
      const spec = randomLlama({ nLayers: 3 }, 41);
      return { spec, dict: randomDictionary({ d: 32, L: 3, D: 64, kind: 'plt', activation: { kind: 'jumprelu' }, skip: true }, 5), tok: tinyTok(64), tokens: randomTokens(new Rng(2), 9, 64) };
    },
  },
  {
    name: 'random tiny model, TopK PLT with skip, token targets',
    targets: { kind: 'tokens', tokens: [7, 11, 13] },
    setup: async () => {
      const spec = randomLlama({ nLayers: 3, rope: { kind: 'half', theta: 10000 } }, 42);
      return { spec, dict: randomDictionary({ d: 32, L: 3, D: 64, kind: 'plt', activation: { kind: 'topk', k: 6 }, skip: true }, 6), tok: tinyTok(64), tokens: randomTokens(new Rng(3), 10, 64) };
    },
  },
  {
    name: 'random model with head dim 32 (per-head W_O path), ReLU PLT',
    targets: { kind: 'salient' },
    setup: async () => {
      const spec = randomLlama({ nLayers: 2, dModel: 64, nHeads: 4, nKvHeads: 2, headDim: 32 }, 44);
      return { spec, dict: randomDictionary({ d: 64, L: 2, D: 64, kind: 'plt', activation: { kind: 'relu' } }, 8), tok: tinyTok(64), tokens: randomTokens(new Rng(5), 9, 64) };
    },
  },
  {
    name: 'random tiny model, CLT (JumpReLU)',
    targets: { kind: 'salient' },
    setup: async () => {
      const spec = randomLlama({ nLayers: 3 }, 43);
      return { spec, dict: randomDictionary({ d: 32, L: 3, D: 48, kind: 'clt', activation: { kind: 'jumprelu' } }, 7), tok: tinyTok(64), tokens: randomTokens(new Rng(4), 8, 64) };
    },
  },
];

describe.each(cases)('attribution: $name', ({ setup, targets }) => {
  let spec: ModelSpec;
  let dict: Dictionary;
  let tok: Tokenizer;
  let tokens: number[];
  let graph: AttributionGraph;
  let ctx: PromptContext;
  beforeAll(async () => {
    ({ spec, dict, tok, tokens } = await setup());
    graph = await attributeGraph(spec, dict, tok, tokens, { targets, batchSize: 64 });
    ctx = await buildPromptContext(spec, dict, tokens);
  });

  it('every error and token edge, and ≥ 100 feature edges, equal forward interventions', async () => {
    const lay = graphLayout(graph);
    expect(lay.F).toBe(graph.activeFeatureCount);
    const rng = new Rng(9);
    const feats = [...Array(lay.F).keys()].sort(() => rng.f32() - 0.5).slice(0, Math.min(lay.F, 120));
    const others = [...Array(lay.tokenStart + lay.T - lay.errorStart).keys()].map((i) => lay.errorStart + i);
    const { worst, checked } = await checkAdjacencyColumns(spec, dict, tok, graph, ctx, targets, [...feats, ...others]);
    expect(checked).toBeGreaterThan(100);
    expect(worst, 'worst |Δ − A| / (1e-4 + 1e-3·|A|)').toBeLessThanOrEqual(1);
  });

  it('a greedy graph (maxFeatureNodes < active) is the full graph restricted to its selected features', async () => {
    const lay = graphLayout(graph);
    const maxF = Math.floor(lay.F / 3);
    const part = await attributeGraph(spec, dict, tok, tokens, { targets, batchSize: 32, maxFeatureNodes: maxF });
    const pl = graphLayout(part);
    expect(pl.F).toBe(maxF);
    // Map each node of the partial graph to the full graph's node.
    const full = new Map<string, number>();
    for (let i = 0; i < lay.F; i++) full.set(`${graph.features.layer[i]}:${graph.features.pos[i]}:${graph.features.index[i]}`, i);
    const toFull = (n: number) => (n < pl.F ? full.get(`${part.features.layer[n]}:${part.features.pos[n]}:${part.features.index[n]}`)! : n - pl.F + lay.F);
    let worst = 0;
    for (let t = 0; t < pl.N; t++) {
      for (let s = 0; s < pl.N; s++) {
        const a = part.adjacency[t * pl.N + s];
        const b = graph.adjacency[toFull(t) * lay.N + toFull(s)];
        worst = Math.max(worst, Math.abs(a - b) / (1e-5 + 1e-4 * Math.abs(b)));
      }
    }
    expect(worst).toBeLessThanOrEqual(1);
  });

  it('completeness: row sum + constant term = the target value', async () => {
    const lay = graphLayout(graph);
    const d = spec.config.dModel;
    const { vecs } = resolveTargets(spec, tok, ctx.lastLogits, targets);
    // Constant term: every node removed — embeddings zero, each MLP output reduced to b_dec + live skip; the BOS
    // position keeps its (non-node) output.
    const freeze = constrainedFreeze(spec, dict, ctx, (l, nonSkip) => {
      const out = new Float32Array(ctx.T * d);
      out.set(nonSkip.subarray(0, d));
      for (let t = 1; t < ctx.T; t++) out.set(dict.layers[l].b_dec.data, t * d);
      return out;
    });
    const zeroEmbed: Injection[] = [...Array(ctx.T).keys()].map((p) => ({ hook: 'hook_embed', pos: p, vec: ctx.embed.data.slice(p * d, (p + 1) * d).map((x) => -x) }));
    const [constant] = await targetValues(spec, dict, graph, ctx, vecs, freeze, [zeroEmbed]);
    const [value] = await targetValues(spec, dict, graph, ctx, vecs, constrainedFreeze(spec, dict, ctx), [[]]);
    let worst = 0;
    for (let t = 0; t < lay.F + lay.K; t++) {
      const node = t < lay.F ? t : lay.logitStart + (t - lay.F);
      let sum = 0;
      for (let s = 0; s < lay.N; s++) sum += graph.adjacency[node * lay.N + s];
      worst = Math.max(worst, Math.abs(sum + constant[t] - value[t]) / (1e-3 + 1e-3 * Math.abs(value[t])));
    }
    expect(worst).toBeLessThanOrEqual(1);
    // And the values are the real ones: feature targets at their clean pre-activations.
    for (let i = 0; i < Math.min(lay.F, 20); i++) {
      const pre = ctx.pre[graph.features.layer[i]].data[graph.features.pos[i] * dict.nFeatures + graph.features.index[i]];
      expect(Math.abs(value[i] - pre)).toBeLessThan(1e-3 * (1 + Math.abs(pre)));
    }
  });

  it('the frozen map is linear and does not depend on the input tokens', async () => {
    const lay = graphLayout(graph);
    const d = spec.config.dModel;
    const { vecs } = resolveTargets(spec, tok, ctx.lastLogits, targets);
    const p = ctx.T - 2;
    const delta = Float32Array.from({ length: d }, (_, j) => Math.sin(j + 1));
    const freeze = constrainedFreeze(spec, dict, ctx);
    const fuzzed = [tokens[0], ...tokens.slice(1).map((t) => (t * 7 + 3) % spec.config.vocabSize)];
    const resp = async (k: number, toks: number[]) => {
      const [a, b] = await targetValues(spec, dict, graph, ctx, vecs, freeze, [[], [{ hook: 'blocks.0.hook_mlp_out', pos: p, vec: delta.map((x) => x * k) }]], toks);
      return b.map((v, i) => v - a[i]);
    };
    const r1 = await resp(1, tokens);
    const r3 = await resp(3, tokens);
    const rf = await resp(1, fuzzed);
    let moved = 0;
    for (let t = 0; t < lay.F + lay.K; t++) {
      expect(Math.abs(r3[t] - 3 * r1[t])).toBeLessThan(1e-3 * (1 + Math.abs(r3[t])));
      expect(Math.abs(rf[t] - r1[t])).toBeLessThan(1e-3 * (1 + Math.abs(r1[t])));
      moved = Math.max(moved, Math.abs(r1[t]));
    }
    expect(moved).toBeGreaterThan(1e-3);
  });
});
