/** Number and label formatting shared by the panels (pure, unit-tested). */

/** "260K", "1.2M", "7B": parameter counts as model cards print them. */
export function formatCount(n: number): string {
  const units: [number, string][] = [[1e9, 'B'], [1e6, 'M'], [1e3, 'K']];
  for (const [v, s] of units) {
    if (Math.abs(n) >= v) {
      const x = n / v;
      return `${x >= 100 ? Math.round(x) : Number(x.toPrecision(x >= 10 ? 3 : 2))}${s}`;
    }
  }
  return String(n);
}

/** Probabilities and shares as percentages with a precision that keeps small values distinguishable. */
export function formatPercent(p: number): string {
  const x = p * 100;
  if (x === 0) return '0%';
  if (Math.abs(x) < 0.001) return x > 0 ? '<0.001%' : `${x.toExponential(0)}%`;
  if (Math.abs(x) < 0.1) return `${Number(x.toPrecision(1))}%`;
  return `${x.toFixed(Math.abs(x) < 10 ? 1 : 0)}%`;
}

/** Weights and activations: 3 significant digits, scientific notation only for very small/large values. */
export function formatValue(x: number | null | undefined): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '–';
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e4 || a < 1e-3) return x.toExponential(2);
  return x.toPrecision(3);
}

export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '–';
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

/** Enough of a sha256 to tell two models apart at a glance. */
export function shortFingerprint(fp: string): string {
  return fp.replace(/^sha256:/, '').slice(0, 12);
}

/** The row name of a layer: embeddings at the bottom, logits on top. */
export function layerName(kind: 'feature' | 'error' | 'token' | 'logit', layer: number): string {
  if (kind === 'token') return 'Emb';
  if (kind === 'logit') return 'Logit';
  return `L${layer}`;
}
