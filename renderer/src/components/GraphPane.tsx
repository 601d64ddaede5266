/** Centre column: graph summary + search + Fit, the graph canvas with its legend, and the threshold sliders. */
import { useActions, useWb } from '../store/react';
import { formatMs, formatPercent } from '../text/format';
import { GraphView } from './GraphView';
import { Legend } from './Legend';
import { SearchBox } from './SearchBox';
import { ThresholdSliders } from './ThresholdSliders';
import { ExportButtons } from '../present/ExportDialog';
import { PresentedTest } from '../present/Presentation';
import { SubgraphFigureView } from '../present/SubgraphFigureView';
import { useWork } from '../work/context';

function GraphSummaryLine() {
  const g = useWb((s) => s.graph);
  const pruned = useWb((s) => s.pruned);
  const shown = pruned ? { nodes: pruned.nodes.length, edges: pruned.edgeSource.length, total: pruned.edgeTotal } : null;
  if (!g) return <span className="muted">No graph yet</span>;
  const capped = shown !== null && shown.total > shown.edges;
  return (
    <span className="graph-summary" title={`Prompt: ${g.prompt}`}>
      <strong>{g.source.kind === 'file' ? g.source.path.split(/[\\/]/).pop() : 'Traced'}</strong>
      <span className="muted">
        {' '}· {shown ? `${shown.nodes.toLocaleString()} / ${g.nodes.length.toLocaleString()} nodes · ` : `${g.nodes.length.toLocaleString()} nodes`}
      </span>
      {shown && !capped && <span className="muted">{shown.edges.toLocaleString()} edges</span>}
      {shown && capped && (
        <span className="capped" title="Only the strongest edges by |weight| are requested and drawn; lower the node or edge threshold to see every kept edge.">
          showing the {shown.edges.toLocaleString()} strongest of {shown.total.toLocaleString()} edges
        </span>
      )}
      <span className="muted" title="Replacement: the share of influence on the targets that does not pass through error nodes. Completeness: the share of the nodes' direct input that does not come from error nodes.">
        {' '}· repl. {formatPercent(g.scores.replacement)} · compl. {formatPercent(g.scores.completeness)}
      </span>
      {g.attributionMs !== null && <span className="muted" title="Attribution time"> · {formatMs(g.attributionMs)}</span>}
    </span>
  );
}

/** The graph shown is for another prompt than the prompt box holds (an edit, or a cancelled trace). */
function StaleGraphNotice() {
  const graphPrompt = useWb((s) => (s.graph && s.graph.prompt.trim() !== '' && s.graph.prompt !== s.prompt ? s.graph.prompt : null));
  if (graphPrompt === null) return null;
  const short = graphPrompt.length > 60 ? `${graphPrompt.slice(0, 59).trimEnd()}…` : graphPrompt;
  return (
    <p className="graph-notice" role="note" title={graphPrompt}>
      Graph for: “{short}” — <strong>Trace</strong> to update
    </p>
  );
}

export function GraphPane() {
  const a = useActions();
  const hasGraph = useWb((s) => s.graph !== null);
  const presenting = useWb((s) => s.presentation);
  const figure = useWork((s) => s.display === 'subgraph');
  return (
    <div className={`graph-pane${figure ? ' figure-shown' : ''}`}>
      <div className="graph-toolbar">
        <GraphSummaryLine />
        <div className="toolbar-right">
          <SearchBox />
          <button type="button" onClick={() => a.fit()} disabled={!hasGraph} title="Fit (f)">Fit</button>
          <button type="button" onClick={() => void a.exportGraph()} disabled={!hasGraph} title="Export the graph as shown (graph JSON)">Export…</button>
          <ExportButtons />
          <button type="button" onClick={() => a.togglePresentation()} disabled={!hasGraph} title="Presentation mode (p): full screen, ← → step through saved views, Esc leaves">Present</button>
        </div>
        <StaleGraphNotice />
      </div>
      <div className="graph-area">
        <GraphView />
        {hasGraph && figure && <SubgraphFigureView large={presenting} />}
        {hasGraph && presenting && <PresentedTest />}
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
