/**
 * Turns an intervention request into a plan the runner executes: feature clamps and error edits grouped by layer
 * (they must be applied in layer order, each reading the activations of the run that already carries the lower
 * layers' edits), whole-layer feature patches with the source activations resolved, hook patches as `set` slices
 * and steering vectors as constant MLP-output deltas. Everything is range-checked here, with UserErrors.
 */
import type { Dictionary } from '../../shared/dictionary';
import type { ModelSpec } from '../../shared/model';
import type { Tensor } from '../../shared/tensor';
import type { HookIntervention } from '../../shared/forward';
import { hookShape, parseHookName } from '../../shared/hooks';
import { interventionRequestSchema, type InterventionRequest, type InterventionRequestInput } from '../../shared/intervention';
import { runForward } from '../../native/forwardRun';
import type { Tokenizer } from '../tokenizer/types';
import { UserError } from '../errors';
import { axpy, decoderRow, encodeRow, outputLayers, rowOf } from './math';

export interface FeatureClamp {
  readonly layer: number;
  readonly feature: number;
  readonly pos: number;
  readonly op: 'set' | 'scale' | 'ablate';
  readonly value: number;
}
export interface ErrorEdit {
  readonly layer: number;
  readonly pos: number;
  /** The error vector is multiplied by this (0 = ablate). */
  readonly factor: number;
}
/** Layer `layer`'s features at `pos` become `acts` (D). */
export interface LayerPatch {
  readonly layer: number;
  readonly pos: number;
  readonly acts: Float32Array;
}
export interface Steering {
  readonly hook: string;
  readonly vec: Float32Array;
  readonly positions: readonly number[];
  readonly generated: boolean;
}

export interface InterventionPlan {
  readonly request: InterventionRequest;
  readonly clamps: readonly FeatureClamp[];
  readonly errors: readonly ErrorEdit[];
  readonly patches: readonly LayerPatch[];
  readonly hookSets: readonly HookIntervention[];
  readonly steering: readonly Steering[];
  /** Layers with clamps, error edits or patches, ascending. */
  readonly layers: readonly number[];
}

export function parseRequest(input: InterventionRequestInput): InterventionRequest {
  const r = interventionRequestSchema.safeParse(input);
  if (r.success) return r.data;
  const i = r.error.issues[0];
  throw new UserError(`intervention request: ${i.path.join('.') || '(root)'}: ${i.message}`);
}

/** One position's slice of a [1, ...] hook tensor (the layout runForward's `set` expects). */
function sliceAt(t: Tensor, posAxis: number, pos: number): Float32Array {
  const shape = t.shape;
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const rest = shape.map((s, i) => (i === 0 || i === posAxis ? 1 : s));
  const n = rest.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  for (let k = 0; k < n; k++) {
    let rem = k;
    let off = pos * strides[posAxis];
    for (let i = rest.length - 1; i >= 0; i--) {
      const idx = rem % rest[i];
      rem = (rem - idx) / rest[i];
      off += idx * strides[i];
    }
    out[k] = t.data[off];
  }
  return out;
}

export async function planIntervention(spec: ModelSpec, dict: Dictionary, tok: Tokenizer, tokens: readonly number[], input: InterventionRequestInput): Promise<InterventionPlan> {
  const request = parseRequest(input);
  const { nLayers: L, vocabSize: V } = spec.config;
  const D = dict.nFeatures;
  const T = tokens.length;
  const checkLayer = (l: number, what: string) => {
    if (l >= L) throw new UserError(`${what}: layer ${l} does not exist (the model has layers 0..${L - 1})`);
  };
  const checkFeature = (f: number, what: string) => {
    if (f >= D) throw new UserError(`${what}: feature ${f} does not exist (the dictionary has ${D} features per layer)`);
  };
  const checkPos = (p: number, what: string, n = T) => {
    if (p >= n) throw new UserError(`${what}: position ${p} is outside the prompt (positions 0..${n - 1})`);
  };

  // Same (layer, feature, pos) twice: the last one wins (circuit-tracer §4.1).
  const clamps = new Map<string, FeatureClamp>();
  const errors = new Map<string, ErrorEdit>();
  const addClamp = (c: FeatureClamp, what: string) => {
    checkLayer(c.layer, what);
    checkFeature(c.feature, what);
    checkPos(c.pos, what);
    clamps.set(`${c.layer}:${c.feature}:${c.pos}`, c);
  };
  const addError = (layer: number, pos: number, op: 'scale' | 'ablate' | 'set', value: number | undefined, what: string) => {
    checkLayer(layer, what);
    checkPos(pos, what);
    if (op === 'set') throw new UserError(`${what}: an error node can only be scaled or ablated, not set`);
    errors.set(`${layer}:${pos}`, { layer, pos, factor: op === 'ablate' ? 0 : needValue(value, what) });
  };
  const needValue = (v: number | undefined, what: string): number => {
    if (v === undefined) throw new UserError(`${what}: set and scale need a value`);
    return v;
  };
  const patches: LayerPatch[] = [];
  const hookSets: HookIntervention[] = [];
  const steering: Steering[] = [];
  const sources = new Map<string, { tokens: number[]; run: Map<string, Tensor> }>();
  const sourceRun = async (src: { prompt: string } | { tokens: number[] }, outputs: string[]) => {
    const ids = 'prompt' in src ? tok.encode(src.prompt, { bos: true }) : src.tokens;
    for (const id of ids) if (id >= V) throw new UserError(`patch source: token id ${id} is outside the vocabulary [0, ${V})`);
    if (ids.length > spec.config.maxSeqLen) throw new UserError(`patch source: ${ids.length} tokens exceed the model's context of ${spec.config.maxSeqLen}`);
    const key = `${ids.join(',')}|${outputs.join(',')}`;
    let s = sources.get(key);
    if (!s) sources.set(key, (s = { tokens: ids, run: await runForward(spec, { tokens: [ids], outputs }) }));
    return s;
  };
  const positionPairs = (e: { positions: number[]; sourcePositions?: number[] }, n: number, what: string): [number, number][] => {
    const src = e.sourcePositions ?? e.positions;
    if (src.length !== e.positions.length) throw new UserError(`${what}: sourcePositions must list as many positions as positions`);
    return e.positions.map((p, i) => {
      checkPos(p, what);
      checkPos(src[i], `${what} (source)`, n);
      return [p, src[i]];
    });
  };

  for (const [i, e] of request.edits.entries()) {
    const what = `edit ${i + 1} (${e.type})`;
    switch (e.type) {
      case 'feature':
        addClamp({ layer: e.layer, feature: e.feature, pos: e.pos, op: e.op, value: e.op === 'ablate' ? 0 : needValue(e.value, what) }, what);
        break;
      case 'error':
        addError(e.layer, e.pos, e.op, e.value, what);
        break;
      case 'group': {
        const value = e.op === 'ablate' ? 0 : needValue(e.value, what);
        for (const m of e.features) addClamp({ ...m, op: e.op, value }, what);
        for (const m of e.errors) addError(m.layer, m.pos, e.op, value, what);
        break;
      }
      case 'patchFeatures': {
        const layers = e.layers ?? [...Array(L).keys()];
        layers.forEach((l) => checkLayer(l, what));
        const s = await sourceRun(e.source, layers.map((l) => `blocks.${l}.${dict.inputHook}`));
        for (const [p, sp] of positionPairs(e, s.tokens.length, what)) {
          for (const l of layers) patches.push({ layer: l, pos: p, acts: encodeRow(dict, l, rowOf(s.run.get(`blocks.${l}.${dict.inputHook}`)!, sp), sp) });
        }
        break;
      }
      case 'patchHook': {
        if (!parseHookName(e.hook, L) || e.hook === 'logits') throw new UserError(`${what}: "${e.hook}" is not a hook of this model (see docs/hooks.md)`);
        const s = await sourceRun(e.source, [e.hook]);
        const { posAxis } = hookShape(e.hook, spec.config, 1, s.tokens.length);
        for (const [p, sp] of positionPairs(e, s.tokens.length, what)) {
          hookSets.push({ hook: e.hook, op: 'set', positions: [p], value: sliceAt(s.run.get(e.hook)!, posAxis, sp) });
        }
        break;
      }
      case 'steer': {
        checkLayer(e.layer, what);
        checkFeature(e.feature, what);
        e.positions.forEach((p) => checkPos(p, what));
        for (const k of outputLayers(dict, e.layer)) {
          const vec = new Float32Array(dict.dModel);
          axpy(vec, e.strength, decoderRow(dict, e.layer, k, e.feature));
          steering.push({ hook: `blocks.${k}.${dict.outputHook}`, vec, positions: e.positions, generated: e.generated ?? false });
        }
        break;
      }
    }
  }
  const t = request.target;
  if (t?.kind === 'token' && t.token >= V) throw new UserError(`target token ${t.token} is outside the vocabulary [0, ${V})`);
  if (t?.kind === 'contrast' && Math.max(t.a, t.b) >= V) throw new UserError(`contrast token ${Math.max(t.a, t.b)} is outside the vocabulary [0, ${V})`);
  if (t?.kind === 'feature') {
    checkLayer(t.layer, 'target');
    checkFeature(t.feature, 'target');
    checkPos(t.pos, 'target');
  }
  const layers = [...new Set([...clamps.values(), ...errors.values(), ...patches].map((c) => c.layer))].sort((a, b) => a - b);
  return { request, clamps: [...clamps.values()], errors: [...errors.values()], patches, hookSets, steering, layers };
}
