/**
 * `window.cwbDebug`: what e2e tests and benchmarks read instead of scraping the canvas — which nodes are
 * shown, where to click one, how much is highlighted, and timings measured with performance.now().
 */
import type { GraphController } from './graph/controller';

export interface DebugTimings {
  /** Trace click → graph drawn (includes the engine's attribution). */
  traceClickToRenderMs?: number;
  /** Last time cytoscape took to apply a view and draw it. */
  lastRenderMs?: number;
  /** Slider change → engine re-prune → cytoscape updated and drawn. */
  lastPruneRoundTripMs?: number;
}

export interface CwbDebug {
  visibleNodeIds(): string[];
  visibleEdgeCount(): number;
  /** Viewport coordinates (what page.mouse.click takes) of a shown node's centre, else null. */
  renderedPosition(nodeId: string): { x: number; y: number } | null;
  highlightedElementCount(): number;
  readonly timings: DebugTimings;
}

export const timings: DebugTimings = {};
let controller: GraphController | null = null;

export function attachGraphController(c: GraphController | null): void {
  controller = c;
}

export function installDebugHook(win: Window): void {
  win.cwbDebug = {
    visibleNodeIds: () => controller?.visibleNodeIds() ?? [],
    visibleEdgeCount: () => controller?.visibleEdgeCount() ?? 0,
    renderedPosition: (id) => controller?.clientPosition(id) ?? null,
    highlightedElementCount: () => controller?.highlightedElementCount() ?? 0,
    timings,
  };
}
