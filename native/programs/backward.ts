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
 * Layers above `top` (the highest target layer of the batch) are not built: nothing flows there, and the
 * sources written into layers ≥ `top` get no output (their entries are zero).
 *
 * Layout: every gradient is feature-major [d, T·B] (the batch innermost). Each weight then acts as one Gemm
 * Wᵀ·g (transA reads the stored matrix in place; the residual add is Gemm's C input). W_O's columns are
 * regrouped per kv head, so the z-gradients come out as [K, dh, G·T, B] and the transposed attention is one
 * batched matmul [K, 1, T, G·T] × [K, dh, G·T, B] against each kv head's group of patterns side by side: the GQA
 * sum happens inside it, with no transpose. The decoder and error contraction is one batched matmul per layer,
 * [T, n+1, d] × [T, d, B] (onnxruntime fuses the transpose). Everything elementwise that depends only on the
 * prompt is folded away before the run: the target vectors arrive already mapped into the residual stream
 * (⊙ gain / frozen RMS of their read point), the frozen ln1 RMS is folded into the transposed patterns, the ln1
 * gain into W_V, the ln2 gain into W_skip.
 *
 * The top layer of a feature batch gets the gradient of its targets only, one position each: its attention
 * runs on that single vector per target (W_O on [d, B], then the pattern column at the target's position)
 * instead of on all T positions.
 *
 * Inputs (T positions, N = T·B): tgt_vec [d, 1, B] (residual-stream injections, transposed); tgt_col int32
 * [G, B] (g·T + the target's position: its pattern column per group member); mask_l [1, T, B] for each
 * injection layer l in [lo, top] (1 at the position of each target reading at l; l = L: logits); patT_l
 * [K, 1, T(key), G·T(query)]: patT[kv, k, g·T + q] = pattern[kv·G + g, q, k] / s1[k]; inv_s2_l [1, N] (1/RMS of
 * ln2 at each column's position, dictionaries reading mlp.hook_in); dec_k [T, n_k + 1, d]: per position the
 * activation-scaled decoder rows written into layer k (padded to n_k) and, last, the error vector; emb
 * [d, T, 1]; gidx int32 [R]: the rows to return of the stack [T, S, B] (per position: the n_k + 1 rows of each
 * output layer in backwardOutputLayers order, then the token), flattened to [T·S, B].
 * Output `cols` [R, B]: the targets' entries that can be nonzero, transposed (onnxruntime's Transpose is erratic
 * on such shapes, 0.3–5 ms for [1296, 240]; the caller scatters them into rows in cache-sized blocks).
 */
import type { Dictionary } from '../../shared/dictionary';
import type { ModelSpec } from '../../shared/model';
import type { Tensor } from '../../shared/tensor';
import { weightNames as W } from '../../shared/model';
import { GraphBuilder, type BuiltProgram, type Value } from '../onnx/builder';

export const backwardIO = {
  mask: (l: number) => `mask_${l}`,
  patT: (l: number) => `patT_${l}`,
  s2: (l: number) => `inv_s2_${l}`,
  dec: (k: number) => `dec_${k}`,
  /** Gemma-2 sandwich norms: 1 / frozen RMS of post_attention_layernorm per position, [1, T, 1]. */
  s1Post: (l: number) => `inv_s1post_${l}`,
};

/** Dictionary inputs the backward supports: the MLP input (gain applied), its gain-less normalized form, the residual. */
const INPUT_HOOKS = ['mlp.hook_in', 'ln2.hook_normalized', 'hook_resid_mid'];

/** Output layers whose decoder contraction a program for highest target layer `top` computes, in stack order. */
export function backwardOutputLayers(top: number, L: number): number[] {
  const out: number[] = [];
  for (let k = Math.min(top, L) - 1; k >= 0; k--) out.push(k);
  return out;
}

export function supportsBackward(dict: Dictionary, spec?: ModelSpec): string | null {
  if (dict.outputHook !== 'hook_mlp_out') return `the dictionary writes ${dict.outputHook}; attribution supports hook_mlp_out`;
  if (!INPUT_HOOKS.includes(dict.inputHook)) return `the dictionary reads ${dict.inputHook}; attribution supports ${INPUT_HOOKS.join(', ')}`;
  if (spec && (dict.dModel !== spec.config.dModel || dict.nLayers !== spec.config.nLayers)) {
    return `the dictionary has ${dict.nLayers} layers of width ${dict.dModel}, the model ${spec.config.nLayers} of width ${spec.config.dModel}`;
  }
  return null;
}

const folded = new WeakMap<object, Tensor>();

/** W (out, in) with its rows scaled by a gain: diag(gain)·W. Memoized per tensor pair. */
const rowFolded = new WeakMap<object, Tensor & { gain: Tensor }>();
function foldRows(w: Tensor, gain: Tensor): Tensor {
  const hit = rowFolded.get(w);
  if (hit && hit.gain === gain) return hit;
  const [rows, cols] = w.shape;
  const data = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) data[r * cols + c] = w.data[r * cols + c] * gain.data[r];
  const t = { data, shape: [rows, cols], gain };
  rowFolded.set(w, t);
  return t;
}

/**
 * W scaled column-wise by a gain: (x·W) ⊙ gain = x·(W ⊙ gain). With `centre` (LayerNorm, whose frozen map is
 * x ↦ P·x / s with P = I − 11ᵀ/d), each row is also demeaned: W·diag(gain)·P. Memoized per tensor pair.
 */
function foldGain(w: Tensor, gain: Tensor | null, centre = false): Tensor {
  const key = gain ?? w;
  let byGain = folded.get(w) as (Tensor & { gain?: Tensor; centre?: boolean }) | undefined;
  if (byGain && byGain.gain === key && byGain.centre === centre) return byGain;
  const [rows, cols] = w.shape;
  const data = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let mean = 0;
    for (let c = 0; c < cols; c++) mean += (data[r * cols + c] = w.data[r * cols + c] * (gain ? gain.data[c] : 1));
    mean /= cols;
    if (centre) for (let c = 0; c < cols; c++) data[r * cols + c] -= mean;
  }
  byGain = Object.assign({ data, shape: [rows, cols] }, { gain: key, centre });
  folded.set(w, byGain);
  return byGain;
}

const grouped = new WeakMap<Tensor, Tensor>();

/**
 * W_O (d, H·dh) with its columns reordered from (kv head, group member, e) to (kv head, e, group member): the
 * z-gradients Wᵀ·g then come out as [K, dh, G, T, B], i.e. [K, dh, G·T, B], whose (G·T) axis one matmul
 * contracts against the group's patterns side by side — summing over the group for free (GQA).
 */
function groupHeads(w: Tensor, K: number, G: number, dh: number): Tensor {
  if (G === 1) return w;
  let t = grouped.get(w);
  if (!t) {
    const [d, HD] = w.shape;
    const data = new Float32Array(d * HD);
    for (let j = 0; j < d; j++) {
      for (let kv = 0; kv < K; kv++) {
        for (let gi = 0; gi < G; gi++) for (let e = 0; e < dh; e++) data[j * HD + (kv * dh + e) * G + gi] = w.data[j * HD + (kv * G + gi) * dh + e];
      }
    }
    grouped.set(w, (t = { data, shape: [d, HD] }));
  }
  return t;
}

/**
 * @param top highest target layer of the batch (L = logits)
 * @param lo lowest target layer of the batch: the program injects at every layer in [lo, top]
 */
export function buildBackwardProgram(spec: ModelSpec, dict: Dictionary, top: number, lo = top): BuiltProgram {
  const why = supportsBackward(dict, spec);
  if (why) throw new Error(why);
  const cfg = spec.config;
  const { nLayers: L, dModel: d, nHeads: H, nKvHeads: K, headDim: dh } = cfg;
  if (!(lo >= 0 && lo <= top && top <= L)) throw new RangeError(`backward program: bad layer range [${lo}, ${top}]`);
  const G = H / K;
  const g = new GraphBuilder('backward');
  const tensorOf = (name: string) => spec.weights.get(name)!;
  const readsMlpIn = dict.inputHook === 'mlp.hook_in';
  // The skip path goes through the frozen ln2 RMS when the dictionary reads a normalized input.
  const throughLn2 = readsMlpIn || dict.inputHook === 'ln2.hook_normalized';
  const sandwich = !!cfg.sandwichNorms;
  // LayerNorm (GPT-2): the frozen norm also centres its input, folded into the weights that read it.
  const layerNorm = cfg.norm === 'layer';
  const tgtVec = g.input('tgt_vec', 'float32', [d, 1, 'B']);
  const emb = g.input('emb', 'float32', [d, 'T', 1]);
  const masks = new Map<number, Value>();
  for (let l = lo; l <= top; l++) masks.set(l, g.input(backwardIO.mask(l), 'float32', [1, 'T', 'B']));
  const Bdim = g.dim(tgtVec, 2);
  const shapeOf = (...parts: (Value | number)[]) => g.concat(parts.map((p) => (typeof p === 'number' ? g.constI64([p]) : p)), 0);
  const shape3 = shapeOf(d, -1, Bdim); // [d, T, B]
  const zShape = shapeOf(K, dh, -1, Bdim); // [K, dh, G·T, B]
  /** Wᵀ·x (+ c) for a weight stored (in, out) relative to this backward direction: x [in, N] → [out, N]. */
  const gemmT = (w: Value, x: Value, c?: Value) => g.op('Gemm', c ? [w, x, c] : [w, x], { transA: 1 });

  // Gradients are [d, T·B] (2-D, so every weight is one Gemm and Gemm adds the residual as its C input).
  const blocks: Value[] = []; // per output layer [T, n_k + 1, B], then the tokens [T, 1, B]
  /** Decoder rows and errors of output layer k against ∂/∂mlp_out_k: [T, n_k + 1, B]. */
  const contract = (grad: Value, k: number) => {
    const dec = g.input(backwardIO.dec(k), 'float32', ['T', `n${k}`, d]);
    blocks.push(g.matMul(dec, g.transpose(g.reshape(grad, shape3), [1, 0, 2]))); // [T, n+1, d] × [T, d, B]
  };
  let grad: Value | null = null;
  const inject = (l: number) => {
    const m = masks.get(l);
    if (!m) return;
    const inj = g.reshape(g.mul(tgtVec, m), [d, -1]); // [d, T·B]
    grad = grad ? g.add(grad, inj) : inj;
  };
  inject(L);
  for (let l = Math.min(top, L - 1); l >= 0; l--) {
    if (grad) contract(grad, l);
    const skip = dict.layers[l].W_skip;
    if (skip && grad) {
      // The skip path reads x_l: through it, then through the frozen ln2 when x_l is the MLP input. The ln2
      // RMS is per position, so it scales the skip's input: W·(g ⊙ 1/RMS) = (W·g) ⊙ 1/RMS.
      const w = throughLn2 && (readsMlpIn || layerNorm) ? foldGain(skip, readsMlpIn ? tensorOf(W.ln2(l)) : null, layerNorm) : skip;
      const x = throughLn2 ? g.mul(grad, g.input(backwardIO.s2(l), 'float32', [1, 'N'])) : grad; // Mul: cheaper than Div
      grad = gemmT(g.external(`skip.${l}`, w), x, grad);
    }
    const patT = g.input(backwardIO.patT(l), 'float32', [K, 1, 'T', 'GT']);
    // Gemma-2: attn_out = ln1_post(W_O·z) with its RMS frozen = diag(gain)·W_O·z / s[t]: the gain folds into
    // W_O's rows, the per-position 1/s scales the gradient before W_Oᵀ.
    const woT = sandwich ? foldRows(tensorOf(W.wo(l)), tensorOf(W.ln1Post(l))) : tensorOf(W.wo(l));
    const wo = g.external(`wo_grouped.${l}`, groupHeads(woT, K, G, dh));
    const invPost = sandwich ? g.input(backwardIO.s1Post(l), 'float32', [1, 'T', 1]) : null;
    const postScaled = (x: Value): Value => (invPost ? g.reshape(g.mul(g.reshape(x, shape3), invPost), [d, -1]) : x);
    let gv: Value; // [K·dh, T·B]
    if (!grad) {
      // Only this layer's targets, each at its own position: W_O on [d, B], then each head's pattern column at
      // that position (gathered per target and group member).
      const m = masks.get(l)!;
      let own = lo === l ? tgtVec : g.mul(tgtVec, g.op('ReduceSum', [m, g.constI64([1])], { keepdims: 1 })); // [d, 1, B]
      // 1/s of the post-attention norm at each target's own position: Σ_t mask[t, b] / s[t].
      if (invPost) own = g.mul(own, g.op('ReduceSum', [g.mul(m, invPost), g.constI64([1])], { keepdims: 1 }));
      const gz = g.reshape(gemmT(wo, g.reshape(own, [d, -1])), shapeOf(K, dh, 1, G, Bdim)); // [K, dh, 1, G, B]
      const col = g.op('Gather', [patT, g.input('tgt_col', 'int32', ['G', 'B'])], { axis: 3 }); // [K, 1, T, G, B]
      let prod = g.mul(col, gz); // [K, dh, T, G, B]
      if (G > 1) prod = g.op('ReduceSum', [prod, g.constI64([3])], { keepdims: 0 });
      gv = g.reshape(prod, [K * dh, -1]);
      inject(l);
    } else {
      inject(l);
      const gz = g.reshape(gemmT(wo, postScaled(grad)), zShape); // [K, dh, G·T, B]
      gv = g.reshape(g.matMul(patT, gz), [K * dh, -1]); // [K, 1, T, G·T] × [K, dh, G·T, B]: the group sums here
    }
    grad = gemmT(g.external(`wv_g1.${l}`, foldGain(tensorOf(W.wv(l)), tensorOf(W.ln1(l)), layerNorm)), gv, grad!);
  }
  // Tokens: ⟨∂/∂embed[p], embed[p]⟩, as one more [T, 1, B] block.
  blocks.push(g.op('ReduceSum', [g.mul(g.reshape(grad!, shape3), emb), g.constI64([0])], { keepdims: 1 })); // [1, T, B]
  blocks[blocks.length - 1] = g.reshape(blocks[blocks.length - 1], shapeOf(-1, 1, Bdim));
  // The wanted rows of all blocks (stacked per position), in the caller's order.
  const stacked = g.reshape(blocks.length > 1 ? g.concat(blocks, 1) : blocks[0], shapeOf(-1, Bdim)); // [T·S, B]
  g.output(g.op('Gather', [stacked, g.input('gidx', 'int32', ['R'])], { axis: 0 }), 'cols', 'float32', ['R', 'B']);
  return g.build();
}
