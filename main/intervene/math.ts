/**
 * Per-position transcoder arithmetic in plain loops. Interventions touch a handful of (layer, position) rows, so
 * encoding those rows in JS (one D×d product each) is cheaper than building and running an encode program, and it
 * lets the iterative clamp read activations of the run it is in.
 */
import type { Dictionary } from '../../shared/dictionary';
import type { Tensor } from '../../shared/tensor';
import { decoderSlice } from '../../native/programs/encode';
import { softmaxF32 } from '../engine/sampler';
import type { TopToken } from '../../shared/intervention';
import type { Tokenizer } from '../tokenizer/types';

/** Row t of a [1, T, d] or [T, d] tensor (a view). */
export function rowOf(t: Tensor, pos: number): Float32Array {
  const d = t.shape[t.shape.length - 1];
  return t.data.subarray(pos * d, (pos + 1) * d);
}

/** Activations σ(x·W_encᵀ + b_enc) of one layer at one position (D), circuit-tracer semantics; BOS is zero. */
export function encodeRow(dict: Dictionary, layer: number, x: Float32Array, pos: number): Float32Array {
  const { nFeatures: D, dModel: d } = dict;
  const out = new Float32Array(D);
  if (pos === 0) return out; // BOS features are zeroed by convention (docs/dictionaries.md)
  const lay = dict.layers[layer];
  const pre = new Float32Array(D);
  for (let f = 0; f < D; f++) {
    let s = lay.b_enc.data[f];
    const o = f * d;
    for (let j = 0; j < d; j++) s += lay.W_enc.data[o + j] * x[j];
    pre[f] = s;
  }
  const a = dict.activation;
  if (a.kind === 'relu') for (let f = 0; f < D; f++) out[f] = Math.max(0, pre[f]);
  else if (a.kind === 'jumprelu') for (let f = 0; f < D; f++) out[f] = pre[f] > lay.threshold!.data[f] ? pre[f] : 0;
  else {
    const order = Array.from({ length: D }, (_, f) => f).sort((p, q) => pre[q] - pre[p] || p - q);
    for (let i = 0; i < Math.min(a.k, D); i++) out[order[i]] = pre[order[i]];
  }
  return out;
}

/** x·W_skipᵀ (zeros without a skip). */
export function skipRow(dict: Dictionary, layer: number, x: Float32Array): Float32Array {
  const d = dict.dModel;
  const out = new Float32Array(d);
  const W = dict.layers[layer].W_skip;
  if (!W) return out;
  for (let j = 0; j < d; j++) {
    let s = 0;
    for (let i = 0; i < d; i++) s += W.data[j * d + i] * x[i];
    out[j] = s;
  }
  return out;
}

/** Output layers a feature of `layer` writes: itself (PLT) or itself and every later layer (CLT). */
export function outputLayers(dict: Dictionary, layer: number): number[] {
  return dict.kind === 'plt' ? [layer] : Array.from({ length: dict.nLayers - layer }, (_, j) => layer + j);
}

/** Decoder row of feature f of source layer i written into output layer k (a view). */
export function decoderRow(dict: Dictionary, i: number, k: number, f: number): Float32Array {
  const d = dict.dModel;
  return decoderSlice(dict, i, k).data.subarray(f * d, (f + 1) * d);
}

/** out += s·v */
export function axpy(out: Float32Array, s: number, v: ArrayLike<number>): void {
  for (let j = 0; j < out.length; j++) out[j] += s * v[j];
}

/** Σ_i≤k act_i·W_dec[i→k] + b_dec_k + skip_k(x_k): the transcoder's reconstruction of MLP output k at one position. */
export function reconRow(dict: Dictionary, k: number, actsBySource: readonly Float32Array[], xk: Float32Array): Float32Array {
  const out = Float32Array.from(dict.layers[k].b_dec.data);
  for (let i = dict.kind === 'plt' ? k : 0; i <= k; i++) {
    const a = actsBySource[i];
    for (let f = 0; f < a.length; f++) if (a[f] !== 0) axpy(out, a[f], decoderRow(dict, i, k, f));
  }
  axpy(out, 1, skipRow(dict, k, xk));
  return out;
}

export function topTokens(logits: Float32Array, k: number, tok: Pick<Tokenizer, 'decode'>): TopToken[] {
  const p = softmaxF32(logits);
  const order = Array.from({ length: logits.length }, (_, i) => i).sort((a, b) => logits[b] - logits[a] || a - b);
  return order.slice(0, k).map((id) => ({ token: id, text: tok.decode([id]), logit: logits[id], prob: p[id] }));
}
