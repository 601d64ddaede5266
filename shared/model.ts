import type { Tensor } from './tensor';

/**
 * Model families. A family differs from another only by the choices in {@link ArchChoices}; the program
 * builders read those choices and never branch on the family name.
 */
export type ModelFamily = 'llama2c' | 'llama' | 'qwen2' | 'qwen3' | 'gemma2' | 'gpt2';

/** Rotary embedding convention. `interleaved`: pairs (2i, 2i+1) of a head (llama2.c); `half`: (i, i + dh/2) (HF rotate_half). */
export interface RopeConfig {
  readonly kind: 'interleaved' | 'half';
  readonly theta: number;
  /** Llama-3 frequency scaling (HF `rope_scaling` with `rope_type: "llama3"`); absent = plain theta^(-2i/dh). */
  readonly llama3?: Llama3RopeScaling;
}

export interface Llama3RopeScaling {
  readonly factor: number;
  readonly lowFreqFactor: number;
  readonly highFreqFactor: number;
  readonly originalMaxPositions: number;
}

/** The per-family table of architectural choices. */
export interface ArchChoices {
  /** `rms`: x/sqrt(mean(x²)+eps)·w; `layer`: (x−mean)/sqrt(var+eps)·w + b. Gemma's (1 + w) gain is stored as 1 + w. */
  readonly norm: 'rms' | 'layer';
  /** Gated MLPs: act(W_gate·x) ⊙ W_in·x; `gelu-tanh` (GPT-2 `gelu_new`): act(W_in·x + b_in), no gate. */
  readonly mlp: 'gated-silu' | 'gated-gelu-tanh' | 'gelu-tanh';
  readonly rope: RopeConfig | null;
  readonly tiedEmbeddings: boolean;
  // Optional choices of the Hugging Face families (absent = the Llama behaviour). Biases are not flags: a block
  // has a bias exactly when its weight map holds the bias tensor (weightNames.bQ etc.).
  /** Gemma-2 sandwich norms: attention and MLP outputs pass through their own RMSNorm before the residual add. */
  readonly sandwichNorms?: boolean;
  /** Qwen3: per-head RMSNorm of queries and keys (over head_dim) before RoPE. */
  readonly qkNorm?: boolean;
  /** Token embeddings are multiplied by this (float32) constant (Gemma: sqrt(hidden)). */
  readonly embedScale?: number;
  /** Learned absolute position embeddings `pos_embed.W_pos` added to the token embeddings (GPT-2). */
  readonly learnedPositions?: boolean;
  /** Attention scores scale; absent = 1/sqrt(headDim) (Gemma-2: query_pre_attn_scalar^-1/2). */
  readonly attnScale?: number;
  /** Scores → tanh(s/c)·c before masking (Gemma-2 attn_logit_softcapping). */
  readonly attnSoftcap?: number;
  /** Logits → tanh(z/c)·c (Gemma-2 final_logit_softcapping). The `logits` hook is after it. */
  readonly finalSoftcap?: number;
  /** Local attention: on these layers a query sees only keys with query − key < size. */
  readonly slidingWindow?: { readonly size: number; readonly layers: readonly number[] };
}

export interface ArchConfig extends ArchChoices {
  readonly family: ModelFamily;
  readonly dModel: number;
  readonly nLayers: number;
  readonly nHeads: number;
  readonly nKvHeads: number;
  readonly headDim: number;
  readonly dMlp: number;
  readonly vocabSize: number;
  readonly maxSeqLen: number;
  readonly normEps: number;
  readonly bosId: number;
  readonly eosId: number;
}

/**
 * Canonical weight names (matrices stored (out, in), i.e. y = W·x, like llama2.c and HF `nn.Linear`):
 * - `embed.W_E` [vocab, d]
 * - `blocks.{l}.ln1.w` [d], `blocks.{l}.ln2.w` [d]
 * - `blocks.{l}.attn.W_Q` [nHeads·dh, d], `W_K` / `W_V` [nKvHeads·dh, d], `W_O` [d, nHeads·dh]
 *   (W_Q / W_K rows are in the order the family's RoPE convention expects)
 * - `blocks.{l}.mlp.W_gate` [dMlp, d] (llama2.c w1), `W_in` [dMlp, d] (w3), `W_out` [d, dMlp] (w2)
 * - `ln_final.w` [d]
 * - `unembed.W_U` [vocab, d] (the same tensor object as `embed.W_E` when embeddings are tied)
 */
export type WeightName = string;

export const weightNames = {
  embed: 'embed.W_E',
  unembed: 'unembed.W_U',
  lnFinal: 'ln_final.w',
  ln1: (l: number) => `blocks.${l}.ln1.w`,
  ln2: (l: number) => `blocks.${l}.ln2.w`,
  wq: (l: number) => `blocks.${l}.attn.W_Q`,
  wk: (l: number) => `blocks.${l}.attn.W_K`,
  wv: (l: number) => `blocks.${l}.attn.W_V`,
  wo: (l: number) => `blocks.${l}.attn.W_O`,
  wGate: (l: number) => `blocks.${l}.mlp.W_gate`,
  wIn: (l: number) => `blocks.${l}.mlp.W_in`,
  wOut: (l: number) => `blocks.${l}.mlp.W_out`,
  // Hugging Face families (present only where the family has them):
  posEmbed: 'pos_embed.W_pos',
  lnFinalBias: 'ln_final.b',
  ln1Bias: (l: number) => `blocks.${l}.ln1.b`,
  ln2Bias: (l: number) => `blocks.${l}.ln2.b`,
  bq: (l: number) => `blocks.${l}.attn.b_Q`,
  bk: (l: number) => `blocks.${l}.attn.b_K`,
  bv: (l: number) => `blocks.${l}.attn.b_V`,
  bo: (l: number) => `blocks.${l}.attn.b_O`,
  bGate: (l: number) => `blocks.${l}.mlp.b_gate`,
  bIn: (l: number) => `blocks.${l}.mlp.b_in`,
  bOut: (l: number) => `blocks.${l}.mlp.b_out`,
  qNorm: (l: number) => `blocks.${l}.attn.q_norm.w`,
  kNorm: (l: number) => `blocks.${l}.attn.k_norm.w`,
  /** Gemma-2 `post_attention_layernorm` / `post_feedforward_layernorm` gains (1 + w). */
  ln1Post: (l: number) => `blocks.${l}.ln1_post.w`,
  ln2Post: (l: number) => `blocks.${l}.ln2_post.w`,
} as const;

/** A loaded model: architecture, named weights and where they came from. */
export interface ModelSpec {
  /** Display name (file name without extension for llama2.c checkpoints). */
  readonly name: string;
  /** Source format, e.g. `llama2c-v0`, `llama2c-v1`, `llama2c-v2-q8_0`, `hf-safetensors-bf16`. */
  readonly format: string;
  readonly path: string;
  /** sha256 (hex) of the checkpoint file's bytes. */
  readonly fingerprint: string;
  readonly config: ArchConfig;
  readonly weights: ReadonlyMap<WeightName, Tensor>;
}

export function parameterCount(spec: ModelSpec): number {
  const seen = new Set<Float32Array>();
  let n = 0;
  for (const t of spec.weights.values()) {
    if (seen.has(t.data)) continue;
    seen.add(t.data);
    n += t.data.length;
  }
  return n;
}
