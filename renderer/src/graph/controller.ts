/**
 * Owns the graph canvas: cytoscape for the nodes (interaction, hover, selection, labels), the edge layer (a
 * 2D canvas under cytoscape's, edgeLayer.ts) for the edges, and the row-label overlay. A pruned view is shown
 * as a node diff inside one cy.batch (only added / removed nodes touched; retained nodes only move to their
 * new preset slots) plus a rebuild of the edge batches from the view's arrays (typed arrays, no elements).
 * Selection, hover and path highlights are classes on the nodes and a focus on the edge layer. Imperative on
 * purpose — the React tree never re-renders for graph changes; GraphView feeds this from store subscriptions.
 */
import cytoscape, { type Collection, type Core, type ElementDefinition } from 'cytoscape';
import type { GraphNode, GraphSummary, PathInfo, PrunedView } from '../../../shared/api';
import { diffNodes } from './diff';
import { batchOf, buildEdgeBatches, densityAlpha, EdgeLayer, NO_EDGES, type EdgeBatches, type EdgeFocus, type ExtraSegment } from './edgeLayer';
import { cyIds, logitLines, maxFeatureInfluence, nodeElement, tokenTextOf, type NodeElement } from './elements';
import { FeatureLabelLayer, featureLabelsShown, type FeatureLabel } from './featureLabels';
import { Highlighter } from './highlight';
import { buildIncidence, type Incidence } from './incidence';
import { drawNodesDirectly } from './directDraw';
import { nodeLabelLook } from './labels';
import { computeLayout, DEFAULT_LAYOUT, type GraphLayout } from './layout';
import { MARK_KINDS, markClass, type MarkKind } from './marks';
import { ROW_LABEL_GUTTER, RowLabels } from './rowLabels';
import { edgeWeightScale } from './scales';
import { GRAPH_STYLE, MIN_ZOOMED_FONT_PX, warmUpFonts } from './style';
import type { GraphScene, SceneEdge, SceneNode } from './scene';
import { centreZoom, fitViewport, panToShow, visibleModelBox, type Box, type Viewport } from './viewport';

export interface GraphHandlers {
  onSelect(index: number, additive: boolean): void;
  onHover(index: number | null): void;
}

/** The DOM layers next to cytoscape's container (none in headless tests). */
export interface GraphLayers {
  /** A canvas under cytoscape's canvases, the same size: the edges are drawn there. */
  readonly edgeCanvas?: HTMLCanvasElement | null;
  /** A canvas right under that one: the weaker edges of a big view, drawn over the following frames. */
  readonly edgeUnderCanvas?: HTMLCanvasElement | null;
  /** An overlay on the canvas' left edge for the row names. */
  readonly rowLabels?: HTMLElement | null;
  /** A canvas above cytoscape's, the same size: feature labels are drawn there (featureLabels.ts). */
  readonly labelCanvas?: HTMLCanvasElement | null;
}

/** Room (model units) the widest node shape (logits) and feature labels need around the node centres when fitting. */
const NODE_ROOM = 90;
const FIT_PADDING = 24;
const FIT_MAX_ZOOM = 2;

/** What applyView changed. */
export interface ViewChange {
  readonly nodes: boolean;
  readonly edges: boolean;
}

export class GraphController {
  readonly cy: Core;
  private graph: GraphSummary | null = null;
  private nodes = new Map<number, GraphNode>();
  private ids = new Map<number, string>();
  private nodeDefs = new Map<number, NodeElement>();
  private layout: GraphLayout | null = null;
  /** Positions by node index (model units), NaN for nodes not shown: what the edge layer draws from. */
  private xs = new Float32Array(0);
  private ys = new Float32Array(0);
  private shown: ReadonlySet<number> = new Set();
  private view: PrunedView | null = null;
  private batches: EdgeBatches = NO_EDGES;
  /** View edges by end node (both directions), built on the first hover / path after a view change. */
  private incidence: Incidence | null = null;
  private edgeScale: number | null = null;
  private selected: readonly number[] = [];
  /** Marked nodes by kind (pinned, supernode member, affected): classes kept on them across re-prunes. */
  private marked = new Map<MarkKind, ReadonlySet<number>>(MARK_KINDS.map((k) => [k, new Set<number>()]));
  private hovered: number | null = null;
  private path: PathInfo | null = null;
  private readonly highlighter: Highlighter;
  private readonly edges: EdgeLayer;
  private readonly rowLabels: RowLabels;
  private readonly hasRowLabels: boolean;
  private readonly featureLabels: FeatureLabelLayer;
  /** Nodes in the hover / path focus (null: no focus, nothing dimmed). */
  private focusNodes: ReadonlySet<number> | null = null;
  private hoverOutTimer: ReturnType<typeof setTimeout> | null = null;
  /** Refit after each re-prune until the user pans or zooms (the layout is recomputed per view). */
  private autoFit = true;
  /** A saved view's region being shown (refitted when the canvas changes size) until the user pans or zooms. */
  private region: Box | null = null;
  private programmaticViewport = false;
  private overlayFrame = 0;
  /** The zoom the token / logit labels were last sized for, and each one's applied look. */
  private labelZoom = NaN;
  private labelLooks = new Map<number, string>();
  /** Whether cytoscape has a node change still to draw (its 'render' event clears it). */
  private nodeRenderPending = false;
  private destroyed = false;

  constructor(container: HTMLElement | undefined, handlers: GraphHandlers, layers: GraphLayers = {}) {
    if (container) warmUpFonts();
    this.cy = cytoscape({
      container,
      headless: container === undefined,
      style: GRAPH_STYLE,
      // Large-graph settings: a bitmap of the nodes while panning/zooming, no labels during viewport moves.
      textureOnViewport: true,
      hideLabelsOnViewport: true,
      motionBlur: false,
      pixelRatio: 'auto',
      minZoom: 0.02,
      maxZoom: 6,
      boxSelectionEnabled: false,
      autounselectify: true,
      autoungrabify: true,
    });
    if (container) drawNodesDirectly(this.cy);
    this.highlighter = new Highlighter(this.cy);
    this.edges = new EdgeLayer(layers.edgeCanvas ?? null, { viewport: () => this.viewportInfo() }, layers.edgeUnderCanvas ?? null);
    this.rowLabels = new RowLabels(layers.rowLabels ?? null);
    this.hasRowLabels = Boolean(layers.rowLabels);
    this.featureLabels = new FeatureLabelLayer(layers.labelCanvas ?? null);
    const indexOf = (ev: { target: { data(k: string): unknown } }) => ev.target.data('idx') as number | undefined;
    this.cy.on('tap', 'node', (ev) => {
      const i = indexOf(ev);
      const oe = ev.originalEvent as MouseEvent | undefined;
      if (i !== undefined) handlers.onSelect(i, Boolean(oe?.shiftKey));
    });
    // Leaving a node clears the hover a moment later, so sliding from node to node goes highlight →
    // highlight (cheap) instead of highlight → nothing → highlight (two passes over every node).
    const hoverOut = () => {
      if (this.hoverOutTimer !== null) clearTimeout(this.hoverOutTimer);
      this.hoverOutTimer = setTimeout(() => {
        this.hoverOutTimer = null;
        handlers.onHover(null);
      }, 60);
    };
    this.cy.on('mouseover', 'node', (ev) => {
      const i = indexOf(ev);
      if (i === undefined) return;
      if (this.hoverOutTimer !== null) clearTimeout(this.hoverOutTimer);
      this.hoverOutTimer = null;
      handlers.onHover(i);
    });
    this.cy.on('mouseout', 'node', hoverOut);
    // cytoscape sends no mouseout when the pointer leaves the canvas straight from a node.
    container?.addEventListener('mouseleave', hoverOut);
    this.cy.on('viewport', () => {
      if (!this.programmaticViewport) {
        this.autoFit = false;
        this.region = null;
      }
      this.edges.viewportChanged();
      this.scheduleOverlay();
    });
    this.cy.on('render', () => {
      this.nodeRenderPending = false;
    });
  }

  /** A new graph (or none): drops every node; node definitions are prepared once for all its nodes. */
  setGraph(graph: GraphSummary | null): void {
    if (graph === this.graph) return;
    this.graph = graph;
    this.view = null;
    this.layout = null;
    this.shown = new Set();
    this.batches = NO_EDGES;
    this.incidence = null;
    this.edgeScale = null;
    this.selected = [];
    for (const k of MARK_KINDS) this.marked.set(k, new Set());
    this.hovered = null;
    this.path = null;
    this.focusNodes = null;
    this.labelLooks.clear();
    this.autoFit = true;
    this.region = null;
    this.highlighter.reset();
    this.nodeDefs.clear();
    this.nodes.clear();
    this.cy.elements().remove();
    this.edges.setEdges(NO_EDGES);
    this.rowLabels.setGraph(graph ? graph.nLayers : null);
    let maxIndex = -1;
    for (const n of graph?.nodes ?? []) maxIndex = Math.max(maxIndex, n.index);
    this.xs = new Float32Array(maxIndex + 1).fill(NaN);
    this.ys = new Float32Array(maxIndex + 1).fill(NaN);
    if (!graph) return;
    this.ids = cyIds(graph.nodes);
    const maxInf = maxFeatureInfluence(graph.nodes);
    const text = tokenTextOf(graph);
    for (const n of graph.nodes) {
      this.nodes.set(n.index, n);
      this.nodeDefs.set(n.index, nodeElement(n, this.ids.get(n.index)!, { x: 0, y: 0 }, maxInf, text));
    }
  }

  /**
   * Shows exactly the view's nodes and edges. When the node set changed, the layout is recomputed for the
   * shown nodes (compact at any threshold) and cytoscape gets only the added / removed / moved nodes; the
   * edges are re-batched for the edge layer either way. Returns what changed (null: nothing).
   */
  applyView(view: PrunedView | null): ViewChange | null {
    const cy = this.cy;
    const g = this.graph;
    if (!g || !view || view.graphId !== g.graphId || view === this.view) return null;
    if (this.edgeScale === null) this.edgeScale = edgeWeightScale(view.edgeWeight);
    const d = diffNodes(this.shown, view.nodes);
    const nodesChanged = d.add.length + d.remove.length > 0 || this.layout === null;
    if (nodesChanged) {
      const shown: GraphNode[] = [];
      for (const i of d.next) {
        const n = this.nodes.get(i);
        if (n) shown.push(n);
      }
      const w = cy.width();
      const h = cy.height();
      const layout = computeLayout(shown, g.nLayers, g.nPos, { ...DEFAULT_LAYOUT, targetAspect: w > 0 && h > 0 ? w / h : undefined });
      const added = new Set(d.add);
      cy.batch(() => {
        if (d.remove.length > 0) cy.remove(this.collectionOf(d.remove));
        this.moveRetained(layout, d.next, added);
        const add: ElementDefinition[] = [];
        for (const i of d.add) {
          const def = this.nodeDefs.get(i);
          const p = layout.positions.get(i);
          if (!def || !p) continue;
          let classes = this.selected.includes(i) ? `${def.classes} selected` : def.classes;
          for (const [k, set] of this.marked) if (set.has(i)) classes += ` ${markClass(k)}`;
          add.push({ group: 'nodes', data: { ...def.data }, position: { x: p.x, y: p.y }, classes });
        }
        if (add.length > 0) cy.add(add);
      });
      for (const i of d.remove) {
        if (i < this.xs.length) this.xs[i] = this.ys[i] = NaN;
        this.labelLooks.delete(i);
      }
      for (const [i, p] of layout.positions) {
        this.xs[i] = p.x;
        this.ys[i] = p.y;
      }
      this.layout = layout;
      this.shown = d.next;
      this.rowLabels.setRows(layout.rows);
      this.nodeRenderPending = true;
    }
    this.view = view;
    this.incidence = null;
    this.batches = buildEdgeBatches(view.edgeSource, view.edgeTarget, view.edgeWeight, this.xs, this.ys, this.edgeScale);
    this.edges.setEdges(this.batches);
    if (this.highlighter.active || this.hovered !== null || this.path !== null) this.refreshHighlight(nodesChanged);
    if (this.autoFit) this.fit();
    this.sizeLabels(true);
    this.updateOverlay();
    return { nodes: nodesChanged, edges: true };
  }

  setSelection(indices: readonly number[]): void {
    const before = new Set(this.selected);
    const after = new Set(indices);
    this.selected = indices;
    this.cy.batch(() => {
      for (const i of before) if (!after.has(i)) this.node(i)?.removeClass('selected');
      for (const i of after) if (!before.has(i)) this.node(i)?.addClass('selected');
    });
  }

  /**
   * Marks nodes of the current graph (pinned, supernode members, nodes an intervention affected) with a class;
   * only the nodes whose mark changed are touched. Nodes not shown yet get the class when a view adds them.
   */
  setMarked(kind: MarkKind, nodeIndices: readonly number[]): void {
    const before = this.marked.get(kind) ?? new Set<number>();
    const after = new Set(nodeIndices);
    const cls = markClass(kind);
    const removed: number[] = [];
    const added: number[] = [];
    for (const i of before) if (!after.has(i)) removed.push(i);
    for (const i of after) if (!before.has(i)) added.push(i);
    this.marked.set(kind, after);
    if (removed.length + added.length === 0) return;
    this.cy.batch(() => {
      for (const i of removed) this.node(i)?.removeClass(cls);
      for (const i of added) this.node(i)?.addClass(cls);
    });
  }

  setHover(index: number | null): void {
    if (index === this.hovered) return;
    this.hovered = index;
    this.refreshHighlight();
  }

  setPath(path: PathInfo | null): void {
    if (path === this.path) return;
    this.path = path;
    this.refreshHighlight();
  }

  /** The viewport that fits the shown nodes (null before the first view or without a size). */
  fitView(): Viewport | null {
    const box = this.shownBounds();
    const w = this.cy.width();
    const h = this.cy.height();
    if (!box) return null;
    const pad = { left: FIT_PADDING + (this.hasRowLabels ? ROW_LABEL_GUTTER : 0), right: FIT_PADDING, top: FIT_PADDING, bottom: FIT_PADDING };
    return fitViewport(box, w, h, pad, this.cy.minZoom(), Math.min(FIT_MAX_ZOOM, this.cy.maxZoom()));
  }

  /**
   * Fits the shown nodes from their known preset positions (cytoscape's own fit measures every label's
   * bounding box first, which cost more than drawing the graph) and resumes refitting after re-prunes.
   */
  fit(): void {
    this.autoFit = true;
    this.region = null;
    const vp = this.fitView();
    if (vp) this.setViewport(() => this.cy.viewport({ zoom: vp.zoom, pan: { ...vp.pan } }));
  }

  /**
   * Centres a node (search) at the current zoom; zooms in only when the node would be unreadably small, and
   * then to at most 1.5× the fit zoom.
   */
  center(index: number): void {
    const p = this.layout?.positions.get(index);
    if (!p) return;
    this.autoFit = false;
    const fitZoom = this.fitView()?.zoom ?? this.cy.zoom();
    const zoom = centreZoom(this.cy.zoom(), fitZoom);
    const left = this.hasRowLabels ? ROW_LABEL_GUTTER : 0;
    const pan = panToShow(p, zoom, { x: left + (this.cy.width() - left) / 2, y: this.cy.height() / 2 });
    this.cy.stop();
    this.cy.animate({ zoom, pan }, { duration: 250 });
  }

  /** The layout region (model coordinates) the canvas shows right of the row-name gutter; null without a view or size. */
  visibleRegion(): Box | null {
    const { vp, width, height } = this.viewportInfo();
    if (!this.layout || !(width > 0 && height > 0)) return null;
    const left = this.hasRowLabels ? ROW_LABEL_GUTTER : 0;
    const b = visibleModelBox(vp, width, height);
    return { ...b, x1: b.x1 + left / vp.zoom };
  }

  /** Shows a layout region (a saved view's) fitted into the canvas; re-prunes no longer refit until Fit. */
  showRegion(box: Box): void {
    const w = this.cy.width();
    const h = this.cy.height();
    const pad = { left: (this.hasRowLabels ? ROW_LABEL_GUTTER : 0) + 4, right: 4, top: 4, bottom: 4 };
    const vp = fitViewport(box, w, h, pad, this.cy.minZoom(), this.cy.maxZoom());
    if (!vp) return;
    this.autoFit = false;
    this.region = box;
    this.cy.stop();
    this.setViewport(() => this.cy.viewport({ zoom: vp.zoom, pan: { ...vp.pan } }));
  }

  /**
   * What the canvas shows, as data (present/sceneSvg.ts writes it as an SVG file): the visible region, the shown
   * nodes inside it with their look and marks, the drawn edges touching it with their batch looks, the row names.
   */
  scene(): GraphScene | null {
    const region = this.visibleRegion();
    const g = this.graph;
    const layout = this.layout;
    if (!region || !g || !layout) return null;
    const inside = (x: number, y: number, m: number) => x >= region.x1 - m && x <= region.x2 + m && y >= region.y1 - m && y <= region.y2 + m;
    const nodes: SceneNode[] = [];
    for (const i of this.shown) {
      const def = this.nodeDefs.get(i);
      const n = this.nodes.get(i);
      if (!def || !n || !inside(this.xs[i], this.ys[i], 60)) continue;
      const level = /\bf(\d+)\b/.exec(def.classes);
      const marks: MarkKind[] = [];
      for (const [k, set] of this.marked) if (set.has(i)) marks.push(k);
      nodes.push({ index: i, id: def.data.id, kind: n.kind, x: this.xs[i], y: this.ys[i], size: def.data.size, label: def.data.label, level: level ? Number(level[1]) : -1, marks, selected: this.selected.includes(i) });
    }
    const edges: SceneEdge[] = [];
    const { coords, starts } = this.batches;
    for (let b = 0; b + 1 < starts.length; b++) {
      for (let k = starts[b]; k < starts[b + 1]; k++) {
        const [x1, y1, x2, y2] = [coords[4 * k], coords[4 * k + 1], coords[4 * k + 2], coords[4 * k + 3]];
        // Both ends off the same side of the region: the line cannot cross it.
        if ((x1 < region.x1 && x2 < region.x1) || (x1 > region.x2 && x2 > region.x2) || (y1 < region.y1 && y2 < region.y1) || (y1 > region.y2 && y2 > region.y2)) continue;
        edges.push({ x1, y1, x2, y2, batch: b });
      }
    }
    const rows = layout.rows.filter((r) => r.centre >= region.y1 && r.centre <= region.y2).map((r) => ({ level: r.level, y: r.centre }));
    return { region, zoom: this.cy.zoom(), nodes, edges, edgeAlpha: densityAlpha(this.batches.count), rows, nLayers: g.nLayers };
  }

  /** The canvas changed size: cytoscape, the edge layer and the overlay follow (and the fit, if automatic). */
  resize(): void {
    this.cy.resize();
    this.edges.viewportChanged();
    if (this.autoFit) this.fit();
    else if (this.region) this.showRegion(this.region);
    this.updateOverlay();
  }

  node(index: number): Collection | null {
    const id = this.ids.get(index);
    if (!id) return null;
    const n = this.cy.getElementById(id);
    return n.nonempty() ? n : null;
  }

  /** Calls `cb` once every edge of the last change is drawn (a big view is drawn over a few frames). */
  afterEdgesComplete(cb: () => void): void {
    this.edges.whenComplete(cb);
  }

  /**
   * Calls `cb` once the last change is on screen: the edge layer's first frame for it (all of a view's edges,
   * or its strongest ones for a view drawn over several frames) and, if nodes changed, cytoscape's frame.
   */
  afterDraw(cb: () => void): void {
    let waiting = 1;
    const done = () => {
      if (--waiting === 0) cb();
    };
    if (this.edges.pending) {
      waiting++;
      this.edges.whenDrawn(done);
    }
    if (this.nodeRenderPending && this.cy.container()) {
      waiting++;
      this.cy.one('render', done);
    }
    done();
  }

  // ------------------------------------------------------------------------------------- debug hook support

  visibleNodeIds(): string[] {
    return this.cy.nodes().map((n) => n.id());
  }

  visibleNodeCount(): number {
    return this.shown.size;
  }

  /** Edges drawn (the view's edges whose both ends are shown; a capped view lists only the strongest). */
  visibleEdgeCount(): number {
    return this.edges.drawnCount;
  }

  /** Highlighted nodes plus highlighted edges (hover neighbourhood, path). */
  highlightedElementCount(): number {
    return this.highlighter.count + this.edges.highlightedCount;
  }

  get lastEdgeDrawMs(): number {
    return this.edges.lastDrawTimeMs;
  }

  get lastEdgeCompleteMs(): number {
    return this.edges.lastCompleteTimeMs;
  }

  /** Viewport (client) coordinates of a node's centre, or null when it is not shown or outside the canvas. */
  clientPosition(nodeId: string): { x: number; y: number } | null {
    const n = this.cy.getElementById(nodeId);
    const container = this.cy.container();
    if (n.empty() || !container) return null;
    const rect = container.getBoundingClientRect();
    const p = n.renderedPosition();
    if (p.x < 0 || p.y < 0 || p.x > rect.width || p.y > rect.height) return null;
    return { x: rect.left + p.x, y: rect.top + p.y };
  }

  destroy(): void {
    this.destroyed = true;
    if (this.hoverOutTimer !== null) clearTimeout(this.hoverOutTimer);
    if (this.overlayFrame) cancelAnimationFrame(this.overlayFrame);
    this.edges.destroy();
    this.cy.destroy();
  }

  // ------------------------------------------------------------------------------------------------ private

  private viewportInfo(): { vp: Viewport; width: number; height: number } {
    return { vp: { zoom: this.cy.zoom(), pan: this.cy.pan() }, width: this.cy.width(), height: this.cy.height() };
  }

  private setViewport(change: () => void): void {
    this.programmaticViewport = true;
    try {
      change();
    } finally {
      this.programmaticViewport = false;
    }
  }

  private scheduleOverlay(): void {
    if (this.overlayFrame || this.destroyed || typeof requestAnimationFrame !== 'function' || !this.cy.container()) return;
    this.overlayFrame = requestAnimationFrame(() => {
      this.overlayFrame = 0;
      this.updateOverlay();
      this.sizeLabels(false);
    });
  }

  private updateOverlay(): void {
    const { vp, width, height } = this.viewportInfo();
    this.rowLabels.update(vp, height);
    this.featureLabels.draw(vp, width, height, featureLabelsShown(vp.zoom) ? this.featureLabelItems() : []);
  }

  private *featureLabelItems(): Iterable<FeatureLabel> {
    const focus = this.focusNodes;
    for (const i of this.shown) {
      const def = this.nodeDefs.get(i);
      if (!def || def.data.kind !== 'feature') continue;
      yield { x: this.xs[i], y: this.ys[i], size: def.data.size, text: def.data.label, dim: focus !== null && !focus.has(i) };
    }
  }

  /**
   * Token and logit labels at the current zoom (labels.ts): at least LABEL_MIN_PX on screen, boxes grown to
   * hold them, hidden when their column has no room. Only a few dozen nodes; redone when the zoom moved > 3%.
   */
  private sizeLabels(force: boolean): void {
    const zoom = this.cy.zoom();
    const layout = this.layout;
    if (!layout || !(zoom > 0)) return;
    if (!force && Math.abs(zoom / this.labelZoom - 1) < 0.03) return;
    this.labelZoom = zoom;
    const gap = DEFAULT_LAYOUT.colGap;
    this.cy.batch(() => {
      for (const i of this.shown) {
        const n = this.nodes.get(i);
        if (!n || (n.kind !== 'token' && n.kind !== 'logit')) continue;
        const room = n.kind === 'token' ? (layout.columns[n.pos]?.size ?? DEFAULT_LAYOUT.tokenWidth) + gap - 10 : DEFAULT_LAYOUT.logitWidth - 6;
        const lines = n.kind === 'logit' ? logitLines(n) : [this.nodeDefs.get(i)?.data.label ?? ''];
        const look = nodeLabelLook(n.kind, lines, zoom, room, MIN_ZOOMED_FONT_PX);
        // Restyling costs cytoscape a style pass per node: only nodes whose look changed are touched.
        const key = `${look.fontSize.toFixed(2)}|${look.width.toFixed(1)}|${look.height.toFixed(1)}|${room}|${look.twoLines}`;
        if (this.labelLooks.get(i) === key) continue;
        const ele = this.node(i);
        if (!ele) continue;
        this.labelLooks.set(i, key);
        // The label may use the whole column pitch (the box stays a little narrower, so neighbours do not touch).
        ele.style({ 'font-size': look.fontSize, width: look.width, height: look.height, 'text-max-width': `${room + 10}px` });
        if (n.kind === 'logit') ele.toggleClass('two-lines', look.twoLines);
      }
    });
  }

  private moveRetained(layout: GraphLayout, next: ReadonlySet<number>, added: ReadonlySet<number>): void {
    for (const i of next) {
      if (added.has(i)) continue;
      const p = layout.positions.get(i);
      const id = this.ids.get(i);
      if (!id || !p || (this.xs[i] === p.x && this.ys[i] === p.y)) continue;
      this.cy.getElementById(id).position({ x: p.x, y: p.y });
    }
  }

  /** Bounds of the shown nodes with room for node shapes and labels. */
  private shownBounds(): Box | null {
    const layout = this.layout;
    if (!layout) return null;
    let [x1, y1, x2, y2] = [Infinity, Infinity, -Infinity, -Infinity];
    for (const p of layout.positions.values()) {
      x1 = Math.min(x1, p.x);
      x2 = Math.max(x2, p.x);
      y1 = Math.min(y1, p.y);
      y2 = Math.max(y2, p.y);
    }
    if (!Number.isFinite(x1)) return null;
    const half = NODE_ROOM / 2;
    return { x1: x1 - half, y1: y1 - half, x2: x2 + half, y2: y2 + half };
  }

  /** Elements by id; `merge` is in place, so this stays linear for thousands of ids. */
  private byIds(ids: Iterable<string>): Collection {
    const c = this.cy.collection();
    for (const id of ids) {
      const e = this.cy.getElementById(id);
      if (e.nonempty()) c.merge(e);
    }
    return c;
  }

  private collectionOf(indices: Iterable<number>): Collection {
    const ids: string[] = [];
    for (const i of indices) {
      const id = this.ids.get(i);
      if (id) ids.push(id);
    }
    return this.byIds(ids);
  }

  private isShown(i: number): boolean {
    return i >= 0 && i < this.xs.length && this.xs[i] === this.xs[i];
  }

  private incidenceIndex(): Incidence {
    return (this.incidence ??= buildIncidence(this.view, this.batches.slotOfEdge, this.xs.length));
  }

  private refreshHighlight(full = false): void {
    const v = this.view;
    const slots = new Map<number, 1 | 2>();
    const extra: ExtraSegment[] = [];
    const hoverNodes: number[] = [];
    const pathNodes: number[] = [];
    if (v && this.hovered !== null && this.isShown(this.hovered)) {
      const h = this.hovered;
      const { start, edges } = this.incidenceIndex();
      hoverNodes.push(h);
      for (let k = start[h]; k < start[h + 1]; k++) {
        const e = edges[k];
        slots.set(this.batches.slotOfEdge[e], 1);
        hoverNodes.push(v.edgeSource[e] === h ? v.edgeTarget[e] : v.edgeSource[e]);
      }
    }
    if (v && this.path) {
      const path = this.path;
      for (const i of path.nodes) if (this.isShown(i)) pathNodes.push(i);
      const pairs = path.edges.length > 0 ? path.edges.map((e) => [e.source, e.target, e.weight] as const) : path.nodes.slice(1).map((t, i) => [path.nodes[i], t, null] as const);
      const { start, edges } = this.incidenceIndex();
      for (const [s, t, w] of pairs) {
        if (!this.isShown(s) || !this.isShown(t)) continue;
        let found = -1;
        for (let k = start[s]; k < start[s + 1] && found < 0; k++) {
          const e = edges[k];
          if (v.edgeSource[e] === s && v.edgeTarget[e] === t) found = e;
        }
        if (found >= 0) slots.set(this.batches.slotOfEdge[found], 2);
        else if (w !== null && this.edgeScale !== null) {
          // A path edge the capped view does not list: draw it on top anyway.
          extra.push({ x1: this.xs[s], y1: this.ys[s], x2: this.xs[t], y2: this.ys[t], batch: batchOf(w, this.edgeScale) });
        }
      }
    }
    const focus: EdgeFocus | null = hoverNodes.length + pathNodes.length > 0 ? { slots, extra } : null;
    this.edges.setFocus(focus);
    this.highlighter.apply(this.collectionOf(pathNodes), this.collectionOf(hoverNodes), full);
    this.focusNodes = focus ? new Set([...hoverNodes, ...pathNodes]) : null;
    if (featureLabelsShown(this.cy.zoom())) this.updateOverlay();
  }
}
