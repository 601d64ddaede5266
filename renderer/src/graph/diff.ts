/**
 * What changes in the node layer between two pruned views (pure). Re-pruning must stay well under 100 ms for
 * thousands of nodes, so cytoscape only gets the nodes that were added or removed; edges are not cytoscape
 * elements at all (the edge layer redraws them from the view's arrays, see edgeLayer.ts).
 */

export interface NodeDiff {
  readonly add: number[];
  readonly remove: number[];
  readonly next: ReadonlySet<number>;
}

export function diffNodes(prev: ReadonlySet<number>, nodes: readonly number[]): NodeDiff {
  const next = new Set(nodes);
  const add: number[] = [];
  const remove: number[] = [];
  for (const n of next) if (!prev.has(n)) add.push(n);
  for (const n of prev) if (!next.has(n)) remove.push(n);
  return { add, remove, next };
}
