/** Which drawn edges touch each node: a CSR index over a pruned view, for hover and path highlights. */
import type { PrunedView } from '../../../shared/api';

export interface Incidence {
  /** edges[start[i] .. start[i + 1]) are the drawn edges with node i at either end (view edge indices). */
  readonly start: Int32Array;
  readonly edges: Int32Array;
}

/** `slotOfEdge[e]` < 0: edge e is not drawn (capped view) and is left out. `n`: node index bound. */
export function buildIncidence(v: PrunedView | null, slotOfEdge: Int32Array, n: number): Incidence {
  const start = new Int32Array(n + 1);
  if (!v) return { start, edges: new Int32Array(0) };
  const m = v.edgeSource.length;
  for (let e = 0; e < m; e++) {
    if (slotOfEdge[e] < 0) continue;
    start[v.edgeSource[e] + 1]++;
    start[v.edgeTarget[e] + 1]++;
  }
  for (let i = 0; i < n; i++) start[i + 1] += start[i];
  const fill = start.slice(0, n);
  const edges = new Int32Array(start[n]);
  for (let e = 0; e < m; e++) {
    if (slotOfEdge[e] < 0) continue;
    edges[fill[v.edgeSource[e]]++] = e;
    edges[fill[v.edgeTarget[e]]++] = e;
  }
  return { start, edges };
}
