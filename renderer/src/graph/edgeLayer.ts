/**
 * The edges, drawn by us on one 2D canvas under cytoscape's node canvas (cytoscape keeps the nodes: hit
 * testing, hover, selection, labels). Cytoscape spends ~0.15 ms per edge element (style, bounds, its own
 * canvas), which made a 28k-edge view take seconds; here an edge is four floats in a typed array, and a view
 * is drawn as a few dozen strokes — one per (width bucket, sign), weakest first so strong edges land on top
 * (a view too big for one frame is drawn over a few frames, see FRAME_PIXEL_BUDGET).
 *
 * The pure parts (bucketing, batching, line widths) are unit-tested; `EdgeLayer` owns the canvas: it follows
 * cytoscape's viewport (pan/zoom, size, devicePixelRatio), redraws in one requestAnimationFrame, and while the
 * user pans or zooms a large view it moves the last picture instead of redrawing it (like cytoscape's
 * `textureOnViewport`), redrawing for real once the viewport settles. With a hover or path focus every other
 * edge is faded and the focused edges are drawn on top, wider.
 */
import { EDGE_NEGATIVE, EDGE_POSITIVE, EDGE_WIDTH_MAX, EDGE_WIDTH_MIN, edgeStrength } from './scales';
import { backingSize, canvasTransform, retarget, visibleModelBox, type Viewport } from './viewport';

export const WIDTH_BUCKETS = 8;
/** Batches: bucket · 2 + (negative ? 1 : 0), so batch order is weakest → strongest, excitatory before inhibitory. */
export const BATCHES = 2 * WIDTH_BUCKETS;

/** Width bucket 0 … WIDTH_BUCKETS − 1 of an edge strength (|weight| on the graph's scale, 0..1). */
export function widthBucket(strength: number): number {
  if (!(strength > 0)) return 0;
  return Math.min(WIDTH_BUCKETS - 1, Math.floor(strength * WIDTH_BUCKETS));
}

export function batchOf(weight: number, scale: number): number {
  return widthBucket(edgeStrength(weight, scale)) * 2 + (weight < 0 ? 1 : 0);
}

export interface BatchStyle {
  readonly color: string;
  /** Line width in model units at zoom 1 (see lineWidthPx). */
  readonly width: number;
  readonly alpha: number;
}

/** A batch's look: colour by sign; width and opacity grow with the bucket's upper strength. */
export function batchStyle(batch: number): BatchStyle {
  const s = ((batch >> 1) + 1) / WIDTH_BUCKETS;
  return { color: batch & 1 ? EDGE_NEGATIVE : EDGE_POSITIVE, width: EDGE_WIDTH_MIN + (EDGE_WIDTH_MAX - EDGE_WIDTH_MIN) * s, alpha: 0.15 + 0.7 * s };
}

/** Thinnest line drawn, in CSS pixels (thinner lines only get fainter in Skia, not cheaper). */
export const MIN_LINE_PX = 0.5;

/**
 * On-screen width (CSS px) of a `width` line at this zoom. Widths follow the zoom only part of the way: an
 * overview of a big graph keeps its strong edges visible, and a close-up does not get ribbons.
 */
export function lineWidthPx(width: number, zoom: number): number {
  return Math.max(MIN_LINE_PX, width * Math.min(2, Math.max(0.4, zoom)));
}

/**
 * Opacity factor for a view of `count` edges: thousands of translucent lines over the same pixels add up to
 * a solid sheet, so dense views draw every edge fainter (1 up to 2,000 edges, 0.2 from 50,000 on).
 */
export function densityAlpha(count: number): number {
  return count <= 2000 ? 1 : Math.max(0.2, Math.sqrt(2000 / count));
}

/** Opacity of the edges outside a hover / path focus, and of the focused ones. */
export const DIM_ALPHA = 0.06;
export const FOCUS_ALPHA = 0.95;

/** A view's edges in draw order: grouped by batch, with their end points in model coordinates. */
export interface EdgeBatches {
  /** Edges drawn (both ends shown). */
  readonly count: number;
  /** x1, y1, x2, y2 per slot. */
  readonly coords: Float32Array;
  /** The view's edge index of each slot. */
  readonly edgeOfSlot: Int32Array;
  /** The slot of each view edge, −1 when it is not drawn. */
  readonly slotOfEdge: Int32Array;
  /** Slots of batch b are [starts[b], starts[b + 1]). */
  readonly starts: Int32Array;
}

export const NO_EDGES: EdgeBatches = { count: 0, coords: new Float32Array(0), edgeOfSlot: new Int32Array(0), slotOfEdge: new Int32Array(0), starts: new Int32Array(BATCHES + 1) };

/**
 * Groups a view's edges by batch (counting sort, stable: view order within a batch). `xs` / `ys` hold node
 * positions by node index, NaN for nodes not shown (their edges are skipped).
 */
export function buildEdgeBatches(source: ArrayLike<number>, target: ArrayLike<number>, weight: ArrayLike<number>, xs: Float32Array, ys: Float32Array, scale: number): EdgeBatches {
  const n = source.length;
  const batch = new Int8Array(n);
  const counts = new Int32Array(BATCHES + 1);
  const shown = (i: number) => i >= 0 && i < xs.length && xs[i] === xs[i];
  for (let e = 0; e < n; e++) {
    if (!shown(source[e]) || !shown(target[e])) {
      batch[e] = -1;
      continue;
    }
    const b = batchOf(weight[e], scale);
    batch[e] = b;
    counts[b + 1]++;
  }
  const starts = new Int32Array(BATCHES + 1);
  for (let b = 0; b < BATCHES; b++) starts[b + 1] = starts[b] + counts[b + 1];
  const count = starts[BATCHES];
  const next = starts.slice(0, BATCHES);
  const coords = new Float32Array(4 * count);
  const edgeOfSlot = new Int32Array(count);
  const slotOfEdge = new Int32Array(n).fill(-1);
  for (let e = 0; e < n; e++) {
    const b = batch[e];
    if (b < 0) continue;
    const slot = next[b]++;
    const s = source[e];
    const t = target[e];
    const o = 4 * slot;
    coords[o] = xs[s];
    coords[o + 1] = ys[s];
    coords[o + 2] = xs[t];
    coords[o + 3] = ys[t];
    edgeOfSlot[slot] = e;
    slotOfEdge[e] = slot;
  }
  return { count, coords, edgeOfSlot, slotOfEdge, starts };
}

/** The batch a slot belongs to (binary search over `starts`). */
export function batchOfSlot(b: EdgeBatches, slot: number): number {
  let lo = 0;
  let hi = BATCHES - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (b.starts[mid] <= slot) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** A segment drawn on top in a focus although it is not among the view's drawn edges (a path edge beyond the cap). */
export interface ExtraSegment {
  readonly x1: number;
  readonly y1: number;
  readonly x2: number;
  readonly y2: number;
  readonly batch: number;
}

/** Focused edges: slots with their level (1 hover, 2 path; path is drawn last). */
export interface EdgeFocus {
  readonly slots: ReadonlyMap<number, 1 | 2>;
  readonly extra: readonly ExtraSegment[];
}

export interface EdgeLayerHost {
  /** The node layer's current viewport and CSS size. */
  viewport(): { readonly vp: Viewport; readonly width: number; readonly height: number };
}

/**
 * Line length (device px, L1 estimate) drawn per frame. Software-rasterized canvases cost ~5–10 ns per pixel
 * of line, so 50k edges across an overview are ~80 ms of raster: a view that does not fit is drawn over a few
 * frames — the strongest edges on the edge canvas in the first frame (the structure shows at once), the
 * weaker rest, weakest first, on a second canvas right underneath in the next ones — which ends in exactly
 * the weakest-first picture of a view that fits one frame. ('destination-over' on one canvas would do the
 * same, but Skia rasterizes it ~8× slower.)
 */
export const FRAME_PIXEL_BUDGET = 4_000_000;
/** How long pans and zooms move the last picture before it is redrawn for the new viewport. */
const SETTLE_MS = 140;
/** Opacity of the whole (normal) picture behind a hover / path focus. */
export const FOCUS_BACKDROP_ALPHA = 0.12;

/**
 * Batches in draw order, weakest first. Within a width bucket the sign drawn first alternates, so neither
 * colour always lies on top of a dense view (where the last batches drawn would tint everything).
 */
export const DRAW_ORDER: readonly number[] = Array.from({ length: WIDTH_BUCKETS }, (_, w) => (w % 2 === 0 ? [2 * w, 2 * w + 1] : [2 * w + 1, 2 * w])).flat();

export interface SlotRange {
  readonly batch: number;
  readonly from: number;
  readonly to: number;
}

/** A view's slots as ranges in draw order (weakest first), one per non-empty batch. */
export function drawRanges(b: EdgeBatches): SlotRange[] {
  const out: SlotRange[] = [];
  for (const batch of DRAW_ORDER) if (b.starts[batch + 1] > b.starts[batch]) out.push({ batch, from: b.starts[batch], to: b.starts[batch + 1] });
  return out;
}

/**
 * Splits `ranges` (in the order given) into what fits `budget` — line length from `cost(slot)` — and the
 * rest. Always takes at least one slot, so a drawing progresses.
 */
export function takeBudget(ranges: readonly SlotRange[], budget: number, cost: (slot: number) => number): { taken: SlotRange[]; rest: SlotRange[] } {
  const taken: SlotRange[] = [];
  let spent = 0;
  for (let i = 0; i < ranges.length; i++) {
    const r = ranges[i];
    let slot = r.from;
    while (slot < r.to && (spent < budget || (taken.length === 0 && slot === r.from))) spent += cost(slot++);
    if (slot > r.from) taken.push({ batch: r.batch, from: r.from, to: slot });
    if (slot < r.to) return { taken, rest: [{ batch: r.batch, from: slot, to: r.to }, ...ranges.slice(i + 1)] };
  }
  return { taken, rest: [] };
}

/**
 * The first frame of a view (pure): the strongest edges that fit the budget — drawn weakest first among
 * themselves — and the weaker rest, weakest first, for the following frames (drawn on the canvas underneath,
 * so the finished picture is exactly the weakest-first one).
 */
export function planFirstFrame(b: EdgeBatches, budget: number, cost: (slot: number) => number): { first: SlotRange[]; rest: SlotRange[] } {
  // Within a batch the order does not matter (one colour, one width, one stroke).
  const { taken, rest } = takeBudget(drawRanges(b).reverse(), budget, cost);
  return { first: taken.reverse(), rest: rest.reverse() };
}

interface Snapshot {
  readonly canvas: HTMLCanvasElement;
  readonly vp: Viewport;
  readonly dpr: number;
  readonly version: number;
}

export class EdgeLayer {
  private batches: EdgeBatches = NO_EDGES;
  private version = 0;
  private focus: EdgeFocus | null = null;
  /** Focused slots, ascending, by level. */
  private focusHover = new Int32Array(0);
  private focusPath = new Int32Array(0);
  private readonly ctx: CanvasRenderingContext2D | null;
  private raf = 0;
  private settleTimer: ReturnType<typeof setTimeout> | null = null;
  /** The picture must be redrawn (content, focus or a settled viewport). */
  private contentDirty = true;
  /** A progressive drawing in progress: the viewport it is drawn for, and the weaker edges still to draw underneath. */
  private progress: { rest: SlotRange[]; vp: Viewport } | null = null;
  private readonly underCtx: CanvasRenderingContext2D | null;
  /** Whether the canvas underneath holds anything (cleared when a picture fits one frame). */
  private underUsed = false;
  private drawnCallbacks: (() => void)[] = [];
  private completeCallbacks: (() => void)[] = [];
  private lastDrawMs = 0;
  private lastCompleteMs = 0;
  /** The complete normal picture (no focus) at some viewport: moved during pans, faded behind a focus. */
  private snapshot: Snapshot | null = null;
  private destroyed = false;

  /**
   * `canvas`: the edge canvas (under cytoscape's); `under`: a second one right beneath it, for the weaker
   * edges of a view drawn over several frames.
   */
  constructor(private readonly canvas: HTMLCanvasElement | null, private readonly host: EdgeLayerHost, private readonly under: HTMLCanvasElement | null = null) {
    this.ctx = canvas?.getContext('2d', { alpha: true }) ?? null;
    this.underCtx = under?.getContext('2d', { alpha: true }) ?? null;
  }

  setEdges(batches: EdgeBatches): void {
    this.batches = batches;
    this.version++;
    this.snapshot = null;
    this.focus = null;
    this.focusHover = this.focusPath = new Int32Array(0);
    this.invalidate();
  }

  setFocus(focus: EdgeFocus | null): void {
    if (focus === null && this.focus === null) return;
    this.focus = focus;
    const hover: number[] = [];
    const path: number[] = [];
    for (const [slot, level] of focus?.slots ?? []) (level === 2 ? path : hover).push(slot);
    this.focusHover = Int32Array.from(hover).sort();
    this.focusPath = Int32Array.from(path).sort();
    this.invalidate();
  }

  get drawnCount(): number {
    return this.batches.count;
  }

  get highlightedCount(): number {
    return this.focus ? this.focus.slots.size + this.focus.extra.length : 0;
  }

  /** Script time of the last frame that drew edges (raster may follow at paint). */
  get lastDrawTimeMs(): number {
    return this.lastDrawMs;
  }

  /** Script + raster time of the last complete picture (all frames of a progressive drawing). */
  get lastCompleteTimeMs(): number {
    return this.lastCompleteMs;
  }

  /** The edges or the focus changed: redraw on the next frame. */
  invalidate(): void {
    this.contentDirty = true;
    this.progress = null;
    this.schedule();
  }

  /** The viewport or the canvas size changed. */
  viewportChanged(): void {
    this.schedule();
  }

  /** Whether a first frame for the latest change is still to come. */
  get pending(): boolean {
    return this.canvas !== null && (this.contentDirty || this.settleTimer !== null);
  }

  /** Calls `cb` after the next frame that shows the latest change (at once when none is pending). */
  whenDrawn(cb: () => void): void {
    if (!this.pending) cb();
    else this.drawnCallbacks.push(cb);
  }

  /** Calls `cb` once every edge is drawn (a progressive drawing may take a few frames). */
  whenComplete(cb: () => void): void {
    if (!this.contentDirty && this.progress === null) cb();
    else this.completeCallbacks.push(cb);
  }

  destroy(): void {
    this.destroyed = true;
    if (this.raf) cancelAnimationFrame(this.raf);
    if (this.settleTimer !== null) clearTimeout(this.settleTimer);
    this.raf = 0;
    this.settleTimer = null;
    this.drawnCallbacks = [];
    this.completeCallbacks = [];
  }

  // ------------------------------------------------------------------------------------------------ drawing

  private schedule(): void {
    if (!this.canvas || this.raf || this.destroyed) return;
    this.raf = requestAnimationFrame(() => this.frame());
  }

  private frame(): void {
    this.raf = 0;
    if (this.destroyed) return;
    const { vp } = this.host.viewport();
    if (this.progress && !sameViewport(this.progress.vp, vp)) {
      // The user moved while a progressive drawing was going on: start over for the new viewport.
      this.progress = null;
      this.contentDirty = true;
    }
    if (!this.contentDirty && this.progress === null) {
      // A pan / zoom: move the last picture now, redraw when the viewport settles.
      if (!this.blitMoved()) this.contentDirty = true;
      else {
        if (this.settleTimer !== null) clearTimeout(this.settleTimer);
        this.settleTimer = setTimeout(() => {
          this.settleTimer = null;
          this.contentDirty = true;
          this.schedule();
        }, SETTLE_MS);
        // Every edge is on screen (moved): a complete picture.
        this.flush(this.completeCallbacks, (cbs) => (this.completeCallbacks = cbs));
        return;
      }
    }
    const first = this.contentDirty;
    this.draw();
    if (first) this.flush(this.drawnCallbacks, (cbs) => (this.drawnCallbacks = cbs));
    if (this.progress) this.schedule();
    else this.flush(this.completeCallbacks, (cbs) => (this.completeCallbacks = cbs));
  }

  private flush(cbs: (() => void)[], reset: (cbs: (() => void)[]) => void): void {
    reset([]);
    for (const cb of cbs) cb();
  }

  private prepare(clear: boolean, target: 'top' | 'under' = 'top'): { ctx: CanvasRenderingContext2D; vp: Viewport; width: number; height: number; dpr: number } | null {
    const canvas = target === 'top' ? this.canvas : this.under;
    const ctx = target === 'top' ? this.ctx : this.underCtx;
    if (!canvas || !ctx) return null;
    if (target === 'top') this.drawSeq++;
    const { vp, width, height } = this.host.viewport();
    const dpr = window.devicePixelRatio || 1;
    const size = backingSize(width, height, dpr);
    if (canvas.width !== size.width || canvas.height !== size.height) {
      canvas.width = size.width;
      canvas.height = size.height;
      clear = true;
    }
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.globalAlpha = 1;
    ctx.globalCompositeOperation = 'source-over';
    if (clear) ctx.clearRect(0, 0, canvas.width, canvas.height);
    return { ctx, vp, width, height, dpr };
  }

  /** Empties the canvas underneath (the picture on the edge canvas is complete by itself). */
  private clearUnder(): void {
    if (!this.underUsed || !this.under || !this.underCtx) return;
    this.underCtx.setTransform(1, 0, 0, 1, 0, 0);
    this.underCtx.clearRect(0, 0, this.under.width, this.under.height);
    this.underUsed = false;
  }

  /** Draws the last complete picture moved to the current viewport; false when there is none to move. */
  private blitMoved(): boolean {
    const snap = this.snapshot;
    if (!snap || snap.version !== this.version || (window.devicePixelRatio || 1) !== snap.dpr || this.focus) return false;
    const p = this.prepare(true);
    if (!p) return false;
    this.clearUnder();
    const { k, dx, dy } = retarget(snap.vp, p.vp);
    p.ctx.setTransform(k, 0, 0, k, dx * p.dpr, dy * p.dpr);
    p.ctx.drawImage(snap.canvas, 0, 0);
    return true;
  }

  private draw(): void {
    if (this.settleTimer !== null) clearTimeout(this.settleTimer);
    this.settleTimer = null;
    const t0 = performance.now();
    const starting = this.contentDirty;
    this.contentDirty = false;
    if (this.focus) {
      this.drawFocus(t0);
      return;
    }
    const b = this.batches;
    const { vp: now } = this.host.viewport();
    const scale = now.zoom * (window.devicePixelRatio || 1);
    const c = b.coords;
    const cost = (slot: number) => {
      const o = 4 * slot;
      return (Math.abs(c[o + 2] - c[o]) + Math.abs(c[o + 3] - c[o + 1])) * scale + 1;
    };
    let ranges: SlotRange[];
    let p: ReturnType<EdgeLayer['prepare']>;
    if (starting) {
      // The strongest edges that fit one frame go on the edge canvas; the rest, weakest first, underneath.
      const plan = planFirstFrame(b, this.under ? FRAME_PIXEL_BUDGET : Infinity, cost);
      ranges = plan.first;
      p = this.prepare(true);
      this.clearUnder();
      this.progress = plan.rest.length > 0 ? { rest: plan.rest, vp: now } : null;
      this.completeStart = t0;
    } else {
      const step = takeBudget(this.progress!.rest, FRAME_PIXEL_BUDGET, cost);
      ranges = step.taken;
      p = this.prepare(false, 'under');
      this.underUsed = true;
      this.progress = step.rest.length > 0 ? { rest: step.rest, vp: this.progress!.vp } : null;
    }
    if (!p) return;
    const { ctx, vp, width, height, dpr } = p;
    ctx.setTransform(...canvasTransform(vp, dpr));
    ctx.lineCap = 'butt';
    const box = visibleModelBox(vp, width, height, 4);
    const density = densityAlpha(b.count);
    for (const r of ranges) {
      const st = batchStyle(r.batch);
      this.strokeSlots(ctx, r.from, r.to, null, st.color, st.alpha * density, lineWidthPx(st.width, vp.zoom) / vp.zoom, box);
    }
    this.lastDrawMs = performance.now() - t0;
    if (!this.progress) {
      this.lastCompleteMs = performance.now() - this.completeStart;
      this.keepSnapshotSoon(dpr, vp);
    }
  }

  private completeStart = 0;

  /**
   * A hover / path focus: the normal picture faded (the snapshot, when it is for this viewport — else every
   * edge redrawn faded), then the focused edges on top, wider and opaque.
   */
  private drawFocus(t0: number): void {
    const p = this.prepare(true);
    if (!p) return;
    this.clearUnder();
    const { ctx, vp, width, height, dpr } = p;
    const snap = this.snapshot;
    const box = visibleModelBox(vp, width, height, 4);
    if (snap && snap.version === this.version && snap.dpr === dpr && sameViewport(snap.vp, vp)) {
      ctx.globalAlpha = FOCUS_BACKDROP_ALPHA;
      ctx.drawImage(snap.canvas, 0, 0);
      ctx.globalAlpha = 1;
      ctx.setTransform(...canvasTransform(vp, dpr));
    } else {
      ctx.setTransform(...canvasTransform(vp, dpr));
      for (let batch = 0; batch < BATCHES; batch++) {
        const st = batchStyle(batch);
        this.strokeSlots(ctx, this.batches.starts[batch], this.batches.starts[batch + 1], null, st.color, DIM_ALPHA, lineWidthPx(st.width, vp.zoom) / vp.zoom, box);
      }
    }
    ctx.lineCap = 'butt';
    this.strokeFocus(ctx, this.focusHover, vp.zoom, box);
    this.strokeFocus(ctx, this.focusPath, vp.zoom, box);
    for (const e of this.focus?.extra ?? []) {
      const st = batchStyle(e.batch);
      ctx.strokeStyle = st.color;
      ctx.globalAlpha = 1;
      ctx.lineWidth = (1.4 * lineWidthPx(st.width, vp.zoom)) / vp.zoom;
      ctx.beginPath();
      ctx.moveTo(e.x1, e.y1);
      ctx.lineTo(e.x2, e.y2);
      ctx.stroke();
    }
    this.progress = null;
    this.lastDrawMs = performance.now() - t0;
  }

  /** Strokes slots [from, to) (or the listed ones) as one path, culled to the visible box. */
  private strokeSlots(ctx: CanvasRenderingContext2D, from: number, to: number, list: Int32Array | null, color: string, alpha: number, lineWidth: number, box: { x1: number; y1: number; x2: number; y2: number }): void {
    if (to <= from) return;
    const c = this.batches.coords;
    const { x1: bx1, y1: by1, x2: bx2, y2: by2 } = box;
    ctx.beginPath();
    let any = false;
    for (let k = from; k < to; k++) {
      const o = 4 * (list ? list[k] : k);
      const x1 = c[o];
      const y1 = c[o + 1];
      const x2 = c[o + 2];
      const y2 = c[o + 3];
      if ((x1 < bx1 && x2 < bx1) || (x1 > bx2 && x2 > bx2) || (y1 < by1 && y2 < by1) || (y1 > by2 && y2 > by2)) continue;
      ctx.moveTo(x1, y1);
      ctx.lineTo(x2, y2);
      any = true;
    }
    if (!any) return;
    ctx.strokeStyle = color;
    ctx.globalAlpha = alpha;
    ctx.lineWidth = lineWidth;
    ctx.stroke();
  }

  /** Focused slots (ascending, so grouped by batch) on top: full colour, a little wider. */
  private strokeFocus(ctx: CanvasRenderingContext2D, slots: Int32Array, zoom: number, box: { x1: number; y1: number; x2: number; y2: number }): void {
    let i = 0;
    while (i < slots.length) {
      const batch = batchOfSlot(this.batches, slots[i]);
      const end = this.batches.starts[batch + 1];
      let j = i;
      while (j < slots.length && slots[j] < end) j++;
      const st = batchStyle(batch);
      this.strokeSlots(ctx, i, j, slots, st.color, FOCUS_ALPHA, (1.4 * lineWidthPx(st.width, zoom)) / zoom, box);
      i = j;
    }
  }

  /**
   * Keeps the complete picture once this frame is on screen (copying it now would rasterize it inside the
   * frame): skipped when the canvas was redrawn meanwhile.
   */
  private keepSnapshotSoon(dpr: number, vp: Viewport): void {
    const drawn = ++this.drawSeq;
    const version = this.version;
    setTimeout(() => {
      if (drawn === this.drawSeq && version === this.version && !this.destroyed && !this.focus) this.keepSnapshot(dpr, vp);
    }, 0);
  }

  private drawSeq = 0;

  /** Keeps the complete normal picture: moved during the next pan / zoom, faded behind a focus. */
  private keepSnapshot(dpr: number, vp: Viewport): void {
    const canvas = this.canvas;
    if (!canvas) return;
    const snap = this.snapshot?.canvas ?? document.createElement('canvas');
    if (snap.width !== canvas.width || snap.height !== canvas.height) {
      snap.width = canvas.width;
      snap.height = canvas.height;
    }
    const sctx = snap.getContext('2d');
    if (!sctx) return;
    sctx.globalCompositeOperation = 'copy';
    if (this.underUsed && this.under && this.under.width === canvas.width && this.under.height === canvas.height) {
      sctx.drawImage(this.under, 0, 0);
      sctx.globalCompositeOperation = 'source-over';
    }
    sctx.drawImage(canvas, 0, 0);
    this.snapshot = { canvas: snap, vp, dpr, version: this.version };
  }
}

const sameViewport = (a: Viewport, b: Viewport): boolean => a.zoom === b.zoom && a.pan.x === b.pan.x && a.pan.y === b.pan.y;
