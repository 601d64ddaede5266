/**
 * Graph marks from the explanation work (pure): which node indices the graph shows as pinned, as supernode
 * members and as affected by the last intervention. The work names nodes by their circuit-tracer ids; the
 * graph controller (controller.ts `setMarked`) takes node indices of the current graph.
 */
import type { GraphSummary } from '../../../shared/api';
import type { AffectedNode } from '../../../shared/apiExplain';
import { nodeIndexById } from '../store/work/build';
import type { WorkData } from '../store/work/model';

export type MarkKind = 'pinned' | 'supernode' | 'affected';
export const MARK_KINDS: readonly MarkKind[] = ['pinned', 'supernode', 'affected'];

/** The cytoscape class of a mark. */
export const markClass = (kind: MarkKind): string => `mark-${kind}`;

export type Marks = Readonly<Record<MarkKind, readonly number[]>>;

export const NO_MARKS: Marks = { pinned: [], supernode: [], affected: [] };

/** Node ids → indices in the graph, in order, without duplicates; ids the graph lacks are skipped. */
export function indicesOfIds(g: GraphSummary | null, ids: Iterable<string>, byId: ReadonlyMap<string, number> = nodeIndexById(g)): number[] {
  const out: number[] = [];
  const seen = new Set<number>();
  for (const id of ids) {
    const i = byId.get(id);
    if (i === undefined || seen.has(i)) continue;
    seen.add(i);
    out.push(i);
  }
  return out;
}

/**
 * The marks of a graph: pinned nodes and supernode members from the work (only when the work belongs to that
 * graph), affected = the last intervention's affected feature nodes (only when it ran on that graph).
 */
export function marksFor(
  g: GraphSummary | null,
  work: { readonly graphId: string | null; readonly work: WorkData },
  lastRun: { readonly graphId: string; readonly affectedNodes: readonly AffectedNode[] } | null,
): Marks {
  if (!g) return NO_MARKS;
  const own = work.graphId === g.graphId;
  const byId = own ? nodeIndexById(g) : new Map<string, number>();
  const known = new Set(g.nodes.map((n) => n.index));
  return {
    pinned: own ? indicesOfIds(g, work.work.pinnedNodeIds, byId) : [],
    supernode: own ? indicesOfIds(g, work.work.supernodes.flatMap((s) => s.nodeIds), byId) : [],
    affected: lastRun && lastRun.graphId === g.graphId ? [...new Set(lastRun.affectedNodes.map((a) => a.node))].filter((i) => known.has(i)) : [],
  };
}
