/** Right column, bottom: the top paths into the selected node (or between two selected nodes). */
import { useActions, useWb } from '../store/react';
import { nodeName } from '../details/LinkTable';
import { formatValue } from '../text/format';
import { useNodeLookup } from './DetailPanel';

export function PathsPanel() {
  const paths = useWb((s) => s.paths);
  const pinned = useWb((s) => s.pinnedPath);
  const hovered = useWb((s) => s.hoveredPath);
  const a = useActions();
  const nodeAt = useNodeLookup();
  const title = !paths ? null : paths.from === null ? `Into ${nodeName(nodeAt(paths.to), paths.to)}` : `${nodeName(nodeAt(paths.from), paths.from)} → ${nodeName(nodeAt(paths.to), paths.to)}`;
  return (
    <section className="panel paths-panel" aria-label="Paths" aria-busy={paths?.loading ?? false}>
      <h2 className="panel-title">Paths</h2>
      {!paths ? (
        <p className="muted small">Select a logit to see the strongest paths into it, or Shift-click two nodes for the paths between them.</p>
      ) : (
        <>
          <p className="small paths-query">{title} <span className="muted">(top 10, shown edges only)</span></p>
          {paths.paths === null ? (
            <p className="muted small">Finding paths…</p>
          ) : paths.paths.length === 0 ? (
            <p className="muted small">No path at the current thresholds.</p>
          ) : (
            <ol className="paths" onMouseLeave={() => a.hoverPath(null)}>
              {paths.paths.map((p, i) => (
                <li key={i} className={`${pinned === i ? 'pinned' : ''} ${hovered === i ? 'hovered' : ''}`}>
                  <button
                    type="button"
                    aria-pressed={pinned === i}
                    onMouseEnter={() => a.hoverPath(i)}
                    onMouseLeave={() => a.hoverPath(null)}
                    onFocus={() => a.hoverPath(i)}
                    onBlur={() => a.hoverPath(null)}
                    onClick={() => a.togglePinnedPath(i)}
                  >
                    <span className="chain">{p.nodes.map((x) => nodeName(nodeAt(x), x)).join(' → ')}</span>
                    <span className={`score ${p.sign > 0 ? 'pos' : 'neg'}`}>{p.sign > 0 ? '+' : '−'}{formatValue(Math.abs(p.score))}</span>
                  </button>
                </li>
              ))}
            </ol>
          )}
        </>
      )}
    </section>
  );
}
