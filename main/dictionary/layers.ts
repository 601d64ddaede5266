/**
 * Shape/value checks shared by the dictionary reader and writer, and the assembly of TranscoderLayers from the
 * tensors of circuit-tracer's PLT and CLT files. Errors name the file and tensor, with expected vs actual shape.
 */
import type { Activation, Dictionary, TranscoderLayer } from '../../shared/dictionary';
import type { Tensor } from '../../shared/tensor';
import { UserError } from '../errors';
import type { ActivationName, DictionaryConfig } from './config';
import { decodeSafetensorsEntry, quote, readSafetensorsHeader, type SafetensorsHeader } from './safetensors';

type Fail = (msg: string) => UserError;
type Field = 'W_enc' | 'b_enc' | 'W_dec' | 'b_dec' | 'threshold' | 'W_skip';
/** How a tensor is called in messages, e.g. "W_dec_2 in W_dec_2.safetensors" or "layer 2 W_dec". */
export type Label = (layer: number, field: Field) => string;

const FLOAT_DTYPES = new Set(['F32', 'F16', 'BF16', 'F64']);
const fmt = (s: readonly number[]): string => `[${s.join(', ')}]`;

/** NaN anywhere (and ±inf outside thresholds, where +inf legitimately means "never fires") would poison every attribution. */
export function checkFinite(t: Tensor, what: string, allowInf: boolean, fail: Fail): void {
  const d = t.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (v !== v || (!allowInf && (v === Infinity || v === -Infinity))) throw fail(`${what} has a non-finite value (${v}) at flat index ${i}`);
  }
}

function expectShape(t: Tensor, want: readonly number[], what: string, why: string, fail: Fail): void {
  if (t.shape.length !== want.length || t.shape.some((s, i) => s !== want[i])) {
    throw fail(`${what} has shape ${fmt(t.shape)}, expected ${fmt(want)} (${why})`);
  }
}

export interface Dims {
  readonly kind: 'plt' | 'clt';
  readonly nLayers: number;
  readonly dModel: number;
  readonly nFeatures: number;
}

/** Checks one layer against D and d (taken from layer 0's W_enc by the reader, from the Dictionary by the writer). */
export function checkLayer(layer: TranscoderLayer, l: number, dims: Dims, label: Label, fail: Fail): void {
  const { nFeatures: D, dModel: d, nLayers: L } = dims;
  const why = `D=${D} features, d_model=${d}`;
  const enc = layer.W_enc;
  if (enc.shape.length === 2 && enc.shape[0] !== D && enc.shape[1] === d) {
    throw fail(`${label(l, 'W_enc')} has ${enc.shape[0]} features but ${label(0, 'W_enc')} has ${D}; every layer must have the same number of features`);
  }
  expectShape(enc, [D, d], label(l, 'W_enc'), why, fail);
  expectShape(layer.b_enc, [D], label(l, 'b_enc'), why, fail);
  const decShape = dims.kind === 'plt' ? [D, d] : [D, L - l, d];
  expectShape(layer.W_dec, decShape, label(l, 'W_dec'), dims.kind === 'plt' ? why : `${why}, ${L - l} output layers from layer ${l} on`, fail);
  expectShape(layer.b_dec, [d], label(l, 'b_dec'), why, fail);
  if (layer.threshold) expectShape(layer.threshold, [D], label(l, 'threshold'), why, fail);
  if (layer.W_skip) expectShape(layer.W_skip, [d, d], label(l, 'W_skip'), why, fail);
  for (const f of ['W_enc', 'b_enc', 'W_dec', 'b_dec', 'W_skip'] as const) {
    const t = layer[f];
    if (t) checkFinite(t, label(l, f), false, fail);
  }
  if (layer.threshold) checkFinite(layer.threshold, label(l, 'threshold'), true, fail);
}

/** Validates a whole in-memory dictionary before it is written. */
export function checkDictionary(dict: Dictionary, fail: Fail): void {
  const { kind, layers, nLayers, dModel, nFeatures, activation } = dict;
  if (kind !== 'plt' && kind !== 'clt') throw fail(`kind must be plt or clt, not ${quote(String(kind))}`);
  const posInt = (v: number): boolean => Number.isSafeInteger(v) && v > 0;
  if (!posInt(nLayers) || !posInt(dModel) || !posInt(nFeatures)) throw fail('nLayers, dModel and nFeatures must be positive integers');
  if (layers.length !== nLayers) throw fail(`nLayers is ${nLayers} but there are ${layers.length} layers`);
  if (!dict.inputHook || !dict.outputHook) throw fail('inputHook and outputHook must be non-empty hook names');
  if (activation.kind === 'topk' && (kind === 'clt' || !posInt(activation.k))) {
    throw fail(kind === 'clt' ? 'topk activation is only supported for per-layer transcoders' : `topk k must be a positive integer, not ${activation.k}`);
  }
  const label: Label = (l, f) => `layer ${l} ${f}`;
  layers.forEach((layer, l) => {
    if (activation.kind === 'jumprelu' && !layer.threshold) throw fail(`layer ${l} has no threshold but the activation is jumprelu`);
    if (activation.kind !== 'jumprelu' && layer.threshold) throw fail(`layer ${l} has a threshold but the activation is ${activation.kind}`);
    if (kind === 'clt' && layer.W_skip) throw fail(`layer ${l} has W_skip, which circuit-tracer's cross-layer format cannot store`);
    if (!!layer.W_skip !== !!layers[0].W_skip) throw fail(`layer ${l} ${layer.W_skip ? 'has' : 'lacks'} W_skip but layer 0 ${layers[0].W_skip ? 'has' : 'lacks'} it; use it in every layer or none`);
    checkLayer(layer, l, { kind, nLayers, dModel, nFeatures }, label, fail);
  });
}

/** One safetensors file of the dictionary, header parsed; tensors are decoded on demand. */
export class TensorFile {
  readonly header: SafetensorsHeader;
  constructor(
    readonly name: string,
    readonly source: string,
    readonly bytes: Uint8Array,
  ) {
    this.header = readSafetensorsHeader(bytes, source);
  }

  has(tensor: string): boolean {
    return this.header.tensors.has(tensor);
  }

  /** Decodes a float tensor; a missing one is an error naming the tensors the file should hold. */
  get(tensor: string, expected: readonly string[], fail: Fail): Tensor {
    const e = this.header.tensors.get(tensor);
    if (!e) throw fail(`${this.name} has no tensor ${tensor} (expected ${expected.join(', ')})`);
    if (!FLOAT_DTYPES.has(e.dtype)) throw fail(`${tensor} in ${this.name} has dtype ${e.dtype}; dictionary weights must be F32, F16, BF16 or F64`);
    return { data: decodeSafetensorsEntry(this.bytes, e, tensor, this.source), shape: [...e.shape] };
  }

  /** A scalar integer tensor such as TopK's `k` (any numeric dtype). */
  scalar(tensor: string, fail: Fail): number | undefined {
    const e = this.header.tensors.get(tensor);
    if (!e) return undefined;
    const data = decodeSafetensorsEntry(this.bytes, e, tensor, this.source);
    if (data.length !== 1 || e.shape.length > 1) throw fail(`${tensor} in ${this.name} must be a scalar, got shape ${fmt(e.shape)}`);
    return data[0];
  }
}

export interface BuiltLayers {
  readonly layers: TranscoderLayer[];
  readonly activation: Activation;
  readonly dModel: number;
  readonly nFeatures: number;
}

/** D and d from layer 0's encoder, the one tensor every format has. */
function dimsFrom(enc: Tensor, what: string, fail: Fail): { D: number; d: number } {
  if (enc.shape.length !== 2 || enc.shape[0] < 1 || enc.shape[1] < 1) throw fail(`${what} has shape ${fmt(enc.shape)}, expected [D features, d_model] with both > 0`);
  return { D: enc.shape[0], d: enc.shape[1] };
}

/** circuit-tracer's rule: an explicit activation must agree with the weights; absent means "what the weights say". */
function resolveActivation(declared: ActivationName | undefined, thresholds: boolean[], names: readonly string[], k: number | undefined, fail: Fail): Activation {
  const withT = thresholds.filter(Boolean).length;
  if (withT !== 0 && withT !== thresholds.length) {
    const missing = names[thresholds.indexOf(false)];
    throw fail(`${missing} has no threshold but ${names[thresholds.indexOf(true)]} has one; JumpReLU needs a threshold in every layer`);
  }
  const kind = declared ?? (withT > 0 ? 'jumprelu' : k !== undefined ? 'topk' : 'relu');
  if (kind === 'jumprelu' && withT === 0) throw fail(`config.yaml sets activation: jumprelu but ${names[0]} has no threshold tensor`);
  if (kind !== 'jumprelu' && withT > 0) throw fail(`${names[0]} has a threshold tensor but config.yaml sets activation: ${kind}; remove one of them`);
  if (kind !== 'topk') return { kind };
  if (k === undefined) throw fail('config.yaml sets activation: topk but gives no k; add e.g. `k: 32` (features kept per position)');
  return { kind, k };
}

const PLT_TENSORS = ['W_enc', 'W_dec', 'b_enc', 'b_dec'];

/** Per-layer transcoders: one `layer_{i}.safetensors`-style file per layer. */
export function buildPltLayers(files: readonly TensorFile[], config: DictionaryConfig, fail: Fail): BuiltLayers {
  const get = (f: TensorFile, t: string): Tensor => f.get(t, PLT_TENSORS, fail);
  const thresholdName = (f: TensorFile): string | undefined =>
    ['activation_function.threshold', 'threshold'].find((t) => f.has(t));
  let k = config.k;
  for (const f of files) {
    const fileK = f.scalar('k', fail);
    if (fileK === undefined) continue;
    if (!Number.isSafeInteger(fileK) || fileK < 1) throw fail(`k in ${f.name} must be a positive integer, got ${fileK}`);
    if (k !== undefined && k !== fileK) throw fail(`k in ${f.name} is ${fileK} but ${config.k !== undefined ? 'config.yaml says' : 'another layer has'} ${k}`);
    k = fileK;
  }
  const activation = resolveActivation(config.activation, files.map((f) => thresholdName(f) !== undefined), files.map((f) => f.name), k, fail);
  const layers = files.map((f): TranscoderLayer => {
    const t = thresholdName(f);
    return {
      W_enc: get(f, 'W_enc'), W_dec: get(f, 'W_dec'), b_enc: get(f, 'b_enc'), b_dec: get(f, 'b_dec'),
      ...(t !== undefined && activation.kind === 'jumprelu' && { threshold: get(f, t) }),
      ...(f.has('W_skip') && { W_skip: get(f, 'W_skip') }),
    };
  });
  const { D, d } = dimsFrom(layers[0].W_enc, `W_enc in ${files[0].name}`, fail);
  const label: Label = (l, field) => {
    const name = field === 'threshold' ? (thresholdName(files[l]) ?? 'threshold') : field;
    return `${name} in ${files[l].name}`;
  };
  layers.forEach((layer, l) => {
    if (!!layer.W_skip !== !!layers[0].W_skip) throw fail(`${files[l].name} ${layer.W_skip ? 'has' : 'lacks'} W_skip but ${files[0].name} ${layers[0].W_skip ? 'has' : 'lacks'} it; use it in every layer or none`);
    checkLayer(layer, l, { kind: 'plt', nLayers: files.length, dModel: d, nFeatures: D }, label, fail);
  });
  return { layers, activation, dModel: d, nFeatures: D };
}

/** Cross-layer transcoders: `W_enc_{i}.safetensors` and `W_dec_{i}.safetensors` per source layer. */
export function buildCltLayers(enc: readonly TensorFile[], dec: readonly TensorFile[], config: DictionaryConfig, fail: Fail): BuiltLayers {
  if (config.activation === 'topk') throw fail('config.yaml sets activation: topk, which circuit-tracer supports only for per-layer transcoders');
  const L = enc.length;
  const hasT = enc.map((f, i) => f.has(`threshold_${i}`));
  const activation = resolveActivation(config.activation, hasT, enc.map((f) => f.name), undefined, fail);
  const layers = enc.map((f, i): TranscoderLayer => {
    const expected = [`W_enc_${i}`, `b_enc_${i}`, `b_dec_${i}`];
    let threshold: Tensor | undefined;
    if (hasT[i]) {
      threshold = f.get(`threshold_${i}`, expected, fail);
      // The in-memory CLT threshold is (L, 1, D); a per-layer slice may be saved as (1, D) rather than squeezed.
      if (threshold.shape.length === 2 && threshold.shape[0] === 1) threshold = { data: threshold.data, shape: [threshold.shape[1]] };
    }
    return {
      W_enc: f.get(`W_enc_${i}`, expected, fail), b_enc: f.get(`b_enc_${i}`, expected, fail), b_dec: f.get(`b_dec_${i}`, expected, fail),
      W_dec: dec[i].get(`W_dec_${i}`, [`W_dec_${i}`], fail),
      ...(threshold && { threshold }),
    };
  });
  const { D, d } = dimsFrom(layers[0].W_enc, `W_enc_0 in ${enc[0].name}`, fail);
  const label: Label = (l, field) => (field === 'W_dec' ? `W_dec_${l} in ${dec[l].name}` : `${field}_${l} in ${enc[l].name}`);
  layers.forEach((layer, l) => checkLayer(layer, l, { kind: 'clt', nLayers: L, dModel: d, nFeatures: D }, label, fail));
  return { layers, activation, dModel: d, nFeatures: D };
}
