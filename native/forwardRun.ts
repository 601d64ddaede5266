/**
 * Runs the forward program: turns a ForwardRequest (sparse interventions, frozen tensors) into the dense
 * inputs of the right cached session and returns the requested hook tensors.
 */
import type { ModelSpec } from '../shared/model';
import type { ForwardRequest as BaseRequest, Activations } from '../shared/forward';
import type { Dictionary } from '../shared/dictionary';
import { hookShape } from '../shared/hooks';
import { numel } from '../shared/tensor';
import { getProgram, ort } from './session';
import { addInput, buildForwardProgram, frozenInput, setMaskInput, setValueInput, validateHookList, type ForwardProgramOptions } from './programs/forward';

/** Offsets of every element of the (batch b, position t) slice of a hook tensor, in slice order. */
function sliceOffsets(shape: readonly number[], posAxis: number, b: number, t: number): Int32Array {
  const strides = shape.map((_, i) => numel(shape.slice(i + 1)));
  const rest = shape.map((s, i) => (i === 0 || i === posAxis ? 1 : s));
  const n = numel(rest);
  const out = new Int32Array(n);
  const base = b * strides[0] + t * strides[posAxis];
  for (let k = 0; k < n; k++) {
    let rem = k;
    let off = base;
    for (let i = rest.length - 1; i >= 0; i--) {
      const idx = rem % rest[i];
      rem = (rem - idx) / rest[i];
      off += idx * strides[i];
    }
    out[k] = off;
  }
  return out;
}

function checkTokens(spec: ModelSpec, tokens: ForwardRequest['tokens']): { B: number; T: number } {
  const B = tokens.length;
  if (B === 0) throw new RangeError('forward: empty batch');
  const T = tokens[0].length;
  if (T === 0) throw new RangeError('forward: empty token sequence');
  if (T > spec.config.maxSeqLen) throw new RangeError(`forward: ${T} tokens exceed the model's context of ${spec.config.maxSeqLen}`);
  for (const seq of tokens) {
    if (seq.length !== T) throw new RangeError('forward: all sequences of a batch must have the same length');
    for (const id of seq) {
      if (!Number.isInteger(id) || id < 0 || id >= spec.config.vocabSize) {
        throw new RangeError(`forward: token id ${id} is outside the vocabulary [0, ${spec.config.vocabSize})`);
      }
    }
  }
  return { B, T };
}

export interface ForwardRequest extends BaseRequest {
  /** Run the "spliced" model: these layers' MLP outputs replaced by the dictionary's reconstruction. */
  readonly splice?: { readonly dict: Dictionary; readonly layers: readonly number[]; readonly keepPositions: number };
  /** Constrained replacement: frozen MLP outputs plus the dictionary's live skip path (see ForwardProgramOptions). */
  readonly frozenSkip?: Dictionary;
}

export async function runForward(spec: ModelSpec, req: ForwardRequest): Promise<Activations> {
  const cfg = spec.config;
  const { B, T } = checkTokens(spec, req.tokens);
  const interventions = req.interventions ?? [];
  validateHookList(req.outputs, cfg, 'outputs');
  validateHookList(interventions.map((i) => i.hook), cfg, 'interventions');
  const options: ForwardProgramOptions = {
    outputs: [...new Set(req.outputs)].sort(),
    frozen: [...(req.freeze?.keys() ?? [])].sort(),
    set: [...new Set(interventions.filter((i) => i.op === 'set').map((i) => i.hook))].sort(),
    add: [...new Set([...interventions.filter((i) => i.op === 'add').map((i) => i.hook), ...(req.addDense?.keys() ?? [])])].sort(),
  };
  const splice = req.splice ? { dict: req.splice.dict, layers: [...req.splice.layers].sort((a, b) => a - b), keepPositions: req.splice.keepPositions } : undefined;
  const spliceKey = splice ? `|splice:${splice.dict.fingerprint}:${splice.layers.join(',')}:${splice.keepPositions}` : '';
  const skipKey = req.frozenSkip ? `|frozenSkip:${req.frozenSkip.fingerprint}` : '';
  const key = `${spec.fingerprint}|forward|${JSON.stringify(options)}${spliceKey}${skipKey}`;
  const session = await getProgram(key, () => buildForwardProgram(spec, { ...options, splice, frozenSkip: req.frozenSkip }));

  const feeds: Record<string, ort.Tensor> = {};
  const ids = new BigInt64Array(B * T);
  req.tokens.forEach((seq, b) => seq.forEach((id, t) => (ids[b * T + t] = BigInt(id))));
  feeds.tokens = new ort.Tensor('int64', ids, [B, T]);

  for (const [name, t] of req.freeze ?? []) {
    const { shape } = hookShape(name, cfg, B, T);
    if (t.shape.join() !== shape.join()) throw new RangeError(`freeze: ${name} has shape [${t.shape}], expected [${shape}]`);
    feeds[frozenInput(name)] = new ort.Tensor('float32', t.data, shape);
  }
  const dense = new Map<string, { mask?: Uint8Array; value?: Float32Array; delta?: Float32Array; shape: number[] }>();
  for (const iv of interventions) {
    const { shape, posAxis } = hookShape(iv.hook, cfg, B, T);
    let entry = dense.get(iv.hook);
    if (!entry) dense.set(iv.hook, (entry = { shape }));
    const sliceLen = numel(shape) / (B * shape[posAxis]);
    if (iv.value.length !== sliceLen) {
      throw new RangeError(`intervention on ${iv.hook}: value has ${iv.value.length} elements, one position needs ${sliceLen}`);
    }
    const batches = iv.batch === undefined ? [...Array(B).keys()] : [iv.batch];
    const positions = iv.positions ?? [...Array(shape[posAxis]).keys()];
    for (const b of batches) {
      if (!(b >= 0 && b < B)) throw new RangeError(`intervention on ${iv.hook}: batch ${b} outside [0, ${B})`);
      for (const t of positions) {
        if (!(Number.isInteger(t) && t >= 0 && t < shape[posAxis])) throw new RangeError(`intervention on ${iv.hook}: position ${t} outside [0, ${shape[posAxis]})`);
        const offs = sliceOffsets(shape, posAxis, b, t);
        if (iv.op === 'set') {
          entry.mask ??= new Uint8Array(numel(shape));
          entry.value ??= new Float32Array(numel(shape));
          for (let k = 0; k < offs.length; k++) {
            entry.mask[offs[k]] = 1;
            entry.value[offs[k]] = iv.value[k];
          }
        } else {
          entry.delta ??= new Float32Array(numel(shape));
          for (let k = 0; k < offs.length; k++) entry.delta[offs[k]] += iv.value[k];
        }
      }
    }
  }
  for (const [name, t] of req.addDense ?? []) {
    const { shape } = hookShape(name, cfg, B, T);
    if (t.shape.join() !== shape.join()) throw new RangeError(`addDense: ${name} has shape [${t.shape}], expected [${shape}]`);
    let entry = dense.get(name);
    if (!entry) dense.set(name, (entry = { shape }));
    if (!entry.delta) entry.delta = t.data;
    else {
      const sum = new Float32Array(entry.delta);
      for (let k = 0; k < sum.length; k++) sum[k] += t.data[k];
      entry.delta = sum;
    }
  }
  for (const [name, e] of dense) {
    if (e.mask && e.value) {
      feeds[setMaskInput(name)] = new ort.Tensor('bool', e.mask, e.shape);
      feeds[setValueInput(name)] = new ort.Tensor('float32', e.value, e.shape);
    }
    if (e.delta) feeds[addInput(name)] = new ort.Tensor('float32', e.delta, e.shape);
  }

  const results = await session.run(feeds);
  const out: Activations = new Map();
  for (const name of req.outputs) {
    const r = results[name];
    out.set(name, { data: r.data as Float32Array, shape: r.dims.map(Number) });
  }
  return out;
}
