/**
 * The row names (Emb, L0 … L(n−1), Logits) as an HTML overlay pinned to the left edge of the canvas: always
 * readable (a fixed 12 px, whatever the zoom) and following the viewport's y as the user pans and zooms.
 */
import { rowLabelText } from './labels';
import type { LayoutBand } from './layout';
import type { Viewport } from './viewport';

/** Room the overlay takes on the left of the canvas (CSS px): the fit leaves it free of nodes. */
export const ROW_LABEL_GUTTER = 52;

export class RowLabels {
  private items: HTMLElement[] = [];
  private rows: readonly LayoutBand[] = [];

  constructor(private readonly el: HTMLElement | null) {}

  setGraph(nLayers: number | null): void {
    this.rows = [];
    if (!this.el) return;
    this.el.replaceChildren();
    this.items = [];
    if (nLayers === null) return;
    for (let level = 0; level < nLayers + 2; level++) {
      const div = document.createElement('div');
      div.className = 'row-label';
      div.textContent = rowLabelText(level, nLayers);
      div.style.visibility = 'hidden';
      this.el.appendChild(div);
      this.items.push(div);
    }
  }

  setRows(rows: readonly LayoutBand[]): void {
    this.rows = rows;
  }

  update(vp: Viewport, height: number): void {
    if (!this.el) return;
    const shown = new Set<number>();
    for (const r of this.rows) {
      const div = this.items[r.level];
      if (!div) continue;
      const y = vp.pan.y + vp.zoom * r.centre;
      const inside = y > -8 && y < height + 8;
      if (inside) {
        div.style.transform = `translateY(${Math.round(y)}px)`;
        shown.add(r.level);
      }
    }
    this.items.forEach((div, level) => {
      const v = shown.has(level) ? 'visible' : 'hidden';
      if (div.style.visibility !== v) div.style.visibility = v;
    });
  }
}
