/** The two attribution graphs of a diff side by side (layout in shared/diffLayout.ts): grey = in both, red = lost (only in A), green = gained (only in B). */
import type { CompactGraph, GraphDiff } from '../../../shared/diff';
import { layoutDiffGraph } from '../../../shared/diffLayout';

function OneGraph({ g, other, side, nTokens }: { readonly g: CompactGraph; readonly other: CompactGraph; readonly side: 'A' | 'B'; readonly nTokens: number }) {
  const lay = layoutDiffGraph(g, other, nTokens);
  const only = side === 'A' ? 'diff-lost' : 'diff-gained';
  return (
    <figure className="diff-graph" data-side={side}>
      <svg width={lay.width} height={lay.height} viewBox={`0 0 ${lay.width} ${lay.height}`} role="img" aria-label={`graph ${side}`}>
        {lay.rows.map((r) => <text key={r.layer} x={2} y={r.y + 3} fontSize={9} fill="#5b6375">{r.layer}</text>)}
        {lay.edges.map((e, i) => (
          <line key={i} x1={e.x1} y1={e.y1} x2={e.x2} y2={e.y2} stroke={e.weight < 0 ? '#c4484b' : '#3b6fb6'} strokeOpacity={0.35} strokeWidth={0.3 + 2 * e.strength} />
        ))}
        {lay.nodes.map((n) => (
          <circle key={n.id} cx={n.x} cy={n.y} r={n.common ? 2.5 : 3.5} className={n.common ? 'diff-common' : only} data-node={n.id}>
            <title>{n.id}{n.label ? ` ${n.label}` : ''}</title>
          </circle>
        ))}
      </svg>
      <figcaption>{side === 'A' ? 'Base (A): red = only in A' : 'Candidate (B): green = only in B'}</figcaption>
    </figure>
  );
}

export function GraphPair({ diff }: { readonly diff: GraphDiff }) {
  return (
    <div className="diff-pair" aria-label="Graph pair">
      <p className="muted small">
        <code>{diff.text}</code> — targets {diff.targets.map((t) => JSON.stringify(t.text)).join(', ')}; nodes {diff.nodes.a} → {diff.nodes.b} ({diff.nodes.common} common,{' '}
        <span className="diff-gained-text">+{diff.nodes.gained.length} gained</span>, <span className="diff-lost-text">−{diff.nodes.lost.length} lost</span>); edges {diff.edges.a} → {diff.edges.b} (+{diff.edges.gained} −{diff.edges.lost})
      </p>
      <div className="diff-pair-graphs">
        <OneGraph g={diff.graphA} other={diff.graphB} side="A" nTokens={diff.tokens.length} />
        <OneGraph g={diff.graphB} other={diff.graphA} side="B" nTokens={diff.tokens.length} />
      </div>
    </div>
  );
}
