/**
 * circuit-tracer / Neuronpedia node ids of an AttributionGraph's nodes (the `node_id` the graph JSON export
 * writes): features `{layer}_{feature}_{pos}`, errors `{layer}_-1_{pos}`, tokens `E_{tokenId}_{pos}`, logits
 * `{L+1}_{vocabIdx}_{T-1}`.
 */
import type { AttributionGraph } from '../../shared/graph';
import { graphLayout } from '../../shared/graph';

type IdInput = Pick<AttributionGraph, 'features' | 'nLayers' | 'nPos' | 'targets' | 'tokens'>;

export function nodeIdOf(g: IdInput, n: number): string {
  const lay = graphLayout(g);
  if (n < lay.errorStart) return `${g.features.layer[n]}_${g.features.index[n]}_${g.features.pos[n]}`;
  if (n < lay.tokenStart) return `${Math.floor((n - lay.errorStart) / lay.T)}_-1_${(n - lay.errorStart) % lay.T}`;
  if (n < lay.logitStart) return `E_${g.tokens[n - lay.tokenStart]}_${n - lay.tokenStart}`;
  return `${lay.L + 1}_${g.targets[n - lay.logitStart].vocabIdx}_${lay.T - 1}`;
}

/** The node id of every node, in node order. */
export function nodeIdsOf(g: IdInput): string[] {
  return Array.from({ length: graphLayout(g).N }, (_, n) => nodeIdOf(g, n));
}
