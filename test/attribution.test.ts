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
import type { Tensor } from '../shared/tensor';
import { runForward } from '../native/forwardRun';
import { decoderSlice } from '../native/programs/encode';
import { loadModel } from '../main/model/load';
import type { Tokenizer } from '../main/tokenizer/types';
import { attributeGraph } from '../main/attribution/attribute';
import { buildPromptContext, type PromptContext } from '../main/attribution/context';
import { resolveTargets, type TargetSpec } from '../main/attribution/targets';
import { Rng } from '../main/engine/sampler';
import { randomDictionary, randomLlama, randomTokens } from './helpers';

/** A source to inject: dense [T, d] deltas per hook. */
type Injection = { hook: string; pos: number; vec: Float32Array };

function skipOf(dict: Dictionary, l: number, x: Float32Array, T: number, d: number): Float32Array {
  const out = new Float32Array(T * d);
  const W = dict.layers[l].W_skip;
  if (!W) return out;
  for (let t = 0; t < T; t++) for (let j = 0; j < d; j++) {
    let s = 0;
    for (let i = 0; i < d; i++) s += W.data[j * d + i] * x[t * d + i];
    out[t * d + j] = s;
  }
  return out;
}

/**
 * The constrained model's frozen tensors: patterns, scales, and each MLP output's non-skip part
 * (mlp_out − skip(x_clean); the forward adds the live skip back). `base` overrides that non-skip part.
 */
function constrainedFreeze(spec: ModelSpec, dict: Dictionary, ctx: PromptContext, base?: (l: number, cleanNonSkip: Float32Array) => Float32Array): Map<string, Tensor> {
  const { T } = ctx;
  const d = spec.config.dModel;
  const freeze = new Map(ctx.frozen);
  for (let l = 0; l < spec.config.nLayers; l++) {
    const skip = skipOf(dict, l, ctx.x[l].data, T, d);
    const nonSkip = ctx.y[l].data.map((v, i) => v - skip[i]);
    freeze.set(`blocks.${l}.hook_mlp_out`, { data: base ? base(l, nonSkip) : nonSkip, shape: [1, T, d] });
  }
  return freeze;
}

/** Target values (feature pre-activations of all graph features, then target logit directions) per batch row. */
async function targetValues(spec: ModelSpec, dict: Dictionary, graph: AttributionGraph, ctx: PromptContext, vecs: Float32Array, freeze: Map<string, Tensor>, injections: Injection[][], tokens = ctx.tokens): Promise<Float64Array[]> {
  const L = spec.config.nLayers;
  const d = spec.config.dModel;
  const T = ctx.T;
  const B = injections.length;
  const batchFreeze = new Map<string, Tensor>();
  for (const [n, t] of freeze) {
    const data = new Float32Array(B * t.data.length);
    for (let b = 0; b < B; b++) data.set(t.data, b * t.data.length);
    batchFreeze.set(n, { data, shape: [B, ...t.shape.slice(1)] });
  }
  const addDense = new Map<string, Tensor>();
  injections.forEach((list, b) => {
    for (const inj of list) {
      let t = addDense.get(inj.hook);
      if (!t) addDense.set(inj.hook, (t = { data: new Float32Array(B * T * d), shape: [B, T, d] }));
      for (let j = 0; j < d; j++) t.data[(b * T + inj.pos) * d + j] += inj.vec[j];
    }
  });
  const xNames = [...Array(L).keys()].map((l) => `blocks.${l}.${dict.inputHook}`);
  const out = await runForward(spec, { tokens: Array(B).fill([...tokens]), outputs: [...xNames, 'ln_final.hook_normalized'], freeze: batchFreeze, addDense, frozenSkip: dict });
  const lay = graphLayout(graph);
  const gFinal = spec.weights.get('ln_final.w')!.data;
  return injections.map((_, b) => {
    const v = new Float64Array(lay.F + lay.K);
    for (let i = 0; i < lay.F; i++) {
      const l = graph.features.layer[i];
      const p = graph.features.pos[i];
      const f = graph.features.index[i];
      const x = out.get(xNames[l])!.data;
      const W = dict.layers[l].W_enc.data;
      let s = dict.layers[l].b_enc.data[f];
      for (let j = 0; j < d; j++) s += W[f * d + j] * x[(b * T + p) * d + j];
      v[i] = s;
    }
    const xf = out.get('ln_final.hook_normalized')!.data;
    for (let k = 0; k < lay.K; k++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += xf[(b * T + T - 1) * d + j] * gFinal[j] * vecs[k * d + j];
      v[lay.F + k] = s;
    }
    return v;
  });
}

/** Checks adjacency columns of the given sources against forward interventions. */
async function checkColumns(spec: ModelSpec, dict: Dictionary, tok: Tokenizer, graph: AttributionGraph, ctx: PromptContext, targetSpec: TargetSpec, sources: number[]) {
  const lay = graphLayout(graph);
  const d = spec.config.dModel;
  const { vecs } = resolveTargets(spec, tok, ctx.lastLogits, targetSpec);
  const injectionsOf = (s: number): Injection[] => {
    if (s < lay.F) {
      const l = graph.features.layer[s];
      const f = graph.features.index[s];
      const a = graph.features.activation[s];
      const outLayers = dict.kind === 'plt' ? [l] : [...Array(spec.config.nLayers - l).keys()].map((j) => l + j);
      return outLayers.map((k) => ({ hook: `blocks.${k}.hook_mlp_out`, pos: graph.features.pos[s], vec: decoderSlice(dict, l, k).data.slice(f * d, (f + 1) * d).map((w) => w * a) }));
    }
    if (s < lay.tokenStart) {
      const l = Math.floor((s - lay.errorStart) / lay.T);
      const p = (s - lay.errorStart) % lay.T;
      return [{ hook: `blocks.${l}.hook_mlp_out`, pos: p, vec: ctx.err[l].data.slice(p * d, (p + 1) * d) }];
    }
    const p = s - lay.tokenStart;
    return [{ hook: 'hook_embed', pos: p, vec: ctx.embed.data.slice(p * d, (p + 1) * d) }];
  };
  const freeze = constrainedFreeze(spec, dict, ctx);
  const [base] = await targetValues(spec, dict, graph, ctx, vecs, freeze, [[]]);
  const after = await targetValues(spec, dict, graph, ctx, vecs, freeze, sources.map(injectionsOf));
  let worst = 0;
  let checked = 0;
  sources.forEach((s, b) => {
    for (let t = 0; t < lay.F + lay.K; t++) {
      const node = t < lay.F ? t : lay.logitStart + (t - lay.F);
      const want = graph.adjacency[node * lay.N + s];
      const got = after[b][t] - base[t];
      const err = Math.abs(got - want) / (1e-4 + 1e-3 * Math.abs(want));
      worst = Math.max(worst, err);
      checked++;
    }
  });
  return { worst, checked };
}

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
    const { worst, checked } = await checkColumns(spec, dict, tok, graph, ctx, targets, [...feats, ...others]);
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
