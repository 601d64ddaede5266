/**
 * An attribution graph with circuit-tracer's semantics (see docs and the method brief §2.7–§2.9):
 * nodes in the order features (by layer, position, feature index) → errors (layer-major: F + layer·T + pos) →
 * tokens (one per position) → logits (target order); a dense float32 adjacency with rows = targets and
 * columns = sources; A[t, s] is the direct effect of s on t's pre-activation (or demeaned logit) in the frozen
 * replacement model. Error and token rows are zero; logit columns are zero.
 */

export const NodeKind = { feature: 0, error: 1, token: 2, logit: 3 } as const;
export type NodeKindCode = (typeof NodeKind)[keyof typeof NodeKind];

export interface LogitTarget {
  /** Vocabulary id, or `vocabSize + i` for the i-th custom (virtual) target. */
  readonly vocabIdx: number;
  /** Display text: the token's text, or the custom target's label. */
  readonly label: string;
  /** Softmax probability (token targets) or the user's weight (custom). Not renormalized. */
  readonly weight: number;
}

export interface AttributionSettings {
  readonly maxFeatureNodes: number | null;
  readonly batchSize: number;
  readonly maxLogits: number;
  readonly desiredLogitProb: number;
  /** How targets were chosen: salient, explicit tokens, a contrast, or a custom direction. */
  readonly targetMode: 'salient' | 'tokens' | 'contrast' | 'custom';
}

export interface AttributionGraph {
  readonly formatVersion: 1;
  readonly prompt: string;
  /** Token ids, BOS first. */
  readonly tokens: readonly number[];
  /** Each token decoded separately (raw whitespace kept). */
  readonly tokenTexts: readonly string[];
  readonly nLayers: number;
  readonly nPos: number;
  readonly vocabSize: number;
  /** Selected feature nodes: (layer, pos, feature index, activation), in node order. */
  readonly features: {
    readonly layer: Int32Array;
    readonly pos: Int32Array;
    readonly index: Int32Array;
    readonly activation: Float32Array;
  };
  /** Number of active features before selection (A ≥ F). */
  readonly activeFeatureCount: number;
  readonly targets: readonly LogitTarget[];
  /** N × N, row-major, rows = targets, columns = sources. */
  readonly adjacency: Float32Array;
  readonly settings: AttributionSettings;
  readonly model: { readonly name: string; readonly fingerprint: string };
  readonly dictionary: { readonly name: string; readonly fingerprint: string; readonly kind: 'plt' | 'clt' };
}

/** Node counts and index helpers (the layout every consumer relies on). */
export function graphLayout(g: Pick<AttributionGraph, 'features' | 'nLayers' | 'nPos' | 'targets'>) {
  const F = g.features.layer.length;
  const L = g.nLayers;
  const T = g.nPos;
  const K = g.targets.length;
  const errorStart = F;
  const tokenStart = F + L * T;
  const logitStart = tokenStart + T;
  const N = logitStart + K;
  return {
    F,
    L,
    T,
    K,
    N,
    errorStart,
    tokenStart,
    logitStart,
    errorNode: (layer: number, pos: number) => errorStart + layer * T + pos,
    tokenNode: (pos: number) => tokenStart + pos,
    logitNode: (k: number) => logitStart + k,
    kindOf: (n: number): NodeKindCode => (n < errorStart ? NodeKind.feature : n < tokenStart ? NodeKind.error : n < logitStart ? NodeKind.token : NodeKind.logit),
  };
}

/** The logit weight vector w (N): zero except the last K entries, which hold the target weights. */
export function logitWeights(g: Pick<AttributionGraph, 'features' | 'nLayers' | 'nPos' | 'targets'>): Float32Array {
  const lay = graphLayout(g);
  const w = new Float32Array(lay.N);
  g.targets.forEach((t, k) => (w[lay.logitStart + k] = t.weight));
  return w;
}
