/**
 * A graph read from circuit-tracer/Neuronpedia JSON as the plain arrays the graph math works on. Such a file
 * holds only the pruned graph (emitted nodes and kept links), so influence and paths computed from it describe
 * that pruned graph.
 */
import { NodeKind } from '../../shared/graph';
import type { GraphCore } from './influence';
import type { ImportedGraph } from './graphJsonTypes';

export interface JsonGraph {
  readonly core: GraphCore;
  /** node_id of each node index. */
  readonly nodeIds: readonly string[];
  readonly indexOf: ReadonlyMap<string, number>;
}

const KIND = { feature: NodeKind.feature, error: NodeKind.error, token: NodeKind.token, logit: NodeKind.logit } as const;

export function coreFromImported(g: ImportedGraph): JsonGraph {
  const N = g.nodes.length;
  const indexOf = new Map(g.nodes.map((n, i) => [n.nodeId, i]));
  const adjacency = new Float32Array(N * N);
  for (const l of g.links) adjacency[indexOf.get(l.target)! * N + indexOf.get(l.source)!] = l.weight;
  const w = new Float64Array(N);
  const levels = new Int32Array(N);
  const kinds = new Uint8Array(N);
  g.nodes.forEach((n, i) => {
    kinds[i] = KIND[n.kind];
    levels[i] = n.kind === 'token' ? -1 : (n.layer ?? 0);
    if (n.kind === 'logit') w[i] = n.tokenProb;
  });
  return { core: { N, adjacency, w, levels, kinds }, nodeIds: g.nodes.map((n) => n.nodeId), indexOf };
}
