/**
 * Hover and path highlighting of the node layer: the focused nodes get classes, every other node is dimmed
 * (the edge layer fades and highlights the edges itself). Dimming touches every node, so moving between two
 * highlights only re-classes the nodes whose state changes (old focus ∆ new focus); a full pass happens only
 * when dimming starts or ends, or after the shown nodes changed.
 */
import type { Collection, Core } from 'cytoscape';

export class Highlighter {
  /** Nodes carrying hover/path classes, and the focus everything else is dimmed against (null: no dimming). */
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

  /** Highlighted nodes (hover and path). */
  get count(): number {
    return this.focus ? this.highlighted.filter((e) => e.inside()).length : 0;
  }

  /** `full`: nodes were added or removed since the last call, so recompute the dimmed set from scratch. */
  apply(pathNodes: Collection, hoverNodes: Collection, full = false): void {
    const cy = this.cy;
    const focus = pathNodes.union(hoverNodes);
    cy.batch(() => {
      this.highlighted.filter((e) => e.inside()).removeClass('hover-highlight path-highlight');
      pathNodes.addClass('path-highlight');
      hoverNodes.addClass('hover-highlight');
      this.highlighted = focus;
      if (focus.empty()) {
        if (this.focus) cy.nodes('.dim').removeClass('dim');
        this.focus = null;
        return;
      }
      if (!this.focus || full) {
        cy.nodes('.dim').removeClass('dim');
        cy.nodes().difference(focus).addClass('dim');
      } else this.focus.difference(focus).filter((e) => e.inside()).addClass('dim');
      focus.removeClass('dim');
      this.focus = focus;
    });
  }
}
