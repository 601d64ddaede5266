/**
 * subgraph.stats: what a hand-picked subgraph (nodes and supernodes) keeps of the graph. Definitions (also in
 * docs/explanations.md), all on the graph's unpruned adjacency A (rows = targets):
 *
 * - Groups: each supernode, and each requested node that is in no supernode. Edge G → H (G ≠ H) = Σ A[t, s] over
 *   s ∈ G, t ∈ H (signed; member-to-member sums, as Neuronpedia's supernode edges).
 * - Scored set S: the requested nodes and supernode members, every token and logit node (as pruning always keeps
 *   them), and every error node with an edge into one of those (error nodes stand for what the dictionary misses:
 *   they belong to any subgraph they feed, as Neuronpedia adds the errors linked to pinned nodes).
 * - Per group: inputAbs = Σ_{t∈G} Σ_s |A[t, s]|; outsideShare = the part of it from sources not in S;
 *   errorShare = the part from error nodes.
 * - Scores: circuit-tracer's replacement and completeness (main/graph/scores.ts) of the graph restricted to S —
 *   A with every row and column outside S removed, re-normalized over S, influence recomputed from the logits.
 *   When S is the whole graph this is exactly `graphScores` (the same arithmetic on the same entries).
 */
import type { GraphScoresInfo } from '../../shared/api';
import type { SubgraphEdge, SubgraphGroup, SubgraphStats } from '../../shared/apiExplain';
import { NodeKind } from '../../shared/graph';
import type { SparseGraph } from '../graph/influence';
import { graphScores } from '../graph/scores';
import { badRequest } from './errors';
import type { GraphEntry } from './graphEntry';
import { checkNode } from './graphQueries';

const ROW_SUM_CLAMP = 1e-10;

const finiteOr0 = (x: number) => (Number.isFinite(x) ? x : 0);

/** The sparse graph with every entry whose row or column is outside `inS` removed, rows re-normalized over S. */
export function restrictSparse(sg: SparseGraph, inS: Uint8Array): SparseGraph {
  const { N, rowPtr, col, val, w } = sg;
  const newPtr = new Int32Array(N + 1);
  let nnz = 0;
  for (let t = 0; t < N; t++) {
    if (inS[t]) for (let p = rowPtr[t]; p < rowPtr[t + 1]; p++) nnz += inS[col[p]];
    newPtr[t + 1] = nnz;
  }
  const newCol = new Int32Array(nnz);
  const newVal = new Float32Array(nnz);
  const rowAbsSum = new Float64Array(N);
  const rowInv = new Float64Array(N);
  let q = 0;
  for (let t = 0; t < N; t++) {
    if (!inS[t]) continue;
    let sum = 0;
    for (let p = rowPtr[t]; p < rowPtr[t + 1]; p++) {
      if (!inS[col[p]]) continue;
      newCol[q] = col[p];
      newVal[q++] = val[p];
      sum += Math.abs(val[p]);
    }
    rowAbsSum[t] = sum;
    if (sum > 0) rowInv[t] = 1 / Math.max(sum, ROW_SUM_CLAMP);
  }
  const newW = Float64Array.from(w, (x, n) => (inS[n] ? x : 0));
  const sweepOrder = sg.sweepOrder ? sg.sweepOrder.filter((t) => newPtr[t + 1] > newPtr[t]) : null;
  return { N, adjacency: sg.adjacency, w: newW, levels: sg.levels, kinds: sg.kinds, rowPtr: newPtr, col: newCol, val: newVal, rowAbsSum, rowInv, sweepOrder };
}

/** Replacement / completeness of the graph restricted to S (see the module comment). */
export function restrictedScores(sg: SparseGraph, inS: Uint8Array): GraphScoresInfo {
  const s = graphScores(restrictSparse(sg, inS));
  return { replacement: finiteOr0(s.replacement), completeness: finiteOr0(s.completeness) };
}

export interface SubgraphRequest {
  readonly nodes: readonly number[];
  readonly supernodes: readonly { readonly id: string; readonly label: string; readonly nodes: readonly number[] }[];
}

/** S: the chosen nodes, every token and logit, and the error nodes feeding any of them. */
export function scoredSet(sg: SparseGraph, chosen: Iterable<number>): Uint8Array {
  const { N, kinds, rowPtr, col } = sg;
  const inS = new Uint8Array(N);
  for (const n of chosen) inS[n] = 1;
  for (let n = 0; n < N; n++) if (kinds[n] === NodeKind.token || kinds[n] === NodeKind.logit) inS[n] = 1;
  const base = inS.slice();
  for (let t = 0; t < N; t++) {
    if (!base[t]) continue;
    for (let p = rowPtr[t]; p < rowPtr[t + 1]; p++) if (kinds[col[p]] === NodeKind.error) inS[col[p]] = 1;
  }
  return inS;
}

export function subgraphStats(entry: GraphEntry, req: SubgraphRequest): SubgraphStats {
  const sg = entry.prepared;
  const { N, kinds, rowPtr, col, val, rowAbsSum } = sg;
  req.nodes.forEach((n) => checkNode(entry, n, 'nodes'));
  const groupOf = new Int32Array(N).fill(-1);
  const groups: { kind: 'supernode' | 'node'; id: string; label: string; nodes: number[] }[] = [];
  const ids = new Set<string>();
  for (const s of req.supernodes) {
    if (ids.has(s.id)) throw badRequest(`supernodes: the id "${s.id}" is used twice`);
    ids.add(s.id);
    const g = groups.length;
    const members = [...new Set(s.nodes)];
    for (const n of members) {
      checkNode(entry, n, `supernode "${s.id}" member`);
      if (groupOf[n] >= 0) throw badRequest(`node ${n} (${entry.nodeIds[n]}) is in two supernodes: "${groups[groupOf[n]].id}" and "${s.id}"`);
      groupOf[n] = g;
    }
    groups.push({ kind: 'supernode', id: s.id, label: s.label, nodes: members });
  }
  for (const n of req.nodes) {
    if (groupOf[n] >= 0) continue;
    groupOf[n] = groups.length;
    groups.push({ kind: 'node', id: entry.nodeIds[n], label: entry.summary.nodes[n].label, nodes: [n] });
  }
  const inS = scoredSet(sg, groups.flatMap((g) => g.nodes));

  const sums = new Map<number, number>();
  const G = groups.length;
  const stats: SubgraphGroup[] = groups.map((g, h) => {
    let inputAbs = 0;
    let outside = 0;
    let error = 0;
    for (const t of g.nodes) {
      inputAbs += rowAbsSum[t];
      for (let p = rowPtr[t]; p < rowPtr[t + 1]; p++) {
        const s = col[p];
        const a = Math.abs(val[p]);
        if (!inS[s]) outside += a;
        if (kinds[s] === NodeKind.error) error += a;
        const src = groupOf[s];
        if (src >= 0 && src !== h) sums.set(src * G + h, (sums.get(src * G + h) ?? 0) + val[p]);
      }
    }
    return { ...g, inputAbs, outsideShare: inputAbs > 0 ? outside / inputAbs : null, errorShare: inputAbs > 0 ? error / inputAbs : null };
  });
  const edges: SubgraphEdge[] = [...sums].map(([k, weight]) => ({ source: Math.floor(k / G), target: k % G, weight }));
  edges.sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight) || a.source - b.source || a.target - b.target);
  const scoredNodes: number[] = [];
  for (let n = 0; n < N; n++) if (inS[n]) scoredNodes.push(n);
  return { graphId: entry.summary.graphId, groups: stats, edges, scoredNodes, scores: restrictedScores(sg, inS), graphScores: entry.summary.scores };
}
