/**
 * `window.cwbDebug`: what e2e tests and benchmarks read instead of scraping the canvas — which nodes are
 * shown, where to click one, how much is highlighted, and timings measured with performance.now().
 */
import type { GraphController } from './graph/controller';

export interface DebugTimings {
  /** Trace click → graph drawn (includes the engine's attribution). */
  traceClickToRenderMs?: number;
  /** Last time a view took from being applied to being on screen (nodes in cytoscape, edges on the edge layer). */
  lastRenderMs?: number;
  /** Script time of the edge layer's last frame. */
  lastEdgeDrawMs?: number;
  /** Slider change → every edge of the view drawn (big views draw their weakest edges over a few more frames). */
  lastPruneCompleteMs?: number;
  /** Slider change → engine re-prune → graph updated and drawn. */
  lastPruneRoundTripMs?: number;
}

export interface CwbDebug {
  visibleNodeIds(): string[];
  /** Edges drawn on the edge layer (a capped view draws only its strongest edges). */
  visibleEdgeCount(): number;
  /** Viewport coordinates (what page.mouse.click takes) of a shown node's centre, else null. */
  renderedPosition(nodeId: string): { x: number; y: number } | null;
  /** Highlighted nodes plus highlighted edges (hover neighbourhood, path). */
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
