/**
 * Hover and path highlighting on a cytoscape instance: the hovered node's neighbourhood and the highlighted
 * path get classes, everything else is dimmed. Dimming touches every element, so moving between two
 * highlights only re-classes the elements whose state changes (old focus ∆ new focus); a full pass happens
 * only when dimming starts or ends, or after the shown elements changed.
 */
import type { Collection, Core } from 'cytoscape';

export class Highlighter {
  /** Elements carrying hover/path classes, and the focus everything else is dimmed against (null: no dimming). */
  private highlighted: Collection;
  private focus: Collection | null = null;

  constructor(private readonly cy: Core) {
    this.highlighted = cy.collection();
  }

  reset(): void {
    this.highlighted = this.cy.collection();
    this.focus = null;
  }

  get active(): boolean {
    return this.focus !== null;
  }

  /** `full`: elements were added or removed since the last call, so recompute the dimmed set from scratch. */
  apply(pathEls: Collection, hoverEls: Collection, full = false): void {
    const cy = this.cy;
    const focus = pathEls.union(hoverEls);
    cy.batch(() => {
      this.highlighted.filter((e) => e.inside()).removeClass('hover-highlight path-highlight');
      pathEls.addClass('path-highlight');
      hoverEls.addClass('hover-highlight');
      this.highlighted = focus;
      if (focus.empty()) {
        if (this.focus) cy.elements('.dim').removeClass('dim');
        this.focus = null;
        return;
      }
      if (!this.focus || full) {
        cy.elements('.dim').removeClass('dim');
        cy.elements().difference(focus).not('.axis').addClass('dim');
      } else this.focus.difference(focus).filter((e) => e.inside()).not('.axis').addClass('dim');
      focus.removeClass('dim');
      this.focus = focus;
    });
  }
}
