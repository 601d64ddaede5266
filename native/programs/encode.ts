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
import { GraphBuilder, type Value } from '../onnx/builder';

/** Decoder rows of source layer i that write into output layer k, as a (D, d) tensor. */
export function decoderSlice(dict: Dictionary, i: number, k: number): Tensor {
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

/** σ(pre) for the dictionary's activation function, as graph ops. */
export function activationOp(g: GraphBuilder, dict: Dictionary, layer: number, pre: Value): Value {
  const a = dict.activation;
  switch (a.kind) {
    case 'relu':
      return g.op('Relu', [pre]);
    case 'jumprelu': {
      const th = dict.layers[layer].threshold;
      if (!th) throw new Error(`JumpReLU dictionary has no threshold for layer ${layer}`);
      // Strict h > θ, and the output is h itself (not h − θ).
      return g.where(g.op('Greater', [pre, g.constF(th.data, th.shape, 'theta')]), pre, g.scalarF(0));
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

export function buildEncodeProgram(dict: Dictionary, opts: EncodeProgramOptions): Uint8Array {
  const g = new GraphBuilder('encode');
  const { nLayers: L, dModel: d, nFeatures: D } = dict;
  const keep = g.input(encodeInputs.keep, 'float32', ['T', 1]);
  const xs: Value[] = [];
  const acts: Value[] = [];
  for (let l = 0; l < L; l++) {
    const layer = dict.layers[l];
    const x = g.input(encodeInputs.x(l), 'float32', ['T', d]);
    xs.push(x);
    const wEncT = g.transpose(g.constF(layer.W_enc.data, layer.W_enc.shape, 'W_enc'), [1, 0]);
    const pre = g.add(g.matMul(x, wEncT), g.constF(layer.b_enc.data, layer.b_enc.shape, 'b_enc'));
    if (opts.withPre) g.output(pre, encodeOutputs.pre(l), 'float32', ['T', D]);
    const act = g.mul(activationOp(g, dict, l, pre), keep);
    acts.push(act);
    g.output(act, encodeOutputs.act(l), 'float32', ['T', D]);
  }
  if (opts.withError) {
    for (let k = 0; k < L; k++) {
      const layer = dict.layers[k];
      let recon = g.constF(layer.b_dec.data, layer.b_dec.shape, 'b_dec');
      const sources = dict.kind === 'plt' ? [k] : Array.from({ length: k + 1 }, (_, i) => i);
      for (const i of sources) {
        const dec = decoderSlice(dict, i, k);
        recon = g.add(recon, g.matMul(acts[i], g.constF(dec.data, dec.shape, 'W_dec')));
      }
      if (layer.W_skip) {
        recon = g.add(recon, g.matMul(xs[k], g.transpose(g.constF(layer.W_skip.data, layer.W_skip.shape, 'W_skip'), [1, 0])));
      }
      const y = g.input(encodeInputs.y(k), 'float32', ['T', d]);
      g.output(recon, encodeOutputs.recon(k), 'float32', ['T', d]);
      g.output(g.mul(g.sub(y, recon), keep), encodeOutputs.err(k), 'float32', ['T', d]);
    }
  }
  return g.toBytes();
}
