/**
 * Interventions on one prompt (circuit-tracer method brief §4.2). A feature clamp adds `(new − current)·W_dec[f]`
 * (every decoder slice, for a CLT) to the real MLP output at its position, so the true MLPs keep running.
 * - frozen / free: layers are processed in ascending order; before clamping layer l, the model is re-run with the
 *   edits of the layers below, so "current" is the activation in the intervened run (iterative patching) and the
 *   effects of lower edits propagate into higher clamps. frozen freezes attention patterns to the clean run.
 * - constrained: patterns, all norm scales and every MLP output frozen (skip paths live), deltas from the clean
 *   activations, one run: the direct effects only, i.e. the attribution graph's linear model.
 */
import type { Dictionary } from '../../shared/dictionary';
import type { ModelSpec } from '../../shared/model';
import type { Tensor } from '../../shared/tensor';
import type { FeatureChange, InterventionMode, InterventionRequestInput, InterventionResult, TargetChange } from '../../shared/intervention';
import { runForward } from '../../native/forwardRun';
import { runEncode } from '../../native/encodeRun';
import type { Tokenizer } from '../tokenizer/types';
import { UserError } from '../errors';
import { checkDictionaryFits } from '../dictionary/encode';
import { softmaxF32 } from '../engine/sampler';
import { axpy, decoderRow, encodeRow, outputLayers, reconRow, rowOf, skipRow, topTokens } from './math';
import { planIntervention, type InterventionPlan } from './plan';
import { generateUnder } from './generate';
import { addDelta, deltaInterventions, type DeltaMap } from './deltas';

interface CleanRun {
  readonly x: Tensor[];
  readonly y: Tensor[];
  readonly lastLogits: Float32Array;
  /** Patterns and norm scales of the clean run, with batch axis. */
  readonly frozen: Map<string, Tensor>;
}

async function cleanRun(spec: ModelSpec, dict: Dictionary, tokens: readonly number[]): Promise<CleanRun> {
  const L = spec.config.nLayers;
  const V = spec.config.vocabSize;
  const layers = [...Array(L).keys()];
  const frozenNames = ['ln_final.hook_scale', ...layers.flatMap((l) => [`blocks.${l}.attn.hook_pattern`, `blocks.${l}.ln1.hook_scale`, `blocks.${l}.ln2.hook_scale`])];
  const xNames = layers.map((l) => `blocks.${l}.${dict.inputHook}`);
  const yNames = layers.map((l) => `blocks.${l}.${dict.outputHook}`);
  const run = await runForward(spec, { tokens: [tokens], outputs: ['logits', ...frozenNames, ...xNames, ...yNames] });
  const T = tokens.length;
  return {
    x: xNames.map((n) => run.get(n)!),
    y: yNames.map((n) => run.get(n)!),
    lastLogits: run.get('logits')!.data.slice((T - 1) * V, T * V),
    frozen: new Map(frozenNames.map((n) => [n, run.get(n)!])),
  };
}

/** What each mode freezes. Constrained: MLP outputs minus their clean skip part (the program adds the live skip). */
function freezeFor(mode: InterventionMode, dict: Dictionary, clean: CleanRun, T: number): Map<string, Tensor> {
  if (mode === 'free') return new Map();
  const patterns = new Map([...clean.frozen].filter(([n]) => n.endsWith('attn.hook_pattern')));
  if (mode === 'frozen') return patterns;
  const freeze = new Map(clean.frozen);
  const d = dict.dModel;
  clean.y.forEach((y, l) => {
    const data = Float32Array.from(y.data);
    for (let t = 0; t < T; t++) axpy(data.subarray(t * d, (t + 1) * d), -1, skipRow(dict, l, rowOf(clean.x[l], t)));
    freeze.set(`blocks.${l}.${dict.outputHook}`, { data, shape: y.shape });
  });
  return freeze;
}

/**
 * Adds the decoder deltas of one layer's error edits, clamps and patches, reading activations from `x` (per layer)
 * and the MLP output `y` of the same run (when `yHasDeltas`, it carries the deltas added so far: subtracted back out).
 */
function applyLayer(plan: InterventionPlan, dict: Dictionary, layer: number, x: readonly Tensor[], y: Tensor, deltas: DeltaMap, applied: FeatureChange[], yHasDeltas: boolean): void {
  const out = (k: number) => `blocks.${k}.${dict.outputHook}`;
  const actsCache = new Map<string, Float32Array>();
  const acts = (l: number, p: number) => {
    const key = `${l}:${p}`;
    let a = actsCache.get(key);
    if (!a) actsCache.set(key, (a = encodeRow(dict, l, rowOf(x[l], p), p)));
    return a;
  };
  // Errors first, before this layer's clamps add to the same hook: the error must be measured on the MLP's own output.
  for (const e of plan.errors) {
    if (e.layer !== layer) continue;
    // err = true output − reconstruction, both of this run (a CLT's reconstruction reads every lower layer).
    const bySource = Array.from({ length: layer + 1 }, (_, i) => (dict.kind === 'plt' && i !== layer ? new Float32Array(0) : acts(i, e.pos)));
    const err = Float32Array.from(rowOf(y, e.pos));
    const already = deltas.get(out(layer))?.get(e.pos);
    if (already && yHasDeltas) axpy(err, -1, already);
    if (e.pos > 0) axpy(err, -1, reconRow(dict, layer, bySource, rowOf(x[layer], e.pos)));
    else err.fill(0); // BOS keeps its true output: its error is zero by convention
    addDelta(deltas, out(layer), e.pos, e.factor - 1, err);
  }
  for (const c of plan.clamps) {
    if (c.layer !== layer) continue;
    const cur = acts(layer, c.pos)[c.feature];
    const next = c.op === 'set' ? c.value : c.op === 'scale' ? c.value * cur : 0;
    applied.push({ layer, feature: c.feature, pos: c.pos, before: cur, after: next });
    if (next === cur) continue;
    for (const k of outputLayers(dict, layer)) addDelta(deltas, out(k), c.pos, next - cur, decoderRow(dict, layer, k, c.feature));
  }
  for (const p of plan.patches) {
    if (p.layer !== layer) continue;
    const cur = acts(layer, p.pos);
    for (let f = 0; f < cur.length; f++) {
      const diff = p.acts[f] - cur[f];
      if (diff !== 0) for (const k of outputLayers(dict, layer)) addDelta(deltas, out(k), p.pos, diff, decoderRow(dict, layer, k, f));
    }
  }
}

function measure(plan: InterventionPlan, tok: Tokenizer, dict: Dictionary, logits: Float32Array, x: readonly Tensor[]): { value: number; prob?: number; label: string } | undefined {
  const t = plan.request.target;
  if (!t) return undefined;
  if (t.kind === 'token') return { value: logits[t.token], prob: softmaxF32(logits)[t.token], label: `logit(${JSON.stringify(tok.decode([t.token]))})` };
  if (t.kind === 'contrast') return { value: logits[t.a] - logits[t.b], label: `logit(${JSON.stringify(tok.decode([t.a]))}) − logit(${JSON.stringify(tok.decode([t.b]))})` };
  return { value: encodeRow(dict, t.layer, rowOf(x[t.layer], t.pos), t.pos)[t.feature], label: `feature ${t.layer}_${t.feature}_${t.pos}` };
}

export async function intervene(spec: ModelSpec, dict: Dictionary, tok: Tokenizer, tokens: readonly number[], input: InterventionRequestInput): Promise<InterventionResult> {
  return (await interveneWithRuns(spec, dict, tok, tokens, input)).result;
}

/** An intervention's result plus the transcoder inputs (per layer, [1, T, d]) of its clean and intervened runs. */
export interface InterventionRuns {
  readonly result: InterventionResult;
  readonly cleanX: readonly Tensor[];
  readonly afterX: readonly Tensor[];
}

/** `intervene`, also returning both runs' transcoder inputs (the API re-encodes the graph's features from them). */
export async function interveneWithRuns(spec: ModelSpec, dict: Dictionary, tok: Tokenizer, tokens: readonly number[], input: InterventionRequestInput): Promise<InterventionRuns> {
  checkDictionaryFits(spec, dict);
  if (tokens.length < 2) throw new UserError('an intervention needs a prompt of at least one token after BOS');
  if (tokens.length > spec.config.maxSeqLen) throw new UserError(`the prompt is ${tokens.length} tokens; the model's context is ${spec.config.maxSeqLen}`);
  const plan = await planIntervention(spec, dict, tok, tokens, input);
  const { mode } = plan.request;
  const L = spec.config.nLayers;
  const V = spec.config.vocabSize;
  const T = tokens.length;
  const xNames = [...Array(L).keys()].map((l) => `blocks.${l}.${dict.inputHook}`);
  const clean = await cleanRun(spec, dict, tokens);
  const freeze = freezeFor(mode, dict, clean, T);
  const deltas: DeltaMap = new Map();
  for (const s of plan.steering) for (const p of s.positions) addDelta(deltas, s.hook, p, 1, s.vec);
  const common = { tokens: [tokens], freeze, ...(mode === 'constrained' ? { frozenSkip: dict } : {}) };
  const interventions = () => [...plan.hookSets, ...deltaInterventions(deltas)];
  const applied: FeatureChange[] = [];

  for (const l of plan.layers) {
    if (mode === 'constrained') {
      // Direct effects: every delta is measured against the clean activations; nothing propagates.
      applyLayer(plan, dict, l, clean.x, clean.y[l], deltas, applied, false);
      continue;
    }
    const run = await runForward(spec, { ...common, outputs: [...xNames.slice(0, l + 1), `blocks.${l}.${dict.outputHook}`], interventions: interventions() });
    applyLayer(plan, dict, l, xNames.slice(0, l + 1).map((n) => run.get(n)!), run.get(`blocks.${l}.${dict.outputHook}`)!, deltas, applied, true);
  }
  const final = await runForward(spec, { ...common, outputs: ['logits', ...xNames], interventions: interventions() });
  const afterLogits = final.get('logits')!.data.slice((T - 1) * V, T * V);
  const afterX = xNames.map((n) => final.get(n)!);

  const featureChanges = plan.request.topFeatures > 0 ? await changedFeatures(dict, clean.x, afterX, plan, plan.request.topFeatures) : [];
  const mBefore = measure(plan, tok, dict, clean.lastLogits, clean.x);
  const mAfter = measure(plan, tok, dict, afterLogits, afterX);
  const target: TargetChange | undefined =
    mBefore && mAfter ? { label: mBefore.label, before: mBefore.value, after: mAfter.value, ...(mBefore.prob !== undefined ? { probBefore: mBefore.prob, probAfter: mAfter.prob } : {}) } : undefined;
  const k = plan.request.topK;
  const generated = plan.request.generate > 0 ? await generateUnder(spec, tok, tokens, afterLogits, plan, deltas, plan.request.generate) : undefined;
  const result: InterventionResult = {
    tokens,
    mode,
    before: { logits: clean.lastLogits, top: topTokens(clean.lastLogits, k, tok) },
    after: { logits: afterLogits, top: topTokens(afterLogits, k, tok) },
    ...(target ? { target } : {}),
    applied,
    featureChanges,
    ...(generated ? { generated } : {}),
  };
  return { result, cleanX: clean.x, afterX };
}

/** Features (not edited ones) whose activation moved most between the clean and the intervened run. */
async function changedFeatures(dict: Dictionary, before: readonly Tensor[], after: readonly Tensor[], plan: InterventionPlan, n: number): Promise<FeatureChange[]> {
  const unbatch = (t: Tensor): Tensor => ({ data: t.data, shape: t.shape.slice(1) });
  const [a, b] = await Promise.all([runEncode(dict, { x: before.map(unbatch), zeroPositions: 1 }), runEncode(dict, { x: after.map(unbatch), zeroPositions: 1 })]);
  const edited = new Set(plan.clamps.map((c) => `${c.layer}:${c.feature}:${c.pos}`));
  const patched = new Set(plan.patches.map((p) => `${p.layer}:${p.pos}`));
  const D = dict.nFeatures;
  const all: FeatureChange[] = [];
  a.act.forEach((actA, l) => {
    const actB = b.act[l].data;
    for (let i = 0; i < actA.data.length; i++) {
      const diff = actB[i] - actA.data[i];
      if (diff === 0) continue;
      const pos = Math.floor(i / D);
      const feature = i % D;
      if (edited.has(`${l}:${feature}:${pos}`) || patched.has(`${l}:${pos}`)) continue;
      all.push({ layer: l, feature, pos, before: actA.data[i], after: actB[i] });
    }
  });
  return all.sort((p, q) => Math.abs(q.after - q.before) - Math.abs(p.after - p.before)).slice(0, n);
}
