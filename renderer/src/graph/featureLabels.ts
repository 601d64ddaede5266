/**
 * Feature labels ("#1234" under each feature) on a canvas above cytoscape's. Thousands of features would make
 * cytoscape measure and project a label per node on every re-prune (about half of its per-node cost), while
 * the labels are only readable from zoom 1 on, where a few hundred nodes at most are on screen: so they are
 * drawn here, culled to the viewport, and not at all when zoomed out.
 */
import { backingSize, canvasTransform, visibleModelBox, type Viewport } from './viewport';

/** Font size in model units: 9 px on screen at zoom 1. */
export const FEATURE_LABEL_FONT = 9;
/** Below this zoom feature labels are hidden (they would be under 9 px). */
export const FEATURE_LABEL_MIN_ZOOM = 1;
const FONT_FAMILY = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

export interface FeatureLabel {
  readonly x: number;
  readonly y: number;
  /** Node diameter (model units): the label sits under it. */
  readonly size: number;
  readonly text: string;
  readonly dim: boolean;
}

/** Whether feature labels are drawn at this zoom (pure). */
export const featureLabelsShown = (zoom: number): boolean => zoom >= FEATURE_LABEL_MIN_ZOOM;

export class FeatureLabelLayer {
  private readonly ctx: CanvasRenderingContext2D | null;
  private drawn = false;

  constructor(private readonly canvas: HTMLCanvasElement | null) {
    this.ctx = canvas?.getContext('2d') ?? null;
  }

  draw(vp: Viewport, width: number, height: number, labels: Iterable<FeatureLabel>): void {
    const canvas = this.canvas;
    const ctx = this.ctx;
    if (!canvas || !ctx) return;
    const dpr = window.devicePixelRatio || 1;
    const size = backingSize(width, height, dpr);
    if (canvas.width !== size.width || canvas.height !== size.height) {
      canvas.width = size.width;
      canvas.height = size.height;
    }
    if (!featureLabelsShown(vp.zoom)) {
      if (this.drawn) ctx.clearRect(0, 0, canvas.width, canvas.height);
      this.drawn = false;
      return;
    }
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.setTransform(...canvasTransform(vp, dpr));
    ctx.font = `${FEATURE_LABEL_FONT}px ${FONT_FAMILY}`;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    ctx.fillStyle = '#4b5563';
    const box = visibleModelBox(vp, width, height, 20);
    let dimmed = false;
    for (const l of labels) {
      if (l.x < box.x1 || l.x > box.x2 || l.y < box.y1 || l.y > box.y2) continue;
      if (l.dim !== dimmed) {
        dimmed = l.dim;
        ctx.globalAlpha = dimmed ? 0.25 : 1;
      }
      ctx.fillText(l.text, l.x, l.y + l.size / 2 + 2);
    }
    ctx.globalAlpha = 1;
    this.drawn = true;
  }
}
