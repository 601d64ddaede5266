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
 * Layout and folding, for speed: the gradient is kept position-major [T, B, d], so the attention transpose is
 * H large matmuls [T, T] × [T, B·dh] and the decoder contraction a batched [T, B, d] × [T, d, n] — no big
 * transposes. Everything elementwise that depends only on the prompt is folded away before the run: the
 * target vectors arrive already mapped into the residual stream (⊙ gain / frozen RMS of their read point),
 * the frozen ln1 RMS is folded into the transposed patterns, the ln1 gain into W_V, the ln2 gain into W_skip.
 *
 * Inputs (T positions): tgt_layer, tgt_pos int64 [B] (layer L = logit), tgt_vec [B, d] (residual-stream
 * injections); patT_l [H, T(key), T(query)] = pattern[h, q, k] / s1[k]; s2_l [T, 1, 1] (skip dictionaries
 * reading mlp.hook_in only; holds 1/RMS); dec_k [T, d, n_k] (activation-scaled decoder rows written into layer k, padded per
 * position), gidx_k int64 [R_k] (their places in the flattened [T·n_k]), err_k [T, 1, d], emb [T, 1, d];
 * CLT only: row_feature int64 [R] (feature column of each decoder row) and n_features int64 [1].
 */
import type { Dictionary } from '../../shared/dictionary';
import type { ModelSpec } from '../../shared/model';
import type { Tensor } from '../../shared/tensor';
import { weightNames as W } from '../../shared/model';
import { GraphBuilder, type BuiltProgram, type Value } from '../onnx/builder';

export const backwardIO = {
  patT: (l: number) => `patT_${l}`,
  s2: (l: number) => `inv_s2_${l}`,
  dec: (k: number) => `dec_${k}`,
  gidx: (k: number) => `gidx_${k}`,
  err: (k: number) => `err_${k}`,
};

export function supportsBackward(dict: Dictionary): string | null {
  if (dict.outputHook !== 'hook_mlp_out') return `the dictionary writes ${dict.outputHook}; attribution supports hook_mlp_out`;
  if (dict.inputHook !== 'mlp.hook_in' && dict.inputHook !== 'hook_resid_mid') return `the dictionary reads ${dict.inputHook}; attribution supports mlp.hook_in and hook_resid_mid`;
  return null;
}

const folded = new WeakMap<object, Tensor>();

/** W scaled column-wise by a gain: (x·W) ⊙ gain = x·(W ⊙ gain). Memoized per tensor pair. */
function foldGain(w: Tensor, gain: Tensor): Tensor {
  let byGain = folded.get(w) as (Tensor & { gain?: Tensor }) | undefined;
  if (byGain && byGain.gain === gain) return byGain;
  const [rows, cols] = w.shape;
  const data = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) data[r * cols + c] = w.data[r * cols + c] * gain.data[c];
  byGain = Object.assign({ data, shape: [rows, cols] }, { gain });
  folded.set(w, byGain);
  return byGain;
}

const heads = new WeakMap<Tensor, Tensor>();

/** W_O (d, H·dh) as per-head blocks [H, d, dh]: the z-gradient of head h is g_out · W_O[:, h·dh:(h+1)·dh]. */
function headSplit(w: Tensor, H: number, dh: number): Tensor {
  let t = heads.get(w);
  if (!t) {
    const d = w.shape[0];
    const data = new Float32Array(H * d * dh);
    for (let h = 0; h < H; h++) for (let j = 0; j < d; j++) for (let e = 0; e < dh; e++) data[(h * d + j) * dh + e] = w.data[j * H * dh + h * dh + e];
    heads.set(w, (t = { data, shape: [H, d, dh] }));
  }
  return t;
}

export function buildBackwardProgram(spec: ModelSpec, dict: Dictionary, top: number): BuiltProgram {
  const why = supportsBackward(dict);
  if (why) throw new Error(why);
  const cfg = spec.config;
  const { nLayers: L, dModel: d, nHeads: H, nKvHeads: K, headDim: dh } = cfg;
  const G = H / K;
  const g = new GraphBuilder('backward');
  const tensorOf = (name: string) => spec.weights.get(name)!;
  const readsMlpIn = dict.inputHook === 'mlp.hook_in';

  const tgtLayer = g.input('tgt_layer', 'int64', ['B']);
  const tgtPos = g.input('tgt_pos', 'int64', ['B']);
  const tgtVec = g.input('tgt_vec', 'float32', ['B', d]);
  const emb = g.input('emb', 'float32', ['T', 1, d]);
  const Bdim = g.dim(tgtVec, 0);
  const Tdim = g.dim(emb, 0);
  const shapeOf = (...parts: (Value | number)[]) => g.concat(parts.map((p) => (typeof p === 'number' ? g.constI64([p]) : p)), 0);
  const bRange = g.op('Range', [g.constI64([0], []), g.op('Squeeze', [Bdim, g.constI64([0])]), g.constI64([1], [])]);
  const where = g.concat([g.unsqueeze(tgtPos, [1]), g.unsqueeze(bRange, [1])], 1); // [B, 2]: (pos, batch row)
  const zeros = () => g.op('ConstantOfShape', [shapeOf(Tdim, Bdim, d)]);
  /** Adds the vectors of the targets reading at `layer` into grad[pos, b, :]. */
  const inject = (grad: Value | null, layer: number) => {
    const onLayer = g.op('Cast', [g.op('Equal', [tgtLayer, g.constI64([layer], [])])], { to: 1 }); // [B]
    return g.op('ScatterND', [grad ?? zeros(), where, g.mul(tgtVec, g.unsqueeze(onLayer, [1]))], { reduction: 'add' });
  };

  // gradAt[k] = ∂/∂ mlp_out_k (= ∂/∂ resid_post_k), [T, B, d]; built from the top down.
  const gradAt: (Value | null)[] = Array(L).fill(null);
  let grad: Value | null = top >= L ? inject(null, L) : null;
  for (let l = Math.min(top, L - 1); l >= 0; l--) {
    gradAt[l] = grad;
    const skip = dict.layers[l].W_skip;
    if (skip && grad) {
      // The skip path reads x_l: through it, then through the frozen ln2 when x_l is the MLP input.
      const w = readsMlpIn ? foldGain(skip, tensorOf(W.ln2(l))) : skip;
      let gx = g.matMul(grad, g.external(`skip.${l}`, w));
      if (readsMlpIn) gx = g.mul(gx, g.input(backwardIO.s2(l), 'float32', ['T', 1, 1])); // 1/RMS: Mul is cheaper than Div
      grad = g.add(grad, gx);
    }
    grad = inject(grad, l);
    // Attention, transposed. Per head, z-gradients come out head-major [H, T·B, dh] from one broadcast matmul
    // (W_O split per head), so the pattern step is H matmuls [T, T] × [T, B·dh] with no transpose; one transpose
    // [K, T·B, dh] → [T·B, K·dh] then feeds W_V (ln1 gain folded in).
    const patT = g.input(backwardIO.patT(l), 'float32', ['H', 'T', 'T']);
    // Per-head W_O blocks give the head-major layout without a transpose, but as narrow GEMMs (N = dh); with a
    // small head dim one full GEMM and a transpose is faster.
    const gz = dh >= 32
      ? g.matMul(g.unsqueeze(g.reshape(grad, [-1, d]), [0]), g.external(`wo_heads.${l}`, headSplit(tensorOf(W.wo(l)), H, dh))) // [H, T·B, dh]
      : g.transpose(g.reshape(g.matMul(grad, g.external(W.wo(l), tensorOf(W.wo(l)))), [-1, H, dh]), [1, 0, 2]); // [H, T·B, dh]
    let gv = g.matMul(patT, g.reshape(gz, shapeOf(H, Tdim, -1))); // [H, T(key), B·dh]
    if (G > 1) gv = g.op('ReduceSum', [g.reshape(gv, shapeOf(K, G, Tdim, -1)), g.constI64([1])], { keepdims: 0 }); // [K, T, B·dh]
    const gvFlat = g.reshape(g.transpose(g.reshape(gv, [K, -1, dh]), [1, 0, 2]), shapeOf(Tdim, Bdim, K * dh)); // [T, B, K·dh]
    grad = g.add(grad, g.matMul(gvFlat, g.external(`wv_g1.${l}`, foldGain(tensorOf(W.wv(l)), tensorOf(W.ln1(l))))));
  }
  const gradEmb = grad;

  const featureParts: Value[] = [];
  const errorParts: Value[] = [];
  for (let k = 0; k < L; k++) {
    const dec = g.input(backwardIO.dec(k), 'float32', ['T', d, `n${k}`]);
    const gidx = g.input(backwardIO.gidx(k), 'int64', [`R${k}`]);
    const err = g.input(backwardIO.err(k), 'float32', ['T', 1, d]);
    const gk = gradAt[k];
    if (!gk) {
      featureParts.push(g.op('ConstantOfShape', [shapeOf(Bdim, g.dim(gidx, 0))]));
      errorParts.push(g.op('ConstantOfShape', [shapeOf(Bdim, Tdim)]));
      continue;
    }
    // Per position: [T, B, d] × [T, d, n] → [T, B, n]; then the active slots in feature order.
    const perPos = g.matMul(gk, dec);
    const flat = g.reshape(g.transpose(perPos, [1, 0, 2]), shapeOf(Bdim, -1));
    featureParts.push(g.op('Gather', [flat, gidx], { axis: 1 }));
    errorParts.push(g.transpose(g.op('ReduceSum', [g.mul(gk, err), g.constI64([-1])], { keepdims: 0 }), [1, 0]));
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
    ? g.transpose(g.op('ReduceSum', [g.mul(gradEmb, emb), g.constI64([-1])], { keepdims: 0 }), [1, 0])
    : g.op('ConstantOfShape', [shapeOf(Bdim, Tdim)]);
  g.output(g.concat([features, ...errorParts, tokens], 1), 'rows', 'float32', ['B', 'N']);
  return g.build();
}
