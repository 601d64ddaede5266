/**
 * The graph canvas: the edge layer (a 2D canvas), cytoscape's container on top of it for the nodes, and the
 * row-label overlay. React renders only these containers; the GraphController is driven straight from store
 * subscriptions, so thousands of elements never go through React. It also records the debug timings
 * (measured when the change is actually on screen) and the node/edge counts on the container.
 */
import { useEffect, useRef } from 'react';
import type { PathInfo } from '../../../shared/api';
import { attachGraphController, timings } from '../debug';
import { GraphController } from '../graph/controller';
import { MARK_KINDS, marksFor } from '../graph/marks';
import { setGraphHandle } from '../present/graphHandle';
import { useWorkbenchStore } from '../store/react';
import type { WorkbenchState } from '../store/types';
import type { WorkState } from '../store/work/workStore';
import { useWorkStore } from '../work/context';

/** The hovered or pinned path, else a saved view's highlighted path (node ids → indices; its edges are looked up). */
const effectivePath = (s: WorkbenchState, w: WorkState, cache: { key: unknown; path: PathInfo | null }): PathInfo | null => {
  const i = s.hoveredPath ?? s.pinnedPath;
  if (i !== null) return s.paths?.paths?.[i] ?? null;
  const vp = w.viewPath;
  if (!vp || !s.graph || vp.graphId !== s.graph.graphId) return null;
  if (cache.key !== vp) {
    const byId = new Map(s.graph.nodes.map((n) => [n.id, n.index]));
    const nodes = vp.ids.map((id) => byId.get(id)).filter((x): x is number => x !== undefined);
    cache.key = vp;
    cache.path = nodes.length > 1 ? { nodes, edges: [], score: 0, sign: 1 } : null;
  }
  return cache.path;
};

export function GraphView() {
  const store = useWorkbenchStore();
  const work = useWorkStore();
  const wrapRef = useRef<HTMLDivElement>(null);
  const cyRef = useRef<HTMLDivElement>(null);
  const edgeRef = useRef<HTMLCanvasElement>(null);
  const underRef = useRef<HTMLCanvasElement>(null);
  const rowsRef = useRef<HTMLDivElement>(null);
  const labelRef = useRef<HTMLCanvasElement>(null);

  useEffect(() => {
    const wrap = wrapRef.current!;
    const { actions } = store.getState();
    const ctl = new GraphController(
      cyRef.current!,
      {
        onSelect: (i, additive) => actions.selectNode(i, { additive }),
        onHover: (i) => actions.hoverNode(i),
      },
      { edgeCanvas: edgeRef.current, edgeUnderCanvas: underRef.current, rowLabels: rowsRef.current, labelCanvas: labelRef.current },
    );
    attachGraphController(ctl);
    setGraphHandle(ctl);
    const viewPathCache: { key: unknown; path: PathInfo | null } = { key: null, path: null };
    let lastCommand = store.getState().viewCommand?.seq ?? 0;
    /** Which applied view the timings are for (a late callback of an older one must not overwrite them). */
    let applied = 0;
    let path: PathInfo | null = null;

    const publishCounts = () => {
      wrap.dataset.nodeCount = String(ctl.visibleNodeCount());
      wrap.dataset.edgeCount = String(ctl.visibleEdgeCount());
      const total = store.getState().pruned?.edgeTotal;
      if (total !== undefined) wrap.dataset.edgeTotal = String(total);
      else delete wrap.dataset.edgeTotal;
    };

    const apply = (s: WorkbenchState, prev: WorkbenchState | null) => {
      if (!prev || s.graph !== prev.graph) {
        ctl.setGraph(s.graph); // the controller fits each new graph's first view by itself
        publishCounts();
      }
      if (!prev || s.pruned !== prev.pruned || s.graph !== prev.graph) {
        const t0 = performance.now();
        const seq = ++applied;
        const changed = ctl.applyView(s.pruned);
        publishCounts();
        const traceAt = prev && s.pruned && prev.pruned === null ? s.traceClickedAt : null;
        const requestedAt = s.prunedRequestedAt;
        const finish = () => {
          if (seq !== applied) return;
          const end = performance.now();
          timings.lastRenderMs = end - t0;
          timings.lastEdgeDrawMs = ctl.lastEdgeDrawMs;
          if (requestedAt !== null) timings.lastPruneRoundTripMs = end - requestedAt;
          if (traceAt !== null) timings.traceClickToRenderMs = end - traceAt;
        };
        // Drawn = the edge layer's next frame and, when nodes changed, cytoscape's next 'render' (its own rAF
        // loop). A canvas without size never draws: measure now.
        const complete = () => {
          if (seq === applied && requestedAt !== null) timings.lastPruneCompleteMs = performance.now() - requestedAt;
        };
        if (changed && wrap.clientWidth > 0 && wrap.clientHeight > 0) {
          ctl.afterDraw(finish);
          ctl.afterEdgesComplete(complete);
        } else {
          finish();
          complete();
        }
      }
      if (!prev || s.selected !== prev.selected) ctl.setSelection(s.selected);
      if (!prev || s.hovered !== prev.hovered) ctl.setHover(s.hovered);
      const p = effectivePath(s, work.getState(), viewPathCache);
      if (p !== path) {
        path = p;
        ctl.setPath(p);
      }
      const cmd = s.viewCommand;
      if (cmd && cmd.seq !== lastCommand) {
        lastCommand = cmd.seq;
        if (cmd.kind === 'fit') ctl.fit();
        else if (cmd.kind === 'region') ctl.showRegion(cmd.box);
        else ctl.center(cmd.node);
      }
    };
    // Marks from the explanation work: recomputed only when the graph, the work or the last intervention changed.
    let marksOf: [WorkbenchState['graph'], WorkState['history']['present']['work'] | null, WorkState['lastRun'], string | null] = [null, null, null, null];
    const applyMarks = () => {
      const g = store.getState().graph;
      const w = work.getState();
      const key: typeof marksOf = [g, w.history.present.work, w.lastRun, w.graphId];
      if (key.every((x, i) => x === marksOf[i])) return;
      marksOf = key;
      const run = w.lastRun ? { graphId: w.lastRun.result.graphId, affectedNodes: w.lastRun.result.affectedNodes } : null;
      const m = marksFor(g, { graphId: w.graphId, work: w.history.present.work }, run);
      for (const k of MARK_KINDS) ctl.setMarked(k, m[k]);
    };
    apply(store.getState(), null);
    applyMarks();
    const unsubscribe = store.subscribe((s, prev) => {
      apply(s, prev);
      applyMarks();
    });
    const unsubscribeWork = work.subscribe((w, prev) => {
      applyMarks();
      if (w.viewPath !== prev.viewPath) apply(store.getState(), store.getState());
    });
    const ro = new ResizeObserver(() => ctl.resize());
    ro.observe(cyRef.current!);
    return () => {
      ro.disconnect();
      unsubscribe();
      unsubscribeWork();
      attachGraphController(null);
      setGraphHandle(null);
      ctl.destroy();
    };
  }, [store, work]);

  return (
    <div className="graph-view" data-testid="graph" ref={wrapRef} data-node-count="0" data-edge-count="0">
      <canvas className="edge-layer" ref={underRef} aria-hidden="true" />
      <canvas className="edge-layer" ref={edgeRef} aria-hidden="true" />
      <div className="cy" ref={cyRef} role="img" aria-label="Attribution graph canvas" />
      <canvas className="label-layer" ref={labelRef} aria-hidden="true" />
      <div className="row-labels" ref={rowsRef} aria-hidden="true" />
    </div>
  );
}
