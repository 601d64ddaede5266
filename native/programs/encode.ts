/**
 * The dictionary-encode program: transcoder features of every layer for one sequence, the reconstruction of
 * each layer's MLP output and the error vector that makes the replacement exact (circuit-tracer §1.2–§1.6):
 *
 *   pre_l  = x_l·W_encᵀ + b_enc                      (T, D)
 *   act_l  = σ(pre_l) · keep                           keep = 0 at BOS positions, else 1
 *   recon_k = Σ_{i ≤ k} act_i·W_dec_i[:, k−i] + b_dec_k + x_k·W_skipᵀ      (PLT: only i = k)
 *   err_k  = (y_k − recon_k) · keep
 */
import type { Dictionary } from '../../shared/dictionary';
import type { Tensor } from '../../shared/tensor';
import { GraphBuilder, type BuiltProgram, type Value } from '../onnx/builder';

const sliceCache = new WeakMap<Dictionary, Map<string, Tensor>>();

/** Decoder rows of source layer i that write into output layer k, as a (D, d) tensor (CLT slices memoized). */
export function decoderSlice(dict: Dictionary, i: number, k: number): Tensor {
  let cache = sliceCache.get(dict);
  if (!cache) sliceCache.set(dict, (cache = new Map()));
  const key = `${i}:${k}`;
  let t = cache.get(key);
  if (!t) cache.set(key, (t = computeDecoderSlice(dict, i, k)));
  return t;
}

function computeDecoderSlice(dict: Dictionary, i: number, k: number): Tensor {
  const W = dict.layers[i].W_dec;
  if (dict.kind === 'plt') {
    if (i !== k) throw new RangeError('a per-layer transcoder only writes its own layer');
    return W;
  }
  const [D, span, d] = W.shape;
  const j = k - i;
  if (j < 0 || j >= span) throw new RangeError(`CLT layer ${i} does not write layer ${k}`);
  const out = new Float32Array(D * d);
  for (let f = 0; f < D; f++) out.set(W.data.subarray((f * span + j) * d, (f * span + j + 1) * d), f * d);
  return { data: out, shape: [D, d] };
}

/** A dictionary tensor as an external input of a program (keyed by layer and name). */
export function dictInput(g: GraphBuilder, dict: Dictionary, layer: number, name: 'W_enc' | 'b_enc' | 'b_dec' | 'threshold' | 'W_skip'): Value {
  const t = dict.layers[layer][name];
  if (!t) throw new Error(`dictionary layer ${layer} has no ${name}`);
  return g.external(`dict.${layer}.${name}`, t);
}

export function dictDecoderInput(g: GraphBuilder, dict: Dictionary, i: number, k: number): Value {
  return g.external(`dict.${i}.W_dec.${k}`, decoderSlice(dict, i, k));
}

/** Transcoder pre-activations x·W_encᵀ + b_enc for any leading dims of x. */
export function preActivation(g: GraphBuilder, dict: Dictionary, layer: number, x: Value): Value {
  const { nFeatures: D, dModel: d } = dict;
  return g.add(g.linearT(x, dictInput(g, dict, layer, 'W_enc'), D, d), dictInput(g, dict, layer, 'b_enc'));
}

/** x·W_skipᵀ (PLT skip connection). */
export function skipOutput(g: GraphBuilder, dict: Dictionary, layer: number, x: Value): Value {
  return g.linearT(x, dictInput(g, dict, layer, 'W_skip'), dict.dModel, dict.dModel);
}

/** σ(pre) for the dictionary's activation function, as graph ops. */
export function activationOp(g: GraphBuilder, dict: Dictionary, layer: number, pre: Value): Value {
  const a = dict.activation;
  switch (a.kind) {
    case 'relu':
      return g.op('Relu', [pre]);
    case 'jumprelu': {
      // Strict h > θ, and the output is h itself (not h − θ).
      return g.where(g.op('Greater', [pre, dictInput(g, dict, layer, 'threshold')]), pre, g.scalarF(0));
    }
    case 'topk': {
      const [vals, idx] = g.opN('TopK', [pre, g.constI64([a.k])], 2, { axis: -1, largest: 1, sorted: 0 });
      const zeros = g.op('ConstantOfShape', [g.op('Shape', [pre])], {});
      return g.op('ScatterElements', [zeros, idx, vals], { axis: -1 });
    }
  }
}

export interface EncodeProgramOptions {
  /** Emit pre-activations too (attribution reads them for target features). */
  readonly withPre?: boolean;
  /** Emit reconstruction and error (needs the true output-hook values as inputs). */
  readonly withError?: boolean;
}

export const encodeInputs = {
  x: (l: number) => `x_${l}`,
  y: (l: number) => `y_${l}`,
  keep: 'keep',
};
export const encodeOutputs = {
  pre: (l: number) => `pre_${l}`,
  act: (l: number) => `act_${l}`,
  recon: (l: number) => `recon_${l}`,
  err: (l: number) => `err_${l}`,
};

export function buildEncodeProgram(dict: Dictionary, opts: EncodeProgramOptions): BuiltProgram {
  const g = new GraphBuilder('encode');
  const { nLayers: L, dModel: d, nFeatures: D } = dict;
  const keep = g.input(encodeInputs.keep, 'float32', ['T', 1]);
  const xs: Value[] = [];
  const acts: Value[] = [];
  for (let l = 0; l < L; l++) {
    const x = g.input(encodeInputs.x(l), 'float32', ['T', d]);
    xs.push(x);
    const pre = preActivation(g, dict, l, x);
    if (opts.withPre) g.output(pre, encodeOutputs.pre(l), 'float32', ['T', D]);
    const act = g.mul(activationOp(g, dict, l, pre), keep);
    acts.push(act);
    g.output(act, encodeOutputs.act(l), 'float32', ['T', D]);
  }
  if (opts.withError) {
    for (let k = 0; k < L; k++) {
      const layer = dict.layers[k];
      let recon = dictInput(g, dict, k, 'b_dec');
      const sources = dict.kind === 'plt' ? [k] : Array.from({ length: k + 1 }, (_, i) => i);
      for (const i of sources) {
        recon = g.add(recon, g.matMul(acts[i], dictDecoderInput(g, dict, i, k)));
      }
      if (layer.W_skip) {
        recon = g.add(recon, skipOutput(g, dict, k, xs[k]));
      }
      const y = g.input(encodeInputs.y(k), 'float32', ['T', d]);
      g.output(recon, encodeOutputs.recon(k), 'float32', ['T', d]);
      g.output(g.mul(g.sub(y, recon), keep), encodeOutputs.err(k), 'float32', ['T', d]);
    }
  }
  return g.build();
}
