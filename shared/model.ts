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
}

/** The per-family table of architectural choices. */
export interface ArchChoices {
  readonly norm: 'rms';
  readonly mlp: 'gated-silu';
  readonly rope: RopeConfig | null;
  readonly tiedEmbeddings: boolean;
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
} as const;

/** A loaded model: architecture, named weights and where they came from. */
export interface ModelSpec {
  /** Display name (file name without extension for llama2.c checkpoints). */
  readonly name: string;
  /** Source format, e.g. `llama2c-v0`, `llama2c-v1`, `llama2c-v2-q8_0`. */
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
