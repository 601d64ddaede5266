/** Activation histogram as small inline SVG bars (no chart library for a dozen rectangles). */
import type { FeatureCard } from '../../../shared/featureCard';
import { formatValue } from '../text/format';

export function Histogram({ histogram }: { readonly histogram: FeatureCard['histogram'] }) {
  const { counts, edges } = histogram;
  if (counts.length === 0) return <p className="muted small">Never active in the indexed corpus.</p>;
  const W = 260;
  const H = 54;
  const max = Math.max(...counts, 1);
  const bw = W / counts.length;
  return (
    <figure className="histogram">
      <svg width={W} height={H + 14} role="img" aria-label={`Activation histogram, ${counts.length} bins from ${formatValue(edges[0])} to ${formatValue(edges[edges.length - 1])}`}>
        {counts.map((c, i) => {
          // sqrt height: the long tail of rare large activations stays visible next to the common small ones
          const h = c > 0 ? Math.max(1, Math.sqrt(c / max) * H) : 0;
          return (
            <rect key={i} x={i * bw + 0.5} y={H - h} width={Math.max(1, bw - 1)} height={h} className="hist-bar">
              <title>{`(${formatValue(edges[i])}, ${formatValue(edges[i + 1])}]: ${c}`}</title>
            </rect>
          );
        })}
        <line x1={0} y1={H + 0.5} x2={W} y2={H + 0.5} className="hist-axis" />
        <text x={0} y={H + 12} className="hist-label">{formatValue(edges[0])}</text>
        <text x={W} y={H + 12} textAnchor="end" className="hist-label">{formatValue(edges[edges.length - 1])}</text>
      </svg>
    </figure>
  );
}
