/**
 * Viewport arithmetic shared by the cytoscape node layer, the edge canvas and the row-label overlay (pure).
 * Model coordinates are the preset layout's; a viewport maps them to CSS pixels of the canvas as
 * `screen = pan + zoom · model` (cytoscape's convention); the edge canvas adds the device pixel ratio.
 */
import type { Point } from './layout';

export interface Viewport {
  readonly zoom: number;
  readonly pan: Point;
}

export interface Box {
  readonly x1: number;
  readonly y1: number;
  readonly x2: number;
  readonly y2: number;
}

export interface Padding {
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
}

export const toScreen = (vp: Viewport, p: Point): Point => ({ x: vp.pan.x + vp.zoom * p.x, y: vp.pan.y + vp.zoom * p.y });

export const toModel = (vp: Viewport, p: Point): Point => ({ x: (p.x - vp.pan.x) / vp.zoom, y: (p.y - vp.pan.y) / vp.zoom });

/** The canvas 2D transform (a, b, c, d, e, f) from model coordinates to backing-store pixels. */
export function canvasTransform(vp: Viewport, dpr: number): [number, number, number, number, number, number] {
  const s = vp.zoom * dpr;
  return [s, 0, 0, s, vp.pan.x * dpr, vp.pan.y * dpr];
}

/** Backing-store size of a canvas shown at `cssW × cssH` on a screen with this device pixel ratio. */
export function backingSize(cssW: number, cssH: number, dpr: number): { width: number; height: number } {
  const r = dpr > 0 && Number.isFinite(dpr) ? dpr : 1;
  return { width: Math.max(1, Math.round(cssW * r)), height: Math.max(1, Math.round(cssH * r)) };
}

/** The model-space rectangle a `cssW × cssH` canvas shows, grown by `margin` CSS pixels on every side. */
export function visibleModelBox(vp: Viewport, cssW: number, cssH: number, margin = 0): Box {
  const a = toModel(vp, { x: -margin, y: -margin });
  const b = toModel(vp, { x: cssW + margin, y: cssH + margin });
  return { x1: a.x, y1: a.y, x2: b.x, y2: b.y };
}

/**
 * How to redraw a picture drawn at viewport `from` for viewport `to` without redrawing it: scale by `k`,
 * then translate by (dx, dy) CSS pixels (screen' = k · screen + d). Used while the user pans or zooms.
 */
export function retarget(from: Viewport, to: Viewport): { k: number; dx: number; dy: number } {
  const k = to.zoom / from.zoom;
  return { k, dx: to.pan.x - k * from.pan.x, dy: to.pan.y - k * from.pan.y };
}

/** The viewport that fits `box` into a `w × h` canvas inside `pad`, with zoom clamped to [minZoom, maxZoom]. */
export function fitViewport(box: Box, w: number, h: number, pad: Padding, minZoom: number, maxZoom: number): Viewport | null {
  const bw = box.x2 - box.x1;
  const bh = box.y2 - box.y1;
  const aw = w - pad.left - pad.right;
  const ah = h - pad.top - pad.bottom;
  if (!(bw >= 0 && bh >= 0) || aw <= 0 || ah <= 0) return null;
  const raw = Math.min(bw > 0 ? aw / bw : Infinity, bh > 0 ? ah / bh : Infinity);
  const zoom = Math.min(maxZoom, Math.max(minZoom, Number.isFinite(raw) ? raw : maxZoom));
  const cx = pad.left + aw / 2;
  const cy = pad.top + ah / 2;
  return { zoom, pan: { x: cx - zoom * (box.x1 + bw / 2), y: cy - zoom * (box.y1 + bh / 2) } };
}

/** Below this zoom a feature node (10–28 model units) is a few pixels across: too small to read or click. */
export const READABLE_ZOOM = 0.6;

/**
 * The zoom for centring on one node (search): the current zoom, unless the node would be unreadably small;
 * then zoom in up to READABLE_ZOOM but never past 1.5× the fit zoom (the user keeps the overview), and
 * never out.
 */
export function centreZoom(current: number, fitZoom: number, readable = READABLE_ZOOM): number {
  if (current >= readable) return current;
  return Math.max(current, Math.min(readable, 1.5 * fitZoom));
}

/** The pan that puts model point `p` at CSS pixel `at` for this zoom. */
export function panToShow(p: Point, zoom: number, at: Point): Point {
  return { x: at.x - zoom * p.x, y: at.y - zoom * p.y };
}
