/**
 * Stats for the subgraph figure (present/figure.ts): subgraph.stats over the work's supernodes (only the chosen
 * ones when a view names them) and loose pinned nodes, plus the prompt tokens and top logits as groups so the
 * figure can draw the edges from tokens and into the targets. Cached per request; labels are not part of the key
 * (they do not change the numbers), so typing a supernode label reuses the stats, relabelled.
 */
import type { ApiClient, GraphSummary } from '../../../../shared/api';
import type { SubgraphStats } from '../../../../shared/apiExplain';
import { figureExtraNodes } from '../../present/figure';
import { nodeIndexById } from './build';
import type { WorkData } from './model';

export function createFigureStats(client: ApiClient): (g: GraphSummary | null, w: WorkData, supernodeIds?: readonly string[]) => Promise<SubgraphStats | null> {
  let cache: { key: string; stats: Promise<SubgraphStats> } | null = null;
  return async (g, w, supernodeIds) => {
    if (!g) return null;
    const sns = supernodeIds ? w.supernodes.filter((x) => supernodeIds.includes(x.id)) : w.supernodes;
    const members = new Set(w.supernodes.flatMap((x) => x.nodeIds));
    // With a supernode filter, only loose pinned nodes (not members of the supernodes left out) go with it.
    const loose = w.pinnedNodeIds.filter((id) => !members.has(id));
    if (sns.length === 0 && loose.length === 0) return null;
    const byId = nodeIndexById(g);
    const idx = (ids: readonly string[]) => ids.map((id) => byId.get(id)).filter((i): i is number => i !== undefined);
    const inGroups = new Set(idx(sns.flatMap((x) => x.nodeIds)));
    const nodes = [...new Set([...idx(loose), ...figureExtraNodes(g)])].filter((i) => !inGroups.has(i));
    const params = { graphId: g.graphId, nodes, supernodes: sns.map((x) => ({ id: x.id, label: x.label, nodes: idx(x.nodeIds) })).filter((x) => x.nodes.length > 0) };
    const key = JSON.stringify({ ...params, supernodes: params.supernodes.map((x) => ({ id: x.id, nodes: x.nodes })) });
    if (cache?.key !== key) {
      const stats = client.call('subgraph.stats', params);
      cache = { key, stats };
      stats.catch(() => {
        if (cache?.key === key) cache = null;
      });
    }
    const stats = await cache.stats;
    const label = new Map(params.supernodes.map((x) => [x.id, x.label]));
    return { ...stats, groups: stats.groups.map((x) => (x.kind === 'supernode' && label.has(x.id) ? { ...x, label: label.get(x.id)! } : x)) };
  };
}
