/** A small inline SVG bar chart: each target's probability (or logit) before and after an intervention. */
import type { TargetOutcome } from '../../../shared/apiExplain';
import { formatPercent, formatValue } from '../text/format';
import { shortToken } from '../text/tokenText';

const W = 260;
const ROW = 26;
const LABEL = 70;
const BAR = W - LABEL - 56;

export function ChangeChart({ targets }: { readonly targets: readonly TargetOutcome[] }) {
  const rows = targets.slice(0, 6);
  const useProb = rows.every((t) => t.probBefore !== null && t.probAfter !== null);
  const val = (t: TargetOutcome, after: boolean) => (useProb ? (after ? t.probAfter : t.probBefore) : after ? t.logitAfter : t.logitBefore) ?? 0;
  const max = Math.max(1e-9, ...rows.flatMap((t) => [Math.abs(val(t, false)), Math.abs(val(t, true))]));
  const fmt = (x: number) => (useProb ? formatPercent(x) : formatValue(x));
  return (
    <svg className="change-chart" role="img" aria-label={`Target ${useProb ? 'probabilities' : 'logits'} before and after`} width={W} height={rows.length * ROW + 14} viewBox={`0 0 ${W} ${rows.length * ROW + 14}`}>
      {rows.map((t, i) => {
        const y = i * ROW;
        const b = (Math.abs(val(t, false)) / max) * BAR;
        const a = (Math.abs(val(t, true)) / max) * BAR;
        return (
          <g key={t.node} data-target={t.label}>
            <text x={0} y={y + 15} fontSize={11} fill="#1f2937">{shortToken(t.label, 10)}</text>
            <rect x={LABEL} y={y + 3} width={Math.max(1, b)} height={9} fill="#9ca3af"><title>before {fmt(val(t, false))}</title></rect>
            <rect x={LABEL} y={y + 13} width={Math.max(1, a)} height={9} fill={val(t, true) < val(t, false) ? '#c2410c' : '#0f766e'}><title>after {fmt(val(t, true))}</title></rect>
            <text x={LABEL + BAR + 4} y={y + 11} fontSize={9} fill="#5b6472">{fmt(val(t, false))}</text>
            <text x={LABEL + BAR + 4} y={y + 22} fontSize={9} fill="#1f2937">{fmt(val(t, true))}</text>
          </g>
        );
      })}
      <g transform={`translate(${LABEL}, ${rows.length * ROW + 4})`} fontSize={9} fill="#5b6472">
        <rect width={8} height={7} fill="#9ca3af" /><text x={11} y={7}>before</text>
        <rect x={52} width={8} height={7} fill="#0f766e" /><text x={63} y={7}>after</text>
      </g>
    </svg>
  );
}
