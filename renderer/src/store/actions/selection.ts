/** Selection, node details and the paths panel. Stale answers (the user clicked on) are dropped by sequence. */
import type { GraphNode } from '../../../../shared/api';
import type { Ctx } from '../context';
import { nextSelection, pathQuery } from '../helpers';
import { reportError } from './feedback';

/** How many inputs/outputs the details list, and how many paths the paths panel shows. */
export const DETAIL_LINKS = 20;
export const PATHS_K = 10;

export function nodeAt(ctx: Ctx, index: number): GraphNode | undefined {
  const g = ctx.get().graph;
  if (!g) return undefined;
  const direct = g.nodes[index];
  return direct && direct.index === index ? direct : g.nodes.find((n) => n.index === index);
}

async function loadDetail(ctx: Ctx, node: number): Promise<void> {
  const g = ctx.get().graph;
  if (!g) return;
  const seq = ++ctx.rt.seq.detail;
  ctx.set({ detailLoading: true });
  try {
    const detail = await ctx.client.call('graph.node', { graphId: g.graphId, node, k: DETAIL_LINKS });
    if (seq === ctx.rt.seq.detail) ctx.set({ detail, detailLoading: false });
  } catch (e) {
    if (seq === ctx.rt.seq.detail) ctx.set({ detailLoading: false });
    reportError(ctx, e);
  }
}

export async function refreshPaths(ctx: Ctx): Promise<void> {
  const s = ctx.get();
  const g = s.graph;
  const q = g ? pathQuery(s.selected, (i) => nodeAt(ctx, i), g.nLayers) : null;
  const seq = ++ctx.rt.seq.paths;
  if (!g || !q) return ctx.set({ paths: null, hoveredPath: null, pinnedPath: null });
  const same = s.paths && s.paths.to === q.to && s.paths.from === q.from;
  // Keep showing the previous answer to the same question while the new one loads (no flicker on re-prune).
  ctx.set({ paths: { ...q, paths: same ? s.paths!.paths : null, loading: true }, ...(same ? {} : { hoveredPath: null, pinnedPath: null }) });
  try {
    const paths = await ctx.client.call('graph.paths', {
      graphId: g.graphId,
      to: q.to,
      ...(q.from !== null ? { from: [q.from] } : {}),
      k: PATHS_K,
      pruned: { nodeThreshold: s.nodeThreshold, edgeThreshold: s.edgeThreshold },
    });
    if (seq !== ctx.rt.seq.paths) return;
    const keep = (i: number | null) => (i !== null && i < paths.length ? i : null);
    ctx.set((st) => ({ paths: { ...q, paths, loading: false }, hoveredPath: keep(st.hoveredPath), pinnedPath: keep(st.pinnedPath) }));
  } catch (e) {
    if (seq === ctx.rt.seq.paths) ctx.set({ paths: { ...q, paths: [], loading: false } });
    reportError(ctx, e);
  }
}

export function selectNode(ctx: Ctx, index: number, opts: { additive?: boolean; center?: boolean } = {}): void {
  if (!ctx.get().graph) return;
  const selected = nextSelection(ctx.get().selected, index, opts.additive ?? false);
  ctx.set({ selected, hoveredPath: null, pinnedPath: null });
  if (opts.center) ctx.set({ viewCommand: { seq: ++ctx.rt.seq.view, kind: 'center', node: index } });
  const last = selected.at(-1);
  if (last === undefined) {
    ctx.rt.seq.detail++;
    ctx.set({ detail: null, detailLoading: false });
  } else if (ctx.get().detail?.node.index !== last) void loadDetail(ctx, last);
  void refreshPaths(ctx);
}

export function clearSelection(ctx: Ctx): void {
  ctx.rt.seq.detail++;
  ctx.rt.seq.paths++;
  ctx.set({ selected: [], detail: null, detailLoading: false, paths: null, hoveredPath: null, pinnedPath: null });
}
