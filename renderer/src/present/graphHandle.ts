/**
 * The graph view's controller, for the few things outside it that need the canvas itself: capturing a saved
 * view's region and exporting the view as SVG / PNG. GraphView registers it while mounted.
 */
import type { GraphController } from '../graph/controller';

let current: GraphController | null = null;

export function setGraphHandle(c: GraphController | null): void {
  current = c;
}

export function graphHandle(): GraphController | null {
  return current;
}
