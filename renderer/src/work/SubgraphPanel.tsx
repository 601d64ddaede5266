/**
 * The subgraph pane: pinned nodes and supernodes (tick nodes → Group; editable supernode labels; Ungroup), the
 * engine's subgraph stats (summed edges between groups, each group's input from outside the subgraph and from
 * errors, replacement/completeness of the subgraph against the whole graph) and the explanation's notes.
 */
import type { GraphNode } from '../../../shared/api';
import type { SubgraphGroup } from '../../../shared/apiExplain';
import { nodeName } from '../details/LinkTable';
import { useActions, useWb } from '../store/react';
import { formatPercent, formatValue } from '../text/format';
import { useWork, useWorkActions } from './context';

function useNodeById(): (id: string) => GraphNode | undefined {
  const graph = useWb((s) => s.graph);
  return (id) => graph?.nodes.find((n) => n.id === id);
}

function Shares({ g }: { readonly g: SubgraphGroup | undefined }) {
  if (!g || g.outsideShare === null) return null;
  return (
    <span className="muted small shares" title="Share of the input to these nodes from features outside the subgraph / from error nodes">
      outside {formatPercent(g.outsideShare)}, errors {formatPercent(g.errorShare ?? 0)}
    </span>
  );
}

export function SubgraphPanel() {
  const a = useWorkActions();
  const wb = useActions();
  const work = useWork((s) => s.history.present.work);
  const checked = useWork((s) => s.checked);
  const stats = useWork((s) => s.stats);
  const loading = useWork((s) => s.statsLoading);
  const hasGraph = useWb((s) => s.graph !== null);
  const byId = useNodeById();
  const name = (id: string) => work.nodeLabels[id] || nodeName(byId(id), -1).replace('#-1', id);
  const select = (id: string) => {
    const n = byId(id);
    if (n) wb.selectNode(n.index, { center: true });
  };
  const inGroup = new Set(work.supernodes.flatMap((s) => s.nodeIds));
  const loose = work.pinnedNodeIds.filter((id) => !inGroup.has(id));
  const group = (id: string) => stats?.groups.find((g) => g.id === id);
  const groupName = (i: number) => {
    const g = stats?.groups[i];
    return g ? (g.kind === 'supernode' ? g.label || g.id : name(g.id)) : '?';
  };
  const check = (id: string) => (
    <input type="checkbox" aria-label={`Select ${name(id)}`} checked={checked.includes(id)} onChange={(e) => a.setChecked(id, e.target.checked)} />
  );
  return (
    <section className="panel subgraph-panel" aria-label="Subgraph" aria-busy={loading}>
      <h2 className="panel-title">Subgraph</h2>
      {!hasGraph ? (
        <p className="muted small">Trace or open a graph, then pin nodes (Ctrl/⌘-click, or “Pin” in the node details).</p>
      ) : work.pinnedNodeIds.length === 0 ? (
        <p className="muted small">No pinned nodes yet: Ctrl/⌘-click a node, or select it and press “Pin”.</p>
      ) : (
        <>
          <ul className="sg-list" aria-label="Supernodes and pinned nodes">
            {work.supernodes.map((sn) => (
              <li key={sn.id} className="sg-supernode" data-supernode={sn.id}>
                <div className="sg-row">
                  {check(sn.id)}
                  <input type="text" className="sg-label" aria-label="Supernode label" value={sn.label} onChange={(e) => a.renameSupernode(sn.id, e.target.value)} />
                  <button type="button" className="icon" onClick={() => a.ungroup(sn.id)} title="Ungroup (the members stay pinned)">Ungroup</button>
                </div>
                <div className="sg-members">
                  {sn.nodeIds.map((id) => (
                    <button type="button" key={id} className="chip" onClick={() => select(id)} title={id}>{name(id)}</button>
                  ))}
                </div>
                <Shares g={group(sn.id)} />
              </li>
            ))}
            {loose.map((id) => (
              <li key={id} className="sg-node" data-node-id={id}>
                <div className="sg-row">
                  {check(id)}
                  <button type="button" className="link" onClick={() => select(id)} title={id}>{name(id)}</button>
                  <button type="button" className="icon" aria-label={`Unpin ${name(id)}`} onClick={() => a.unpin([id])}>×</button>
                </div>
                <Shares g={group(id)} />
              </li>
            ))}
          </ul>
          <div className="button-row">
            <button type="button" onClick={() => a.groupChecked()} disabled={checked.length === 0}>Group</button>
            <span className="muted small">{checked.length > 0 ? `${checked.length} ticked` : 'Tick nodes to group them into a supernode'}</span>
          </div>
          {stats && (
            <>
              {stats.edges.length > 0 && (
                <>
                  <h3 className="mini-title">Edges between groups (summed)</h3>
                  <ul className="sg-edges">
                    {stats.edges.slice(0, 12).map((e, i) => (
                      <li key={i} className="small">
                        {groupName(e.source)} → {groupName(e.target)} <span className={e.weight >= 0 ? 'pos' : 'neg'}>{e.weight >= 0 ? '+' : '−'}{formatValue(Math.abs(e.weight))}</span>
                      </li>
                    ))}
                  </ul>
                </>
              )}
              <table className="sg-scores small" aria-label="Scores">
                <thead>
                  <tr><th /><th>replacement</th><th>completeness</th></tr>
                </thead>
                <tbody>
                  <tr><th>subgraph</th><td>{formatPercent(stats.scores.replacement)}</td><td>{formatPercent(stats.scores.completeness)}</td></tr>
                  <tr><th>graph</th><td>{formatPercent(stats.graphScores.replacement)}</td><td>{formatPercent(stats.graphScores.completeness)}</td></tr>
                </tbody>
              </table>
            </>
          )}
        </>
      )}
      <label className="field small notes">
        <span>Notes</span>
        <textarea aria-label="Notes" rows={3} value={work.notes} onChange={(e) => a.setNotes(e.target.value)} placeholder="What this circuit does, open questions…" />
      </label>
    </section>
  );
}
