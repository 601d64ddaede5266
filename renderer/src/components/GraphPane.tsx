/** Centre column: graph summary + search + Fit, the graph canvas with its legend, and the threshold sliders. */
import { useActions, useWb } from '../store/react';
import { formatMs, formatPercent } from '../text/format';
import { GraphView } from './GraphView';
import { Legend } from './Legend';
import { SearchBox } from './SearchBox';
import { ThresholdSliders } from './ThresholdSliders';

function GraphSummaryLine() {
  const g = useWb((s) => s.graph);
  const pruned = useWb((s) => s.pruned);
  const shown = pruned ? { nodes: pruned.nodes.length, edges: pruned.edgeSource.length } : null;
  if (!g) return <span className="muted">No graph yet</span>;
  return (
    <span className="graph-summary" title={`Prompt: ${g.prompt}`}>
      <strong>{g.source.kind === 'file' ? g.source.path.split(/[\\/]/).pop() : 'Traced'}</strong>
      <span className="muted">
        {' '}· {shown ? `${shown.nodes.toLocaleString()} / ${g.nodes.length.toLocaleString()} nodes · ${shown.edges.toLocaleString()} edges` : `${g.nodes.length.toLocaleString()} nodes`}
      </span>
      <span className="muted" title="Replacement: the share of influence on the targets that does not pass through error nodes. Completeness: the share of the nodes' direct input that does not come from error nodes.">
        {' '}· repl. {formatPercent(g.scores.replacement)} · compl. {formatPercent(g.scores.completeness)}
      </span>
      {g.attributionMs !== null && <span className="muted" title="Attribution time"> · {formatMs(g.attributionMs)}</span>}
    </span>
  );
}

export function GraphPane() {
  const a = useActions();
  const hasGraph = useWb((s) => s.graph !== null);
  return (
    <div className="graph-pane">
      <div className="graph-toolbar">
        <GraphSummaryLine />
        <div className="toolbar-right">
          <SearchBox />
          <button type="button" onClick={() => a.fit()} disabled={!hasGraph} title="Fit (f)">Fit</button>
          <button type="button" onClick={() => void a.exportGraph()} disabled={!hasGraph} title="Export the graph as shown (graph JSON)">Export…</button>
        </div>
      </div>
      <div className="graph-area">
        <GraphView />
        {!hasGraph && (
          <div className="graph-empty">
            <p>Type a prompt, choose a target and press <strong>Trace</strong> to see which features made the model predict it.</p>
            <p className="muted small">Or open a saved graph (Neuronpedia / circuit-tracer JSON). Press <kbd>?</kbd> for shortcuts.</p>
          </div>
        )}
      </div>
      <div className="graph-footer">
        <ThresholdSliders />
        <Legend />
      </div>
    </div>
  );
}
