/**
 * The intervention check of attribution edges (circuit-tracer §9.1), for any
 * model and dictionary: with patterns, every norm scale and the MLP outputs frozen (skip paths live), adding a
 * source's vector through the forward program changes each target by its adjacency column.
 */
import type { AttributionGraph } from '../shared/graph';
import { graphLayout } from '../shared/graph';
import type { Dictionary } from '../shared/dictionary';
import type { ModelSpec } from '../shared/model';
import type { Tensor } from '../shared/tensor';
import { runForward } from '../native/forwardRun';
import { decoderSlice } from '../native/programs/encode';
import type { Tokenizer } from '../main/tokenizer/types';
import type { PromptContext } from '../main/attribution/context';
import { resolveTargets, type TargetSpec } from '../main/attribution/targets';


/** A source to inject: dense [T, d] deltas per hook. */
export type Injection = { hook: string; pos: number; vec: Float32Array };

export function skipOf(dict: Dictionary, l: number, x: Float32Array, T: number, d: number): Float32Array {
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
export function constrainedFreeze(spec: ModelSpec, dict: Dictionary, ctx: PromptContext, base?: (l: number, cleanNonSkip: Float32Array) => Float32Array): Map<string, Tensor> {
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
export async function targetValues(spec: ModelSpec, dict: Dictionary, graph: AttributionGraph, ctx: PromptContext, vecs: Float32Array, freeze: Map<string, Tensor>, injections: Injection[][], tokens = ctx.tokens): Promise<Float64Array[]> {
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
export async function checkAdjacencyColumns(spec: ModelSpec, dict: Dictionary, tok: Tokenizer, graph: AttributionGraph, ctx: PromptContext, targetSpec: TargetSpec, sources: number[]) {
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
  let largest = 0;
  sources.forEach((s, b) => {
    for (let t = 0; t < lay.F + lay.K; t++) {
      const node = t < lay.F ? t : lay.logitStart + (t - lay.F);
      const want = graph.adjacency[node * lay.N + s];
      const got = after[b][t] - base[t];
      const err = Math.abs(got - want) / (1e-4 + 1e-3 * Math.abs(want));
      worst = Math.max(worst, err);
      largest = Math.max(largest, Math.abs(want));
      checked++;
    }
  });
  return { worst, checked, largest };
}
