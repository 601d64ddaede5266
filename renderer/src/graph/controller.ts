/**
 * Owns the cytoscape instance: shows a graph's pruned views as diffs inside one batch (remove / add only
 * what changed; retained nodes only move to their new preset slots), and draws selection, hover and path
 * highlights with classes. Imperative on purpose — the React tree never re-renders for graph changes;
 * GraphView feeds this from store subscriptions.
 */
import cytoscape, { type Collection, type Core, type ElementDefinition } from 'cytoscape';
import type { GraphNode, GraphSummary, PathInfo, PrunedView } from '../../../shared/api';
import { diffViews, EMPTY_VIEW, type ViewSets } from './diff';
import { cyIds, edgeElement, maxFeatureInfluence, nodeElement, tokenTextOf, type NodeElement } from './elements';
import { Highlighter } from './highlight';
import { computeLayout, DEFAULT_LAYOUT, type GraphLayout, type Point } from './layout';
import { edgeWeightScale } from './scales';
import { GRAPH_STYLE, warmUpFonts } from './style';

export interface GraphHandlers {
  onSelect(index: number, additive: boolean): void;
  onHover(index: number | null): void;
}

const edgeCyId = (s: number, t: number) => `e${s}_${t}`;
/** Where the row labels sit, and the room labels and the widest node shape (logits) need when fitting. */
const AXIS_X = -56;
const AXIS_LABEL_ROOM = 50;
const NODE_ROOM = 90;

export class GraphController {
  readonly cy: Core;
  private graph: GraphSummary | null = null;
  private nodes = new Map<number, GraphNode>();
  private ids = new Map<number, string>();
  private nodeDefs = new Map<number, NodeElement>();
  private positions: ReadonlyMap<number, Point> = new Map();
  private sets: ViewSets = EMPTY_VIEW;
  private edgeScale: number | null = null;
  private selected: readonly number[] = [];
  private hovered: number | null = null;
  private path: PathInfo | null = null;
  private readonly highlighter: Highlighter;
  private hoverOutTimer: ReturnType<typeof setTimeout> | null = null;
  /** Refit after each re-prune until the user pans or zooms (the layout is recomputed per view). */
  private autoFit = true;
  private programmaticViewport = false;

  constructor(container: HTMLElement | undefined, handlers: GraphHandlers) {
    if (container) warmUpFonts();
    this.cy = cytoscape({
      container,
      headless: container === undefined,
      style: GRAPH_STYLE,
      // Large-graph settings: bitmap while panning/zooming, no edges or labels during viewport moves.
      textureOnViewport: true,
      hideEdgesOnViewport: true,
      hideLabelsOnViewport: true,
      motionBlur: false,
      pixelRatio: 'auto',
      minZoom: 0.05,
      maxZoom: 6,
      boxSelectionEnabled: false,
      autounselectify: true,
      autoungrabify: true,
    });
    this.highlighter = new Highlighter(this.cy);
    const indexOf = (ev: { target: { data(k: string): unknown } }) => ev.target.data('idx') as number | undefined;
    this.cy.on('tap', 'node', (ev) => {
      const i = indexOf(ev);
      const oe = ev.originalEvent as MouseEvent | undefined;
      if (i !== undefined) handlers.onSelect(i, Boolean(oe?.shiftKey));
    });
    // Leaving a node clears the hover a moment later, so sliding from node to node goes highlight →
    // highlight (cheap) instead of highlight → nothing → highlight (two passes over every element).
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
      if (!this.programmaticViewport) this.autoFit = false;
    });
  }

  /** A new graph (or none): drops every element; node definitions are prepared once for all its nodes. */
  setGraph(graph: GraphSummary | null): void {
    if (graph === this.graph) return;
    this.graph = graph;
    this.sets = EMPTY_VIEW;
    this.edgeScale = null;
    this.selected = [];
    this.hovered = null;
    this.path = null;
    this.autoFit = true;
    this.highlighter.reset();
    this.nodeDefs.clear();
    this.nodes.clear();
    this.positions = new Map();
    this.cy.elements().remove();
    if (!graph) return;
    this.ids = cyIds(graph.nodes);
    const maxInf = maxFeatureInfluence(graph.nodes);
    const text = tokenTextOf(graph);
    for (const n of graph.nodes) {
      this.nodes.set(n.index, n);
      this.nodeDefs.set(n.index, nodeElement(n, this.ids.get(n.index)!, { x: 0, y: 0 }, maxInf, text));
    }
    // Row labels on the left: which band is which layer (positioned with each view's layout).
    const rowLabel = (level: number) => (level === 0 ? 'Emb' : level === graph.nLayers + 1 ? 'Logits' : `L${level - 1}`);
    this.cy.add(Array.from({ length: graph.nLayers + 2 }, (_, level): ElementDefinition => ({ group: 'nodes', data: { id: `axis:${level}`, label: rowLabel(level) }, position: { x: AXIS_X, y: 0 }, classes: 'axis' })));
  }

  /**
   * Shows exactly the view's nodes and edges. The layout is recomputed for the shown nodes (compact at any
   * threshold); elements are only added, removed or moved. Returns whether anything changed.
   */
  applyView(view: PrunedView | null): boolean {
    const cy = this.cy;
    const g = this.graph;
    if (!g || !view || view.graphId !== g.graphId) return false;
    if (this.edgeScale === null) this.edgeScale = edgeWeightScale(view.edgeWeight);
    const d = diffViews(this.sets, view);
    if (d.addNodes.length + d.removeNodes.length + d.addEdges.length + d.removeEdges.length === 0) return false;
    const shown: GraphNode[] = [];
    for (const i of view.nodes) {
      const n = this.nodes.get(i);
      if (n) shown.push(n);
    }
    const w = this.cy.width();
    const h = this.cy.height();
    const layout = computeLayout(shown, g.nLayers, g.nPos, { ...DEFAULT_LAYOUT, targetAspect: w > 0 && h > 0 ? w / h : undefined });
    cy.batch(() => {
      if (d.removeEdges.length > 0) cy.remove(this.byIds(d.removeEdges.map((k) => edgeCyId(...(k.split('>').map(Number) as [number, number])))));
      // Removing a node removes its edges too, which covers edges whose endpoints left the view.
      if (d.removeNodes.length > 0) cy.remove(this.collectionOf(d.removeNodes));
      this.moveRetained(layout, d.next.nodes);
      const add: ElementDefinition[] = [];
      for (const i of d.addNodes) {
        const def = this.nodeDefs.get(i);
        const p = layout.positions.get(i);
        if (def && p) add.push({ ...def, data: { ...def.data }, position: { x: p.x, y: p.y } });
      }
      for (const e of d.addEdges) {
        const s = view.edgeSource[e];
        const t = view.edgeTarget[e];
        if (this.ids.has(s) && this.ids.has(t) && d.next.nodes.has(s) && d.next.nodes.has(t)) add.push(edgeElement(s, t, view.edgeWeight[e], this.ids, this.edgeScale!));
      }
      if (add.length > 0) cy.add(add);
      for (const r of layout.rows) cy.getElementById(`axis:${r.level}`).position({ x: AXIS_X, y: r.centre });
    });
    this.positions = layout.positions;
    this.sets = d.next;
    this.applySelection();
    if (this.highlighter.active) this.refreshHighlight(true);
    if (this.autoFit) this.fit();
    return true;
  }

  setSelection(indices: readonly number[]): void {
    this.selected = indices;
    this.applySelection();
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

  /**
   * Fits the shown nodes from their known preset positions (cytoscape's own fit measures every label's
   * bounding box first, which cost more than drawing the graph) and resumes refitting after re-prunes.
   */
  fit(padding = 24): void {
    this.autoFit = true;
    const box = this.shownBounds();
    const w = this.cy.width();
    const h = this.cy.height();
    if (!box || w <= 0 || h <= 0) return;
    const zoom = Math.min(2, this.cy.maxZoom(), Math.max(this.cy.minZoom(), Math.min((w - 2 * padding) / box.w, (h - 2 * padding) / box.h)));
    this.setViewport(() => this.cy.viewport({ zoom, pan: { x: w / 2 - zoom * (box.x1 + box.w / 2), y: h / 2 - zoom * (box.y1 + box.h / 2) } }));
  }

  center(index: number): void {
    const n = this.node(index);
    if (!n || n.empty()) return;
    this.autoFit = false;
    this.cy.animate({ center: { eles: n }, zoom: Math.max(this.cy.zoom(), 1.4) }, { duration: 250 });
  }

  node(index: number): Collection | null {
    const id = this.ids.get(index);
    return id ? this.cy.getElementById(id) : null;
  }

  // ------------------------------------------------------------------------------------- debug hook support

  visibleNodeIds(): string[] {
    return this.cy.nodes().not('.axis').map((n) => n.id());
  }

  visibleEdgeCount(): number {
    return this.cy.edges().length;
  }

  highlightedElementCount(): number {
    return this.cy.elements('.path-highlight, .hover-highlight').length;
  }

  /** Viewport (client) coordinates of a node's centre, or null when it is not shown or outside the canvas. */
  clientPosition(nodeId: string): { x: number; y: number } | null {
    const n = this.cy.getElementById(nodeId);
    const container = this.cy.container();
    if (n.empty() || !container || n.hasClass('axis')) return null;
    const rect = container.getBoundingClientRect();
    const p = n.renderedPosition();
    if (p.x < 0 || p.y < 0 || p.x > rect.width || p.y > rect.height) return null;
    return { x: rect.left + p.x, y: rect.top + p.y };
  }

  destroy(): void {
    if (this.hoverOutTimer !== null) clearTimeout(this.hoverOutTimer);
    this.cy.destroy();
  }

  // ------------------------------------------------------------------------------------------------ private

  private setViewport(change: () => void): void {
    this.programmaticViewport = true;
    try {
      change();
    } finally {
      this.programmaticViewport = false;
    }
  }

  private moveRetained(layout: GraphLayout, next: ReadonlySet<number>): void {
    for (const i of this.sets.nodes) {
      if (!next.has(i)) continue;
      const p = layout.positions.get(i);
      const old = this.positions.get(i);
      const id = this.ids.get(i);
      if (id && p && (!old || old.x !== p.x || old.y !== p.y)) this.cy.getElementById(id).position({ x: p.x, y: p.y });
    }
  }

  /** Bounds of the shown nodes and the row labels, with room for node shapes and labels. */
  private shownBounds(): { x1: number; y1: number; w: number; h: number } | null {
    let [x1, y1, x2, y2] = [Infinity, Infinity, -Infinity, -Infinity];
    for (const p of this.positions.values()) {
      x1 = Math.min(x1, p.x);
      x2 = Math.max(x2, p.x);
      y1 = Math.min(y1, p.y);
      y2 = Math.max(y2, p.y);
    }
    if (!Number.isFinite(x1)) return null;
    x1 = Math.min(x1, AXIS_X) - AXIS_LABEL_ROOM;
    const half = NODE_ROOM / 2;
    return { x1, y1: y1 - half, w: x2 + half - x1, h: y2 - y1 + 2 * half };
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

  private applySelection(): void {
    this.cy.batch(() => {
      this.cy.nodes('.selected').removeClass('selected');
      this.collectionOf(this.selected).addClass('selected');
    });
  }

  private refreshHighlight(full = false): void {
    const pathEls = this.path ? this.pathElements(this.path) : this.cy.collection();
    const hovered = this.hovered !== null ? this.node(this.hovered) : null;
    const hoverEls = hovered && hovered.nonempty() ? hovered.closedNeighborhood() : this.cy.collection();
    this.highlighter.apply(pathEls, hoverEls, full);
  }

  private pathElements(path: PathInfo): Collection {
    const pairs = path.edges.length > 0 ? path.edges.map((e) => [e.source, e.target] as const) : path.nodes.slice(1).map((t, i) => [path.nodes[i], t] as const);
    return this.collectionOf(path.nodes).union(this.byIds(pairs.map(([s, t]) => edgeCyId(s, t))));
  }
}
