/** graph.prune, graph.node and graph.paths on a held graph. */
import type { NodeDetail, NodeLink, PathInfo, PrunedView } from '../../shared/api';
import type { FeatureCard } from '../../shared/featureCard';
import { NodeKind } from '../../shared/graph';
import { featureCard } from '../dictionary/cards';
import { isUserError } from '../errors';
import { downstream, topPaths, upstream } from '../graph/paths';
import type { PruneResult } from '../graph/prune';
import type { Tokenizer } from '../tokenizer/types';
import type { GraphEntry } from './graphEntry';
import { hasFeatureIndex, type OpenDictionary } from './session';
import { badRequest } from './errors';

export function checkNode(entry: GraphEntry, n: number, what = 'node'): void {
  if (!(n >= 0 && n < entry.prepared.N)) throw badRequest(`${what} ${n} is out of range: graph ${entry.summary.graphId} has ${entry.prepared.N} nodes (0–${entry.prepared.N - 1})`);
}

/** The prune at these thresholds, reusing the last one when it is the same. */
export function pruneAt(entry: GraphEntry, nodeThreshold: number, edgeThreshold: number): PruneResult {
  const last = entry.lastPrune;
  if (last && last.nodeThreshold === nodeThreshold && last.edgeThreshold === edgeThreshold) return last.result;
  const result = entry.prepared.prune(nodeThreshold, edgeThreshold);
  entry.lastPrune = { nodeThreshold, edgeThreshold, result };
  return result;
}

/** A typed array as a plain array (the JSON transports need one): a loop is several times faster than Array.from. */
function toArray(a: Int32Array | Float32Array): number[] {
  const out = new Array<number>(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i];
  return out;
}

/**
 * Indices (ascending) of the `k` entries of `weight` with the largest |weight|, or null when there are at most
 * `k`. Ties at the cut are taken in index order, so the answer is deterministic.
 */
export function strongestEdges(weight: Float32Array, k: number): Int32Array | null {
  const n = weight.length;
  if (n <= k) return null;
  const out = new Int32Array(Math.max(0, k));
  if (k <= 0) return out;
  const abs = new Float32Array(n);
  for (let i = 0; i < n; i++) abs[i] = Math.abs(weight[i]);
  const cut = abs.slice().sort()[n - k];
  let above = 0;
  for (let i = 0; i < n; i++) if (abs[i] > cut) above++;
  let ties = k - above;
  let j = 0;
  for (let i = 0; i < n && j < k; i++) {
    if (abs[i] > cut) out[j++] = i;
    else if (abs[i] === cut && ties > 0) {
      out[j++] = i;
      ties--;
    }
  }
  return out;
}

export function prunedView(entry: GraphEntry, nodeThreshold: number, edgeThreshold: number, maxEdges?: number): PrunedView {
  const t0 = performance.now();
  const { nodeMask, edgeMask } = pruneAt(entry, nodeThreshold, edgeThreshold);
  const nodes: number[] = [];
  for (let n = 0; n < nodeMask.length; n++) if (nodeMask[n]) nodes.push(n);
  const pick = maxEdges === undefined ? null : strongestEdges(edgeMask.weight, maxEdges);
  const edges = (a: Int32Array) => toArray(pick ? pick.map((i) => a[i]) : a);
  return {
    graphId: entry.summary.graphId,
    nodeThreshold,
    edgeThreshold,
    nodes,
    edgeSource: edges(edgeMask.source),
    edgeTarget: edges(edgeMask.target),
    edgeWeight: pick ? toArray(Float32Array.from(pick, (i) => edgeMask.weight[i])) : toArray(edgeMask.weight),
    edgeTotal: edgeMask.count,
    ms: performance.now() - t0,
  };
}

const byAbsWeight = (a: NodeLink, b: NodeLink) => Math.abs(b.weight) - Math.abs(a.weight) || a.node - b.node;

/** The strongest direct inputs / outputs of `node` on the unpruned graph, by |weight|. */
export function nodeLinks(entry: GraphEntry, node: number, k: number): { inputs: NodeLink[]; outputs: NodeLink[] } {
  const all = entry.prepared.N;
  const inputs = upstream(entry.prepared, node, { k: all }).sort(byAbsWeight).slice(0, k);
  const outputs = downstream(entry.prepared, node, { k: all }).sort(byAbsWeight).slice(0, k);
  return { inputs, outputs };
}

export interface CardSource {
  readonly dictionary: OpenDictionary | null;
  readonly tokenizer: Tokenizer;
}

/** The card of a feature node, or why there is none. */
export function cardOf(entry: GraphEntry, layer: number, feature: number, src: CardSource): { card: FeatureCard | null; cardNote: string | null } {
  const open = src.dictionary;
  if (!open) return { card: null, cardNote: 'no dictionary is open, so there are no feature cards' };
  if (entry.dictionaryFingerprint === null) return { card: null, cardNote: `the graph file does not say which dictionary it was traced with, so its features cannot be matched to ${open.dict.name}` };
  if (entry.dictionaryFingerprint !== open.dict.fingerprint) {
    return { card: null, cardNote: `the graph was traced with dictionary ${entry.dictionaryName ?? 'unknown'} (${entry.dictionaryFingerprint.slice(0, 12)}), not the open ${open.dict.name} (${open.dict.fingerprint.slice(0, 12)}); open that dictionary to see its cards` };
  }
  if (!hasFeatureIndex(open.dict.path)) return { card: null, cardNote: `dictionary ${open.dict.name} has no feature index; build one with: cwb dict index --dict ${open.dict.path}` };
  try {
    return { card: featureCard(open.dict.path, src.tokenizer, layer, feature), cardNote: null };
  } catch (e) {
    if (isUserError(e)) return { card: null, cardNote: e.message };
    throw e;
  }
}

export function nodeDetail(entry: GraphEntry, node: number, k: number, src: CardSource): NodeDetail {
  checkNode(entry, node);
  const n = entry.summary.nodes[node];
  const { inputs, outputs } = nodeLinks(entry, node, k);
  const isFeature = entry.prepared.kinds[node] === NodeKind.feature && n.feature !== null;
  const { card, cardNote } = isFeature ? cardOf(entry, n.layer, n.feature!, src) : { card: null, cardNote: null };
  return { node: n, inputs, outputs, card, cardNote };
}

export function pathsTo(
  entry: GraphEntry,
  p: { to: number; from?: readonly number[]; k?: number; pruned?: { nodeThreshold: number; edgeThreshold: number } },
): PathInfo[] {
  checkNode(entry, p.to, 'to');
  p.from?.forEach((n) => checkNode(entry, n, 'from'));
  const mask = p.pruned ? pruneAt(entry, p.pruned.nodeThreshold, p.pruned.edgeThreshold).edgeMask : undefined;
  return topPaths(entry.prepared, { to: p.to, from: p.from, k: p.k ?? 10, mask }).map((path) => ({
    nodes: path.nodes,
    score: path.score,
    sign: path.sign,
    edges: path.edges.map((e) => ({ source: e.source, target: e.target, weight: e.weight, share: e.share })),
  }));
}
