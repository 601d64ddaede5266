/**
 * The linearized backward program: the transpose of the frozen replacement model (circuit-tracer §1.8, §2.6).
 *
 * With attention patterns and every norm scale frozen and the MLPs replaced by transcoder features + errors
 * (gradient only through the linear skip), the map from (token embeddings, MLP-output injections) to (feature
 * pre-activations, demeaned logits) is linear. For a batch of B targets, each an injection vector at
 * (layer, position) — an encoder row for a feature target (its pre-activation), a demeaned unembedding column
 * for a logit target (injected after the frozen final norm) — this program walks the residual stream from the
 * top down and returns each target's row of direct effects from every source:
 *   features: ⟨∂target/∂mlp_out_k[p], a_s·W_dec[s→k]⟩ summed over the layers k the feature writes,
 *   errors:   ⟨∂target/∂mlp_out_k[p], ε[k,p]⟩,
 *   tokens:   ⟨∂target/∂embed[p], W_E[token_p]⟩.
 * Output `rows` is [B, A + L·T + T] in graph node order (features by (layer, pos, index), errors layer-major,
 * tokens). Layers above `top` (the highest target layer of the batch) are not built: nothing flows there.
 *
 * Inputs (T positions): tgt_layer, tgt_pos int64 [B] (layer L = logit), tgt_vec [B, d];
 * pattern_l [H, T, T], s1_l, s2_l [T, 1] (ln1/ln2 RMS), s_final [T, 1];
 * dec_k [T, n_k, d] (activation-scaled decoder rows written into layer k, padded per position),
 * gidx_k int64 [R_k] (their places in the flattened [T·n_k]), err_k [T, d], emb [T, d];
 * CLT only: row_feature int64 [R] (feature column of each decoder row) and n_features int64 [1].
 */
import type { Dictionary } from '../../shared/dictionary';
import type { ModelSpec } from '../../shared/model';
import { weightNames as W } from '../../shared/model';
import { GraphBuilder, type BuiltProgram, type Value } from '../onnx/builder';
import { dictInput } from './encode';
import { weightAccess } from './llamaParts';

export const backwardIO = {
  pattern: (l: number) => `pattern_${l}`,
  s1: (l: number) => `s1_${l}`,
  s2: (l: number) => `s2_${l}`,
  dec: (k: number) => `dec_${k}`,
  gidx: (k: number) => `gidx_${k}`,
  err: (k: number) => `err_${k}`,
};

export function supportsBackward(dict: Dictionary): string | null {
  if (dict.outputHook !== 'hook_mlp_out') return `the dictionary writes ${dict.outputHook}; attribution supports hook_mlp_out`;
  if (dict.inputHook !== 'mlp.hook_in' && dict.inputHook !== 'hook_resid_mid') return `the dictionary reads ${dict.inputHook}; attribution supports mlp.hook_in and hook_resid_mid`;
  return null;
}

export function buildBackwardProgram(spec: ModelSpec, dict: Dictionary, top: number): BuiltProgram {
  const why = supportsBackward(dict);
  if (why) throw new Error(why);
  const cfg = spec.config;
  const { nLayers: L, dModel: d, nHeads: H, nKvHeads: K, headDim: dh } = cfg;
  const G = H / K;
  const g = new GraphBuilder('backward');
  const { weight } = weightAccess(g, spec);

  const tgtLayer = g.input('tgt_layer', 'int64', ['B']);
  const tgtPos = g.input('tgt_pos', 'int64', ['B']);
  const tgtVec = g.input('tgt_vec', 'float32', ['B', d]);
  const emb = g.input('emb', 'float32', ['T', d]);
  const Bdim = g.dim(tgtVec, 0);
  const Tdim = g.dim(emb, 0);
  const shapeOf = (...parts: (Value | number)[]) => g.concat(parts.map((p) => (typeof p === 'number' ? g.constI64([p]) : p)), 0);
  const range = g.op('Range', [g.constI64([0], []), g.op('Squeeze', [Tdim, g.constI64([0])]), g.constI64([1], [])]);
  const posHot = g.op('Cast', [g.op('Equal', [g.unsqueeze(tgtPos, [1]), g.unsqueeze(range, [0])])], { to: 1 }); // [B, T]
  const vec3 = g.unsqueeze(tgtVec, [1]); // [B, 1, d]
  /** Targets at `layer` inject their vector at their position: [B, T, d]. */
  const inject = (layer: number) => {
    const onLayer = g.op('Cast', [g.op('Equal', [tgtLayer, g.constI64([layer], [])])], { to: 1 }); // [B]
    return g.mul(g.unsqueeze(g.mul(posHot, g.unsqueeze(onLayer, [1])), [2]), vec3);
  };

  // gradAt[k] = ∂/∂ mlp_out_k (= ∂/∂ resid_post_k); built from the top down.
  const gradAt: (Value | null)[] = Array(L).fill(null);
  let grad: Value | null = null;
  if (top >= L) {
    const sFinal = g.input('s_final', 'float32', ['T', 1]);
    grad = g.div(g.mul(inject(L), weight(W.lnFinal)), sFinal);
  }
  const add = (a: Value | null, b: Value) => (a ? g.add(a, b) : b);
  for (let l = Math.min(top, L - 1); l >= 0; l--) {
    gradAt[l] = grad;
    // Gradient reaching the transcoder input x_l: this layer's feature targets + the skip path.
    let gx: Value = inject(l);
    const skip = dict.layers[l].W_skip;
    if (skip && grad) gx = g.add(gx, g.matMul(grad, dictInput(g, dict, l, 'W_skip')));
    if (dict.inputHook === 'mlp.hook_in') {
      const s2 = g.input(backwardIO.s2(l), 'float32', ['T', 1]);
      grad = add(grad, g.div(g.mul(gx, weight(W.ln2(l))), s2));
    } else grad = add(grad, gx);
    // Attention, transposed: through W_O, the frozen pattern (keys ← queries), grouped heads, W_V, frozen ln1.
    const pattern = g.input(backwardIO.pattern(l), 'float32', ['H', 'T', 'T']);
    const s1 = g.input(backwardIO.s1(l), 'float32', ['T', 1]);
    const gz = g.transpose(g.reshape(g.matMul(grad!, weight(W.wo(l))), [0, 0, H, dh]), [0, 2, 1, 3]); // [B,H,T,dh]
    const gvHeads = g.matMul(g.transpose(pattern, [0, 2, 1]), gz); // [B,H,T(key),dh]
    const gv = g.op('ReduceSum', [g.reshape(gvHeads, shapeOf(Bdim, K, G, Tdim, dh)), g.constI64([2])], { keepdims: 0 }); // [B,K,T,dh]
    const gvFlat = g.reshape(g.transpose(gv, [0, 2, 1, 3]), [0, 0, K * dh]);
    const gh = g.matMul(gvFlat, weight(W.wv(l))); // [B,T,d]
    grad = g.add(grad!, g.div(g.mul(gh, weight(W.ln1(l))), s1));
  }
  const gradEmb = grad;

  const zerosBy = (like: Value, axis: number) => g.op('ConstantOfShape', [shapeOf(Bdim, g.dim(like, axis))]);
  const featureParts: Value[] = [];
  const errorParts: Value[] = [];
  for (let k = 0; k < L; k++) {
    const dec = g.input(backwardIO.dec(k), 'float32', ['T', `n${k}`, d]);
    const gidx = g.input(backwardIO.gidx(k), 'int64', [`R${k}`]);
    const err = g.input(backwardIO.err(k), 'float32', ['T', d]);
    const gk = gradAt[k];
    if (!gk) {
      featureParts.push(zerosBy(gidx, 0));
      errorParts.push(g.op('ConstantOfShape', [shapeOf(Bdim, Tdim)]));
      continue;
    }
    // Per position: [T, B, d] × [T, d, n] → [T, B, n]; then the active slots in feature order.
    const perPos = g.matMul(g.transpose(gk, [1, 0, 2]), g.transpose(dec, [0, 2, 1]));
    const flat = g.reshape(g.transpose(perPos, [1, 0, 2]), shapeOf(Bdim, -1));
    featureParts.push(g.op('Gather', [flat, gidx], { axis: 1 }));
    errorParts.push(g.op('ReduceSum', [g.mul(gk, err), g.constI64([-1])], { keepdims: 0 }));
  }
  let features = g.concat(featureParts, 1); // [B, R]
  if (dict.kind === 'clt') {
    // A CLT feature owns one decoder row per layer it writes: sum them into its column.
    const rowFeature = g.input('row_feature', 'int64', ['R']);
    const nFeatures = g.input('n_features', 'int64', [1]);
    const idx = g.op('Expand', [g.unsqueeze(rowFeature, [0]), g.op('Shape', [features])]);
    features = g.op('ScatterElements', [g.op('ConstantOfShape', [g.concat([Bdim, nFeatures], 0)]), idx, features], { axis: 1, reduction: 'add' });
  }
  const tokens = gradEmb
    ? g.op('ReduceSum', [g.mul(gradEmb, emb), g.constI64([-1])], { keepdims: 0 })
    : g.op('ConstantOfShape', [shapeOf(Bdim, Tdim)]);
  g.output(g.concat([features, ...errorParts, tokens], 1), 'rows', 'float32', ['B', 'N']);
  return g.build();
}
