/**
 * Visual encodings (pure): feature size and colour by influence, edge width by |weight|, edge colour by sign.
 * Influence is heavy-tailed (a few nodes carry most of it), so sizes and colours use the square root of
 * influence relative to the graph's most influential feature — otherwise all but a handful would look equal.
 */

export const EDGE_POSITIVE = '#2563eb';
export const EDGE_NEGATIVE = '#dc4a1a';

export const NODE_COLORS = {
  token: '#e8edf4',
  tokenBorder: '#8a97a8',
  error: '#9aa3ad',
  logit: '#f7d27a',
  logitBorder: '#b88a12',
  featureLow: [226, 219, 247] as const,
  featureHigh: [86, 50, 168] as const,
};

const clamp01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : Number.isFinite(x) ? x : 0);

/** 0..1 strength of a feature relative to the most influential feature of its graph. */
export function relativeInfluence(influence: number, maxInfluence: number): number {
  return maxInfluence > 0 ? Math.sqrt(clamp01(influence / maxInfluence)) : 0;
}

/**
 * Feature looks come in this many steps (by strength): each step is one stylesheet class, so cytoscape shares
 * one parsed style among all features of a step instead of parsing a size and a colour per node (data
 * mappers), which was a large part of its per-node cost on every re-prune.
 */
export const FEATURE_LEVELS = 12;

/** The step 0 … FEATURE_LEVELS − 1 of a strength (0..1). */
export function featureLevel(strength: number): number {
  return Math.min(FEATURE_LEVELS - 1, Math.floor(clamp01(strength) * FEATURE_LEVELS));
}

/** The strength a step stands for (its upper end, so the strongest step is full size and colour). */
export const levelStrength = (level: number): number => (level + 1) / FEATURE_LEVELS;

export function featureSize(strength: number): number {
  return 10 + 18 * clamp01(strength);
}

export function featureColor(strength: number): string {
  const t = clamp01(strength);
  const [a, b] = [NODE_COLORS.featureLow, NODE_COLORS.featureHigh];
  const mix = (i: number) => Math.round(a[i] + (b[i] - a[i]) * t);
  return `rgb(${mix(0)},${mix(1)},${mix(2)})`;
}

/**
 * A per-graph scale for edge widths: the 95th percentile of |weight| in the first view shown. It is fixed
 * for the graph's lifetime so re-pruning only adds and removes edges and never restyles the ones that stay
 * (a max would let one embedding edge make every other edge a hairline).
 */
export function edgeWeightScale(weights: ArrayLike<number>): number {
  const n = weights.length;
  if (n === 0) return 1;
  const abs = Float64Array.from({ length: n }, (_, i) => Math.abs(weights[i]));
  abs.sort();
  const q = abs[Math.min(n - 1, Math.floor(0.95 * n))];
  return q > 0 ? q : abs[n - 1] > 0 ? abs[n - 1] : 1;
}

/** |weight| relative to the graph's scale, clamped to 0..1 (the stylesheet maps it to a width). */
export function edgeStrength(weight: number, scale: number): number {
  return Math.round(clamp01(Math.abs(weight) / scale) * 1000) / 1000;
}

export const EDGE_WIDTH_MIN = 0.6;
export const EDGE_WIDTH_MAX = 3;
