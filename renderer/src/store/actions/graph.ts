/**
 * The graph lifecycle: trace (a cancellable job with progress), installing a new graph, and re-pruning at
 * the current thresholds (one request in flight, always finishing with the latest slider values).
 */
import type { GraphSummary } from '../../../../shared/api';
import type { Ctx } from '../context';
import { toTargetChoice } from '../helpers';
import type { JobKind } from '../types';
import { reportError, toast } from './feedback';
import { refreshPaths } from './selection';

/**
 * The most edges a view asks for (the strongest by |weight|): more are not readable on one canvas, and the
 * transfer and drawing would grow with them. The graph header says when a view is capped.
 */
export const MAX_VIEW_EDGES = 50_000;

export interface PruneRequest {
  readonly graphId: string;
  readonly nodeThreshold: number;
  readonly edgeThreshold: number;
  readonly requestedAt: number;
}

export async function runPrune(ctx: Ctx, r: PruneRequest): Promise<void> {
  try {
    const view = await ctx.client.call('graph.prune', { graphId: r.graphId, nodeThreshold: r.nodeThreshold, edgeThreshold: r.edgeThreshold, maxEdges: MAX_VIEW_EDGES });
    if (ctx.get().graph?.graphId !== r.graphId) return;
    ctx.set({ pruned: view, prunedRequestedAt: r.requestedAt });
    // Paths are searched within what is shown, so they follow the thresholds.
    if (ctx.get().selected.length > 0) void refreshPaths(ctx);
  } catch (e) {
    reportError(ctx, e);
  }
}

export function requestPrune(ctx: Ctx): void {
  const s = ctx.get();
  if (!s.graph) return;
  ctx.rt.requestPrune?.();
}

export function setThreshold(ctx: Ctx, which: 'nodeThreshold' | 'edgeThreshold', v: number): void {
  const value = Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0));
  if (ctx.get()[which] === value) return;
  ctx.set({ [which]: value });
  requestPrune(ctx);
}

export function installGraph(ctx: Ctx, graph: GraphSummary, traceClickedAt: number | null): void {
  ctx.rt.seq.detail++;
  ctx.rt.seq.paths++;
  ctx.set({
    graph,
    pruned: null,
    prunedRequestedAt: null,
    traceClickedAt,
    selected: [],
    hovered: null,
    detail: null,
    detailLoading: false,
    paths: null,
    hoveredPath: null,
    pinnedPath: null,
  });
  requestPrune(ctx);
}

/** Runs a job (one at a time): progress into the store, Cancel aborts it. */
export async function runJob<T>(ctx: Ctx, kind: JobKind, label: string, work: (signal: AbortSignal) => Promise<T>): Promise<T | null> {
  if (ctx.get().job) {
    toast(ctx, 'info', `Wait for “${ctx.get().job!.label}” to finish, or cancel it.`);
    return null;
  }
  const ac = new AbortController();
  ctx.rt.jobAbort = ac;
  ctx.set({ job: { kind, label, startedAt: ctx.now(), progress: null } });
  try {
    const result = await work(ac.signal);
    return ac.signal.aborted ? null : result;
  } catch (e) {
    if (!ac.signal.aborted) reportError(ctx, e);
    return null;
  } finally {
    if (ctx.rt.jobAbort === ac) {
      ctx.rt.jobAbort = null;
      ctx.set({ job: null });
    }
  }
}

export function cancelJob(ctx: Ctx): void {
  const ac = ctx.rt.jobAbort;
  if (!ac) return;
  ac.abort();
  // The UI is free again at once; the engine's "cancelled" answer is ignored when it arrives.
  ctx.rt.jobAbort = null;
  ctx.set({ job: null });
  toast(ctx, 'info', 'Cancelled.');
}

export async function trace(ctx: Ctx): Promise<void> {
  const s = ctx.get();
  if (s.job) return;
  const clickedAt = ctx.now();
  if (s.prompt.trim().length === 0) return toast(ctx, 'error', 'Type a prompt to trace.');
  if (s.session && !s.session.dictionary) return toast(ctx, 'error', 'Open a dictionary (transcoders) for this model to trace: “Open dictionary…”.');
  const t = toTargetChoice(s.target);
  if (!t.ok) return toast(ctx, 'error', t.message);
  const prompt = s.prompt;
  // No maxFeatureNodes when the field is blank: the engine then keeps every active feature.
  const params = s.maxFeatures !== null ? { prompt, target: t.target, maxFeatureNodes: s.maxFeatures } : { prompt, target: t.target };
  const graph = await runJob(ctx, 'trace', 'Trace', (signal) =>
    ctx.client.call('graph.trace', params, {
      signal,
      onProgress: (progress) => {
        const job = ctx.get().job;
        if (job && job.kind === 'trace' && !signal.aborted) ctx.set({ job: { ...job, progress } });
      },
    }),
  );
  if (graph) installGraph(ctx, graph, clickedAt);
}
