/**
 * Graph pieces for the choices of the Hugging Face families (shared/model.ts ArchChoices): LayerNorm, the tanh
 * GELU, soft-caps, Llama-3 RoPE frequencies, sliding-window masks. Each follows the transformers modeling code
 * (eager attention path) of its family; docs/hooks.md says which tensor every hook is.
 */
import type { ArchConfig, Llama3RopeScaling, ModelSpec } from '../../shared/model';
import { weightNames as W } from '../../shared/model';
import type { GraphBuilder, Value } from '../onnx/builder';

/**
 * Llama-3 frequency scaling (transformers `_compute_llama3_parameters`): wavelengths longer than
 * original/low_freq_factor are divided by `factor`, shorter than original/high_freq_factor are kept, and the band
 * in between is interpolated. Computed in float64 from the float32 base frequencies, rounded to float32.
 */
export function llama3InvFreq(base: Float32Array, s: Llama3RopeScaling): Float32Array {
  const lowWavelen = s.originalMaxPositions / s.lowFreqFactor;
  const highWavelen = s.originalMaxPositions / s.highFreqFactor;
  return base.map((f) => {
    const wavelen = (2 * Math.PI) / f;
    if (wavelen < highWavelen) return f;
    if (wavelen > lowWavelen) return Math.fround(f / s.factor);
    const smooth = (s.originalMaxPositions / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
    return Math.fround((1 - smooth) * (f / s.factor) + smooth * f);
  });
}

/** gelu with the tanh approximation (GPT-2 `gelu_new`, Gemma `gelu_pytorch_tanh`): ½x(1 + tanh(√(2/π)(x + 0.044715x³))). */
export function geluTanh(g: GraphBuilder, x: Value): Value {
  const inner = g.mul(g.add(x, g.mul(g.mul(g.mul(x, x), x), g.scalarF(0.044715))), g.scalarF(Math.sqrt(2 / Math.PI)));
  return g.mul(g.mul(x, g.scalarF(0.5)), g.add(g.op('Tanh', [inner]), g.scalarF(1)));
}

/** tanh(x / c) · c (Gemma-2 soft-capping); x itself when the family has no cap (`c` undefined). */
export function softcap(g: GraphBuilder, x: Value, c: number | undefined): Value {
  return c === undefined ? x : g.mul(g.op('Tanh', [g.div(x, g.scalarF(c))]), g.scalarF(c));
}

/** The MLP activation applied to the gate (gated MLPs) or to the single pre-activation (GPT-2). */
export function mlpActivation(g: GraphBuilder, cfg: ArchConfig, pre: Value): Value {
  return cfg.mlp === 'gated-silu' ? g.mul(pre, g.sigmoid(pre)) : geluTanh(g, pre);
}

/**
 * The norm's "scale" and the centred input it divides: RMSNorm sqrt(mean(x²) + eps) of x; LayerNorm
 * sqrt(var(x) + eps) of x − mean(x) (TransformerLens' hook_scale convention: the divisor, not its inverse).
 */
export function normCentre(g: GraphBuilder, cfg: ArchConfig, x: Value): Value {
  return cfg.norm === 'layer' ? g.sub(x, g.meanLast(x)) : x;
}
export function normScale(g: GraphBuilder, centred: Value, eps: Value): Value {
  return g.sqrt(g.add(g.meanLast(g.mul(centred, centred)), eps));
}

/** The family's norm with its gain (and LayerNorm bias when given), in the forward program's op order, no hooks. */
export function gainNorm(g: GraphBuilder, cfg: ArchConfig, x: Value, eps: Value, gain: Value, bias?: Value): Value {
  const centred = normCentre(g, cfg, x);
  const y = g.mul(g.div(centred, normScale(g, centred, eps)), gain);
  return bias ? g.add(y, bias) : y;
}

/**
 * Additional attention mask of a sliding-window layer [T, T]: true where query − key ≥ window (transformers'
 * `sliding_window_overlay`: a key is visible when kv_idx > q_idx − window). Combined with the causal mask.
 */
export function slidingMask(g: GraphBuilder, range: Value, window: number): Value {
  const diff = g.sub(g.unsqueeze(range, [1]), g.unsqueeze(range, [0])); // [query, key] = q − k
  return g.op('GreaterOrEqual', [diff, g.constI64([window], [])]);
}

export function isSlidingLayer(cfg: ArchConfig, l: number): boolean {
  return !!cfg.slidingWindow && cfg.slidingWindow.layers.includes(l);
}

/** The attention-scores scale of the family. */
export function attnScaleOf(cfg: ArchConfig): number {
  return cfg.attnScale ?? 1 / Math.sqrt(cfg.headDim);
}

/**
 * Logits from residual-stream vectors through the family's final norm (RMSNorm, or LayerNorm with bias), the
 * unembedding and the final soft-cap: the same ops in the same order as the forward program's last step, so a
 * program using it reproduces the model's logits exactly.
 */
export function finalLogits(g: GraphBuilder, spec: ModelSpec, w: { weight(name: string): Value; linear(x: Value, name: string): Value }, x: Value): Value {
  const cfg = spec.config;
  const bias = spec.weights.has(W.lnFinalBias) ? w.weight(W.lnFinalBias) : undefined;
  const y = gainNorm(g, cfg, x, g.scalarF(cfg.normEps), w.weight(W.lnFinal), bias);
  const logits = w.linear(y, W.unembed);
  return softcap(g, logits, cfg.finalSoftcap);
}
