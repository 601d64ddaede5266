/**
 * Node search (pure): by label ("L2 #17", "err L3"), by token text ("once" finds the token " Once" and logit
 * nodes with that text), by feature index ("17", "#17") and by node id ("2_17_5"). Better matches first,
 * then nodes visible at the current thresholds, then by influence.
 */
import type { GraphNode, TokenInfo } from '../../../shared/api';

export interface SearchResult {
  readonly node: GraphNode;
  readonly visible: boolean;
}

const RANK_EXACT = 0;
const RANK_TEXT = 1;
const RANK_PREFIX = 2;
const RANK_SUBSTRING = 3;

function rankOf(n: GraphNode, q: string, text: string, layerFeature: [number, number] | null, featureOnly: number | null): number | null {
  if (n.id.toLowerCase() === q) return RANK_EXACT;
  if (n.kind === 'feature' && layerFeature && n.layer === layerFeature[0] && n.feature === layerFeature[1]) return RANK_EXACT;
  if (n.kind === 'feature' && featureOnly !== null && n.feature === featureOnly) return RANK_EXACT;
  const label = n.label.toLowerCase();
  const t = text.trim().toLowerCase();
  if (label === q || (t.length > 0 && t === q.trim())) return RANK_TEXT;
  if (label.startsWith(q) || (t.length > 0 && t.startsWith(q.trim()))) return RANK_PREFIX;
  if (label.includes(q) || (t.length > 0 && t.includes(q.trim()))) return RANK_SUBSTRING;
  return null;
}

export function searchNodes(
  nodes: readonly GraphNode[],
  tokens: readonly TokenInfo[],
  query: string,
  visible: ReadonlySet<number>,
  limit = 20,
): SearchResult[] {
  const q = query.toLowerCase().replace(/\s+/g, ' ').trimStart();
  if (q.trim().length === 0) return [];
  const lf = /^l(\d+)\s*#?\s*(\d+)\s*$/.exec(q);
  const layerFeature: [number, number] | null = lf ? [Number(lf[1]), Number(lf[2])] : null;
  const fo = /^#?\s*(\d+)\s*$/.exec(q);
  const featureOnly = fo ? Number(fo[1]) : null;
  const hits: { node: GraphNode; rank: number; visible: boolean }[] = [];
  for (const n of nodes) {
    // Token nodes carry their text; logit labels are their token text already.
    const text = n.kind === 'token' ? (tokens[n.pos]?.text ?? '') : '';
    const rank = rankOf(n, q, text, layerFeature, featureOnly);
    if (rank !== null) hits.push({ node: n, rank, visible: visible.has(n.index) });
  }
  hits.sort((a, b) => a.rank - b.rank || Number(b.visible) - Number(a.visible) || b.node.influence - a.node.influence || a.node.index - b.node.index);
  return hits.slice(0, limit).map(({ node, visible: v }) => ({ node, visible: v }));
}
