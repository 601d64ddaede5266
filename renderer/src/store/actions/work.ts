/** What the explanation work (store/work) needs from the workbench store: show an opened graph, post a toast. */
import type { GraphSummary } from '../../../../shared/api';
import type { Ctx } from '../context';
import { analyzeNow } from './prompt';
import { toast } from './feedback';
import { installGraph } from './graph';

/** Installs a graph that was opened elsewhere (an explanation file), at its saved thresholds when given. */
export function showGraph(ctx: Ctx, graph: GraphSummary, thresholds: { readonly nodeThreshold: number; readonly edgeThreshold: number } | null): void {
  if (thresholds) ctx.set({ nodeThreshold: thresholds.nodeThreshold, edgeThreshold: thresholds.edgeThreshold });
  installGraph(ctx, graph, null);
  if (graph.prompt && graph.prompt !== ctx.get().prompt) {
    ctx.set({ prompt: graph.prompt });
    void analyzeNow(ctx);
  }
}

export function notify(ctx: Ctx, kind: 'error' | 'info', message: string): void {
  toast(ctx, kind, message);
}
