/**
 * The cytoscape canvas. React renders only the container; the GraphController is driven straight from
 * store subscriptions, so thousands of elements never go through React. It also records the debug timings
 * (measured when cytoscape has actually drawn the change) and the node/edge counts on the container.
 */
import { useEffect, useRef } from 'react';
import type { PathInfo } from '../../../shared/api';
import { attachGraphController, timings } from '../debug';
import { GraphController } from '../graph/controller';
import { useWorkbenchStore } from '../store/react';
import type { WorkbenchState } from '../store/types';

const effectivePath = (s: WorkbenchState): PathInfo | null => {
  const i = s.hoveredPath ?? s.pinnedPath;
  return i !== null ? (s.paths?.paths?.[i] ?? null) : null;
};

export function GraphView() {
  const store = useWorkbenchStore();
  const wrapRef = useRef<HTMLDivElement>(null);
  const cyRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const wrap = wrapRef.current!;
    const { actions } = store.getState();
    const ctl = new GraphController(cyRef.current!, {
      onSelect: (i, additive) => actions.selectNode(i, { additive }),
      onHover: (i) => actions.hoverNode(i),
    });
    attachGraphController(ctl);
    let lastCommand = store.getState().viewCommand?.seq ?? 0;
    let path: PathInfo | null = null;

    const publishCounts = () => {
      wrap.dataset.nodeCount = String(ctl.visibleNodeIds().length);
      wrap.dataset.edgeCount = String(ctl.visibleEdgeCount());
    };

    const apply = (s: WorkbenchState, prev: WorkbenchState | null) => {
      if (!prev || s.graph !== prev.graph) {
        ctl.setGraph(s.graph); // the controller fits each new graph's first view by itself
        publishCounts();
      }
      if (!prev || s.pruned !== prev.pruned || s.graph !== prev.graph) {
        const t0 = performance.now();
        const changed = ctl.applyView(s.pruned);
        publishCounts();
        const traceAt = prev && s.pruned && prev.pruned === null ? s.traceClickedAt : null;
        const requestedAt = s.prunedRequestedAt;
        const finish = () => {
          const end = performance.now();
          timings.lastRenderMs = end - t0;
          if (requestedAt !== null) timings.lastPruneRoundTripMs = end - requestedAt;
          if (traceAt !== null) timings.traceClickToRenderMs = end - traceAt;
        };
        // Drawn = cytoscape's next 'render' (its own rAF loop). A canvas without size never draws: measure now.
        if (changed && wrap.clientWidth > 0 && wrap.clientHeight > 0) ctl.cy.one('render', finish);
        else finish();
      }
      if (!prev || s.selected !== prev.selected) ctl.setSelection(s.selected);
      if (!prev || s.hovered !== prev.hovered) ctl.setHover(s.hovered);
      const p = effectivePath(s);
      if (p !== path) {
        path = p;
        ctl.setPath(p);
      }
      const cmd = s.viewCommand;
      if (cmd && cmd.seq !== lastCommand) {
        lastCommand = cmd.seq;
        if (cmd.kind === 'fit') ctl.fit();
        else ctl.center(cmd.node);
      }
    };
    apply(store.getState(), null);
    const unsubscribe = store.subscribe((s, prev) => apply(s, prev));
    const ro = new ResizeObserver(() => ctl.cy.resize());
    ro.observe(cyRef.current!);
    return () => {
      ro.disconnect();
      unsubscribe();
      attachGraphController(null);
      ctl.destroy();
    };
  }, [store]);

  return (
    <div className="graph-view" data-testid="graph" ref={wrapRef} data-node-count="0" data-edge-count="0">
      <div className="cy" ref={cyRef} role="img" aria-label="Attribution graph canvas" />
    </div>
  );
}
