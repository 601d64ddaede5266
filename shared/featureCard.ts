/**
 * A feature's card: where one transcoder feature fires over the indexed corpus and which tokens it promotes
 * or suppresses directly. Built by the feature index (`main/dictionary/featureIndex.ts`), shown by the renderer.
 */

export interface ContextToken {
  readonly id: number;
  readonly text: string;
  /** This feature's activation at this token (0 where inactive, and always 0 at BOS). */
  readonly act: number;
}

/** A window of the corpus around one activation of the feature. */
export interface FeatureContext {
  readonly tokens: readonly ContextToken[];
  /** Index in `tokens` of the token the context was chosen for. */
  readonly maxIndex: number;
  /** The feature's activation at that token. */
  readonly activation: number;
  /** Index of the sequence in the indexed corpus, and the token's position in it (BOS = 0). */
  readonly sequence: number;
  readonly position: number;
}

/** The brief's name for a context. */
export type Context = FeatureContext;

export interface LogitEffect {
  readonly token: number;
  readonly text: string;
  readonly value: number;
}

export interface FeatureCard {
  readonly layer: number;
  readonly feature: number;
  readonly dictionary: { readonly name: string; readonly fingerprint: string };
  /** Fraction of the corpus' non-BOS tokens where the feature is active (nonzero). */
  readonly frequency: number;
  /** Number of non-BOS tokens where it is active. */
  readonly count: number;
  /** Largest activation (0 for a feature that never fires). */
  readonly maxActivation: number;
  /** Mean over the tokens where it is active. */
  readonly meanActivation: number;
  /** Equal-width bins of the nonzero activations: `counts[i]` counts values in (edges[i], edges[i+1]]; empty for a dead feature. */
  readonly histogram: { readonly edges: readonly number[]; readonly counts: readonly number[] };
  /** The highest activations over the corpus, descending. */
  readonly topContexts: readonly FeatureContext[];
  /** Random activations within bands of the maximum, e.g. "50–75%" = (0.5·max, 0.75·max]; highest band first. */
  readonly quantileContexts: readonly { readonly band: string; readonly contexts: readonly FeatureContext[] }[];
  /** Direct logit effects: W_U·(Σ decoder rows ⊙ ln_final.w), largest and smallest tokens. */
  readonly logitEffects: { readonly top: readonly LogitEffect[]; readonly bottom: readonly LogitEffect[] };
}
