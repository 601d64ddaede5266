/** Binary-classification metrics over scores and 0/1 labels (bookkeeping: sorting and counting). */

/**
 * Area under the ROC curve = P(score of a random positive > score of a random negative), ties counting ½
 * (the Mann–Whitney U statistic). null when one class is absent.
 */
export function auroc(scores: ArrayLike<number>, labels: ArrayLike<number>): number | null {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let pos = 0;
  let rankSumPos = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]] === scores[order[i]]) j++;
    const midRank = (i + j) / 2 + 1; // average rank of the tie group, 1-based
    for (let k = i; k <= j; k++) {
      if (labels[order[k]] === 1) {
        pos++;
        rankSumPos += midRank;
      }
    }
    i = j + 1;
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) return null;
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}

export interface ThresholdMetrics {
  readonly threshold: number;
  /** null when nothing is flagged. */
  readonly precision: number | null;
  /** null when there are no positives. */
  readonly recall: number | null;
  readonly flagged: number;
}

/** Flagged = score ≥ threshold. */
export function atThreshold(scores: ArrayLike<number>, labels: ArrayLike<number>, threshold: number): ThresholdMetrics {
  let tp = 0;
  let fp = 0;
  let pos = 0;
  for (let i = 0; i < scores.length; i++) {
    const flag = scores[i] >= threshold;
    if (labels[i] === 1) pos++;
    if (flag && labels[i] === 1) tp++;
    if (flag && labels[i] !== 1) fp++;
  }
  return { threshold, precision: tp + fp ? tp / (tp + fp) : null, recall: pos ? tp / pos : null, flagged: tp + fp };
}

/** The threshold maximizing F1 over the given scores (used to place baselines' thresholds on training data). */
export function bestF1Threshold(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const cands = [...new Set(Array.from(scores))].sort((a, b) => a - b);
  let best = cands[0] ?? 0;
  let bestF1 = -1;
  for (const t of cands) {
    const m = atThreshold(scores, labels, t);
    const f1 = m.precision && m.recall ? (2 * m.precision * m.recall) / (m.precision + m.recall) : 0;
    if (f1 > bestF1) {
      bestF1 = f1;
      best = t;
    }
  }
  return best;
}

/** Mean cross-entropy of probabilities p against labels, clipped away from 0 and 1. */
export function logLoss(p: ArrayLike<number>, labels: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    const q = Math.min(1 - 1e-12, Math.max(1e-12, p[i]));
    s -= labels[i] === 1 ? Math.log(q) : Math.log(1 - q);
  }
  return p.length ? s / p.length : 0;
}

export function accuracy(p: ArrayLike<number>, labels: ArrayLike<number>, threshold = 0.5): number {
  let ok = 0;
  for (let i = 0; i < p.length; i++) if ((p[i] >= threshold ? 1 : 0) === labels[i]) ok++;
  return p.length ? ok / p.length : 0;
}
