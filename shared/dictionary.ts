import type { Tensor } from './tensor';

/**
 * Transcoder activation functions, with circuit-tracer's semantics:
 * - relu: max(h, 0)
 * - jumprelu: h·[h > θ] (strict; θ per feature, raw not log)
 * - topk: per position keep the k largest pre-activations (no ReLU), zero the rest
 */
export type Activation = { readonly kind: 'relu' } | { readonly kind: 'jumprelu' } | { readonly kind: 'topk'; readonly k: number };

/**
 * One layer of a transcoder. For a PLT, `W_dec` is (D, d); for a CLT, the decoder of source layer i is
 * (D, L−i, d): feature (i, f) writes `W_dec[f, k−i]` into output layer k ≥ i.
 */
export interface TranscoderLayer {
  readonly W_enc: Tensor; // (D, d): rows are encoder vectors
  readonly b_enc: Tensor; // (D)
  readonly W_dec: Tensor; // PLT (D, d) · CLT (D, L−i, d)
  readonly b_dec: Tensor; // (d): bias of this layer's output
  readonly threshold?: Tensor; // (D), JumpReLU only
  readonly W_skip?: Tensor; // (d, d), applied as x·W_skipᵀ (PLT)
}

export interface DictionaryModelRef {
  /** Display name of the model the dictionary was trained for. */
  readonly name?: string;
  /** sha256 of that model's checkpoint; loading onto another model is refused when present. */
  readonly fingerprint?: string;
}

export interface Dictionary {
  readonly kind: 'plt' | 'clt';
  readonly name: string;
  /** Directory it was loaded from ('' when built in memory). */
  readonly path: string;
  /** sha256 over the dictionary's files (names and bytes, in name order). */
  readonly fingerprint: string;
  readonly model: DictionaryModelRef;
  /** TransformerLens hook names without the `blocks.{l}.` prefix, e.g. `mlp.hook_in` → `hook_mlp_out`. */
  readonly inputHook: string;
  readonly outputHook: string;
  readonly activation: Activation;
  readonly nLayers: number;
  readonly dModel: number;
  readonly nFeatures: number; // D, the same for every layer
  readonly layers: readonly TranscoderLayer[];
}
