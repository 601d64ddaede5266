/**
 * What changes between two pruned views (pure). Re-pruning must stay well under 100 ms for thousands of
 * nodes, so the view removes and adds only the difference instead of rebuilding every element.
 */
import type { PrunedView } from '../../../shared/api';
import { edgeKey } from './elements';

export interface ViewSets {
  readonly nodes: ReadonlySet<number>;
  /** Edge keys (`edgeKey(source, target)`) → index into the view's edge arrays. */
  readonly edges: ReadonlyMap<string, number>;
}

export interface ViewDiff {
  readonly addNodes: number[];
  readonly removeNodes: number[];
  /** Indices into the new view's edge arrays. */
  readonly addEdges: number[];
  /** Edge keys of edges to remove. */
  readonly removeEdges: string[];
  readonly next: ViewSets;
}

export const EMPTY_VIEW: ViewSets = { nodes: new Set(), edges: new Map() };

export function viewSets(view: Pick<PrunedView, 'nodes' | 'edgeSource' | 'edgeTarget'>): ViewSets {
  const edges = new Map<string, number>();
  for (let i = 0; i < view.edgeSource.length; i++) edges.set(edgeKey(view.edgeSource[i], view.edgeTarget[i]), i);
  return { nodes: new Set(view.nodes), edges };
}

export function diffViews(prev: ViewSets, view: Pick<PrunedView, 'nodes' | 'edgeSource' | 'edgeTarget'>): ViewDiff {
  const next = viewSets(view);
  const addNodes: number[] = [];
  const removeNodes: number[] = [];
  const addEdges: number[] = [];
  const removeEdges: string[] = [];
  for (const n of next.nodes) if (!prev.nodes.has(n)) addNodes.push(n);
  for (const n of prev.nodes) if (!next.nodes.has(n)) removeNodes.push(n);
  for (const [k, i] of next.edges) if (!prev.edges.has(k)) addEdges.push(i);
  for (const k of prev.edges.keys()) if (!next.edges.has(k)) removeEdges.push(k);
  return { addNodes, removeNodes, addEdges, removeEdges, next };
}
