/**
 * Saved views: “Save view” captures what the graph pane shows (thresholds, the visible region, the highlighted
 * path, graph or subgraph figure); each view can be renamed, re-ordered, deleted (all undoable), shown again,
 * switched between graph and subgraph figure, and given a causal test whose result presentation mode shows with
 * it. “Present” starts presentation mode at the first view.
 */
import type { WorkbenchState } from '../store/types';
import type { ViewCapture } from '../store/work/views';
import type { WorkState } from '../store/work/workStore';
import { graphHandle } from '../present/graphHandle';
import { useActions, useWb, useWorkbenchStore } from '../store/react';
import { useWork, useWorkActions, useWorkStore } from './context';

/** What the canvas shows now, for a new view. */
export function captureView(m: WorkbenchState, w: WorkState): ViewCapture {
  const g = m.graph;
  const pinned = m.pinnedPath !== null ? m.paths?.paths?.[m.pinnedPath] : undefined;
  const idOf = new Map((g?.nodes ?? []).map((n) => [n.index, n.id]));
  const path = pinned ? pinned.nodes.map((i) => idOf.get(i)).filter((id): id is string => id !== undefined) : (w.viewPath?.ids ?? null);
  return { nodeThreshold: m.nodeThreshold, edgeThreshold: m.edgeThreshold, region: graphHandle()?.visibleRegion() ?? null, path, show: w.display };
}

export function ViewsPanel() {
  const a = useWorkActions();
  const wb = useActions();
  const main = useWorkbenchStore();
  const work = useWorkStore();
  const hasGraph = useWb((s) => s.graph !== null);
  const views = useWork((s) => s.history.present.work.views);
  const tests = useWork((s) => s.history.present.tests);
  const active = useWork((s) => s.activeView);
  const display = useWork((s) => s.display);
  const supernodes = useWork((s) => s.history.present.work.supernodes);
  if (!hasGraph) return null;
  return (
    <section className="panel views-panel" aria-label="Views">
      <h2 className="panel-title">Views</h2>
      <div className="button-row">
        <span className="segmented" role="group" aria-label="Show">
          <button type="button" aria-pressed={display === 'graph'} onClick={() => a.setDisplay('graph')}>Graph</button>
          <button type="button" aria-pressed={display === 'subgraph'} onClick={() => a.setDisplay('subgraph')}>Subgraph figure</button>
        </span>
      </div>
      <div className="button-row">
        <button type="button" onClick={() => a.saveView(captureView(main.getState(), work.getState()))}>Save view</button>
        <button
          type="button"
          className="primary"
          onClick={() => {
            // From the first view, as in a slide deck (the toolbar's Present and "p" start at what is shown).
            if (views.length > 0) a.applyView(0);
            if (!main.getState().presentation) wb.togglePresentation();
          }}
          title="From the first view, full screen; ← → step through the saved views, Esc leaves"
        >
          Present
        </button>
      </div>
      {views.length === 0 ? (
        <p className="muted small">No saved views: arrange the graph (thresholds, zoom, a pinned path) or the subgraph figure, then “Save view”.</p>
      ) : (
        <ol className="views" aria-label="Saved views">
          {views.map((v, i) => (
            <li key={i} className={`view${i === active ? ' active' : ''}`} data-view-index={i}>
              <div className="sg-row">
                <button type="button" className="link" onClick={() => a.applyView(i)} aria-label={`Show view ${v.name}`} title="Show this view">▶</button>
                <input type="text" className="sg-label" aria-label="View name" value={v.name} onChange={(e) => a.renameView(i, e.target.value)} />
                <button type="button" className="icon" aria-label={`Move ${v.name} up`} disabled={i === 0} onClick={() => a.moveView(i, -1)}>↑</button>
                <button type="button" className="icon" aria-label={`Move ${v.name} down`} disabled={i === views.length - 1} onClick={() => a.moveView(i, 1)}>↓</button>
                <button type="button" className="icon" aria-label={`Delete view ${v.name}`} onClick={() => a.removeView(i)}>×</button>
              </div>
              <div className="sg-row small view-options">
                <select aria-label="View shows" value={v.show ?? 'graph'} onChange={(e) => a.updateView(i, { show: e.target.value as 'graph' | 'subgraph' })}>
                  <option value="graph">graph</option>
                  <option value="subgraph">subgraph figure</option>
                </select>
                <select aria-label="Test shown with the view" value={v.testId ?? ''} onChange={(e) => a.updateView(i, { testId: e.target.value || undefined })}>
                  <option value="">no test</option>
                  {tests.map((t) => (
                    <option key={t.id} value={t.id}>{t.name || t.id}</option>
                  ))}
                </select>
                <span className="muted" title="Thresholds">{`n ${v.nodeThreshold} · e ${v.edgeThreshold}`}</span>
              </div>
              <details className="view-more small">
                <summary>Caption{v.show === 'subgraph' && supernodes.length > 1 ? ', supernodes' : ''}</summary>
                <input type="text" aria-label="View caption" placeholder="Shown under the title when presenting" value={v.caption ?? ''} onChange={(e) => a.updateView(i, { caption: e.target.value || undefined })} />
                {v.show === 'subgraph' && supernodes.length > 1 && (
                  <fieldset className="view-supernodes">
                    <legend className="muted">Supernodes in the figure (none ticked: all)</legend>
                    {supernodes.map((sn) => {
                      const chosen = v.supernodeIds ?? [];
                      return (
                        <label key={sn.id}>
                          <input
                            type="checkbox"
                            checked={chosen.includes(sn.id)}
                            onChange={(e) => {
                              const next = e.target.checked ? [...chosen, sn.id] : chosen.filter((x) => x !== sn.id);
                              a.updateView(i, { supernodeIds: next.length > 0 ? next : undefined });
                            }}
                          />{' '}
                          {sn.label || sn.id}
                        </label>
                      );
                    })}
                  </fieldset>
                )}
              </details>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
