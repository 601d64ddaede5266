/**
 * The logit lens of one prompt: every layer's residual stream (blocks.{l}.hook_resid_pre for l < L, then the
 * final blocks.{L−1}.hook_resid_post) decoded through the final norm and unembedding. The last row is the
 * model's own next-token distribution.
 */
export interface LensToken {
  readonly id: number;
  readonly text: string;
}

export interface LensPrediction extends LensToken {
  readonly prob: number;
}

export interface LensCell {
  /** Most probable tokens under the lens, most probable first. */
  readonly top: readonly LensPrediction[];
  /** Entropy of the lens distribution, nats. */
  readonly entropy: number;
  /** The target's probability and rank (0 = most probable), when a target was given. */
  readonly targetProb: number | null;
  readonly targetRank: number | null;
}

export interface LensView {
  /** BOS first. */
  readonly tokens: readonly LensToken[];
  /** Hook name of each row, from the embedding side up to the final residual. */
  readonly rows: readonly string[];
  readonly target: LensToken | null;
  /** cells[row][position]. */
  readonly cells: readonly (readonly LensCell[])[];
}

/** The residual-stream hooks the lens reads, in row order. */
export function lensHooks(nLayers: number): string[] {
  return [...Array.from({ length: nLayers }, (_, l) => `blocks.${l}.hook_resid_pre`), `blocks.${nLayers - 1}.hook_resid_post`];
}
