/**
 * circuit-tracer's `prune_graph` (method brief §3.3) with a fast re-prune path.
 *
 * `preparePruning` does everything that does not depend on the thresholds once (CSR of A, row sums, the
 * influence I, cumulative scores); `prune(nodeT, edgeT)` then only touches rows and columns of kept nodes:
 * node threshold → compacted pruned CSR with its row sums → I' (one level-ordered sweep) → edge scores of
 * the pruned entries → edge threshold (selection, no N² sort) → clean-up driven by in/out-degree counters
 * and a work list (each edge is dropped at most once, instead of rescanning the mask until it stops
 * changing; both reach the same greatest fixpoint).
 *
 * The edge mask is returned as a CSR list of kept edges (grouped by target, sources ascending): it is
 * a few MB at most where a dense N×N mask would be 25–64 MB per re-prune, and it is what the renderer and
 * the path search iterate anyway. `denseEdgeMask` converts when a dense mask is really needed.
 */
import type { AttributionGraph } from '../../shared/graph';
import { NodeKind } from '../../shared/graph';
import type { GraphCore, SparseGraph } from './influence';
import { coreOf, cumulativeScoresOf, isSparseGraph, iterateInfluence, sparseInfluence, sparsify } from './influence';
export { cumulativeScoresOf, edgeScoresDense } from './influence';
import { findThreshold, thresholdOfNonNegatives } from './threshold';

export interface EdgeList {
  readonly count: number;
  /** Edges into node t are [rowPtr[t], rowPtr[t + 1]). */
  readonly rowPtr: Int32Array;
  readonly target: Int32Array;
  readonly source: Int32Array;
  /** Raw adjacency value A[t, s]. */
  readonly weight: Float32Array;
  /** Edge score Â_pruned[t, s] · (I'[t] + w[t]). */
  readonly score: Float32Array;
}

export interface PruneStats {
  readonly nodeThresholdValue: number;
  readonly edgeThresholdValue: number;
  /** Nodes kept by the influence threshold (plus tokens and logits), before clean-up. */
  readonly nodesAfterNodePruning: number;
  readonly nodesKept: number;
  /** Non-zero edge scores among kept nodes (the entries find_threshold actually ranks). */
  readonly edgeCandidates: number;
  readonly edgesKept: number;
  readonly cleanupRemovedNodes: number;
  readonly ms: number;
}

export interface PruneResult {
  readonly nodeMask: Uint8Array;
  readonly edgeMask: EdgeList;
  /** Cumulative influence fraction (the JSON `influence` field); small = important. */
  readonly cumulativeScores: Float32Array;
  readonly stats: PruneStats;
}

export interface PreparedPruning extends SparseGraph {
  /** Influence I on the unpruned graph. */
  readonly influence: Float64Array;
  readonly cumulativeScores: Float32Array;
  prune(nodeThreshold?: number, edgeThreshold?: number): PruneResult;
}

export interface PruneOptions {
  readonly nodeThreshold?: number;
  readonly edgeThreshold?: number;
}

export type GraphInput = AttributionGraph | GraphCore | SparseGraph;

export function toSparse(g: GraphInput): SparseGraph {
  if (isSparseGraph(g)) return g;
  return sparsify('formatVersion' in g ? coreOf(g) : g);
}

export function pruneGraph(g: GraphInput | PreparedPruning, opts: PruneOptions = {}): PruneResult {
  const prepared = 'prune' in g ? g : preparePruning(g);
  return prepared.prune(opts.nodeThreshold, opts.edgeThreshold);
}

export function preparePruning(g: GraphInput): PreparedPruning {
  const sg = toSparse(g);
  for (let n = 0; n < sg.N; n++) {
    if (!(sg.w[n] >= 0)) throw new RangeError(`logit weight ${sg.w[n]} at node ${n}: pruning needs non-negative weights`);
  }
  const influence = sparseInfluence(sg);
  const cumulativeScores = cumulativeScoresOf(influence);
  const scratch = new Scratch(sg.N);
  const prepared: PreparedPruning = {
    ...sg,
    influence,
    cumulativeScores,
    prune: (nodeThreshold = 0.8, edgeThreshold = 0.98) => pruneWith(prepared, scratch, nodeThreshold, edgeThreshold),
  };
  return prepared;
}

/**
 * Buffers reused across re-prunes (results never alias them). The pruned CSR holds the entries of kept
 * rows whose column is kept too: built once per re-prune, then iterated instead of the full rows. Its
 * arrays grow on demand, so memory follows the largest pruned graph seen (≤ 24 B per pruned entry: CSR,
 * scores and the kept-edge lists), not the full adjacency.
 */
class Scratch {
  readonly inv: Float64Array;
  readonly Ip: Float64Array;
  readonly prowPtr: Int32Array;
  pcol = new Int32Array(0);
  pval = new Float32Array(0);
  score = new Float32Array(0);
  keptIdx = new Int32Array(0);
  kTargetBuf = new Int32Array(0);
  kSourceBuf = new Int32Array(0);
  constructor(N: number) {
    this.inv = new Float64Array(N);
    this.Ip = new Float64Array(N);
    this.prowPtr = new Int32Array(N + 1);
  }
  /** Room for `n` pruned entries, keeping the first `keep` of pcol/pval. */
  growPruned(n: number, keep: number): void {
    if (n <= this.pcol.length) return;
    const cap = Math.max(n, Math.ceil(this.pcol.length * 1.5), 1024);
    const [pcol, pval] = [new Int32Array(cap), new Float32Array(cap)];
    pcol.set(this.pcol.subarray(0, keep));
    pval.set(this.pval.subarray(0, keep));
    [this.pcol, this.pval] = [pcol, pval];
  }
  growPerEntry(n: number): void {
    if (n <= this.score.length) return;
    const cap = Math.max(n, Math.ceil(this.score.length * 1.5));
    this.score = new Float32Array(cap);
    this.keptIdx = new Int32Array(cap);
    this.kTargetBuf = new Int32Array(cap);
    this.kSourceBuf = new Int32Array(cap);
  }
}

/** Entries of kept rows with kept columns (branch-free compaction) and 1 / (pruned row sum); returns
 * the number of pruned entries. */
function buildPruned(sg: SparseGraph, nodeMask: Uint8Array, sc: Scratch): number {
  const { N, rowPtr, col, val } = sg;
  const { inv, prowPtr } = sc;
  let m = 0;
  for (let t = 0; t < N; t++) {
    prowPtr[t] = m;
    inv[t] = 0;
    if (!nodeMask[t]) continue;
    const end = rowPtr[t + 1];
    sc.growPruned(m + end - rowPtr[t] + 1, m); // the compaction writes one slot past the last kept entry
    const { pcol, pval } = sc;
    let sum = 0;
    for (let p = rowPtr[t]; p < end; p++) {
      const s = col[p];
      const k = nodeMask[s];
      const a = val[p];
      pcol[m] = s;
      pval[m] = a;
      sum += k * Math.abs(a);
      m += k;
    }
    if (sum > 0) inv[t] = 1 / Math.max(sum, 1e-10);
  }
  prowPtr[N] = m;
  return m;
}

/** I' on the pruned matrix: single level-ordered sweep when layered, else the power series. */
function prunedInfluence(sg: SparseGraph, sc: Scratch): void {
  const { N, w, sweepOrder } = sg;
  const { inv, prowPtr, pcol, pval, Ip } = sc;
  const push = (out: Float64Array, t: number, c: number) => {
    const f = c * inv[t];
    for (let q = prowPtr[t]; q < prowPtr[t + 1]; q++) out[pcol[q]] += f * Math.abs(pval[q]);
  };
  Ip.fill(0);
  if (sweepOrder) {
    for (let i = 0; i < sweepOrder.length; i++) {
      const t = sweepOrder[i];
      const c = w[t] + Ip[t];
      if (c !== 0) push(Ip, t, c);
    }
  } else {
    const step = (q: ArrayLike<number>) => {
      const out = new Float64Array(N);
      for (let t = 0; t < N; t++) if (q[t] !== 0) push(out, t, q[t]);
      return out;
    };
    Ip.set(iterateInfluence(step, w, N));
  }
}

/** Edge scores Â_pruned[t,s]·(I'[t] + w[t]) for every pruned entry (0 where the target has no influence):
 * aligned with the pruned CSR, so no index array is needed; zeros never move the threshold. */
function edgeScores(sg: SparseGraph, sc: Scratch, P: number): Float32Array {
  const { N, w } = sg;
  sc.growPerEntry(P);
  const { inv, Ip, prowPtr, pval, score } = sc;
  for (let t = 0; t < N; t++) {
    const f = (Ip[t] + w[t]) * inv[t];
    const end = prowPtr[t + 1];
    if (f > 0) for (let q = prowPtr[t]; q < end; q++) score[q] = Math.fround(f * Math.abs(pval[q]));
    else score.fill(0, prowPtr[t], end);
  }
  return score.subarray(0, P);
}

/** Entries with a positive score ≥ threshold, compacted into the scratch buffers; returns their count. */
function keepEdges(sc: Scratch, N: number, threshold: number, inDeg: Int32Array, outDeg: Int32Array): number {
  const { score, prowPtr, pcol, keptIdx, kTargetBuf, kSourceBuf } = sc;
  let K = 0;
  for (let t = 0; t < N; t++) {
    const start = K;
    const end = prowPtr[t + 1];
    for (let q = prowPtr[t]; q < end; q++) {
      if (!(score[q] >= threshold && score[q] > 0)) continue;
      const s = pcol[q];
      keptIdx[K] = q;
      kTargetBuf[K] = t;
      kSourceBuf[K++] = s;
      outDeg[s]++;
    }
    inDeg[t] = K - start;
  }
  return K;
}

/** Greatest subset where every kept feature/error has a kept out-edge and every kept feature a kept
 * in-edge: removals are propagated through degree counters, each edge is dropped at most once. */
function cleanUp(kinds: Uint8Array, nodeMask: Uint8Array, edges: { target: Int32Array; source: Int32Array; rowPtr: Int32Array }, inDeg: Int32Array, outDeg: Int32Array): { alive: Uint8Array; removed: number } {
  const { target, source, rowPtr } = edges;
  const N = nodeMask.length;
  const K = target.length;
  const colPtr = new Int32Array(N + 1);
  for (let n = 0; n < N; n++) colPtr[n + 1] = colPtr[n] + outDeg[n];
  const colEdge = new Int32Array(K);
  const fill = colPtr.slice(0, N);
  for (let k = 0; k < K; k++) colEdge[fill[source[k]]++] = k;
  const alive = new Uint8Array(K).fill(1);
  const removable = (n: number) =>
    nodeMask[n] === 1 &&
    ((kinds[n] !== NodeKind.token && kinds[n] !== NodeKind.logit && outDeg[n] === 0) || (kinds[n] === NodeKind.feature && inDeg[n] === 0));
  const work: number[] = [];
  for (let n = 0; n < N; n++) if (removable(n)) work.push(n);
  let removed = 0;
  while (work.length > 0) {
    const n = work.pop()!;
    if (!nodeMask[n]) continue;
    nodeMask[n] = 0;
    removed++;
    for (let i = colPtr[n]; i < colPtr[n + 1]; i++) {
      const k = colEdge[i];
      if (!alive[k]) continue;
      alive[k] = 0;
      if (--inDeg[target[k]] === 0 && removable(target[k])) work.push(target[k]);
    }
    for (let k = rowPtr[n]; k < rowPtr[n + 1]; k++) {
      if (!alive[k]) continue;
      alive[k] = 0;
      if (--outDeg[source[k]] === 0 && removable(source[k])) work.push(source[k]);
    }
  }
  return { alive, removed };
}

function pruneWith(pp: PreparedPruning, sc: Scratch, nodeT: number, edgeT: number): PruneResult {
  if (!(nodeT >= 0 && nodeT <= 1)) throw new RangeError('node_threshold must be between 0.0 and 1.0');
  if (!(edgeT >= 0 && edgeT <= 1)) throw new RangeError('edge_threshold must be between 0.0 and 1.0');
  const t0 = performance.now();
  const { N, kinds, influence } = pp;

  // 1. Node mask: the smallest set carrying ≥ nodeT of the influence; tokens and logits always kept.
  const nodeThresholdValue = findThreshold(influence, nodeT);
  const nodeMask = new Uint8Array(N);
  let nodesAfterNodePruning = 0;
  for (let n = 0; n < N; n++) {
    if (influence[n] >= nodeThresholdValue || kinds[n] === NodeKind.token || kinds[n] === NodeKind.logit) {
      nodeMask[n] = 1;
      nodesAfterNodePruning++;
    }
  }
  // 2–4. Zero removed rows/columns, re-normalize, I', edge scores; only pruned entries can score > 0, so
  // they stand for the N² matrix (its other entries are zeros, which never move the threshold).
  const P = buildPruned(pp, nodeMask, sc);
  prunedInfluence(pp, sc);
  const scores = edgeScores(pp, sc, P);
  // (Float32 selection reads its input without reordering it, so no copy is needed.)
  const edgeThresholdValue = thresholdOfNonNegatives(scores, edgeT);
  let edgeCandidates = 0;
  for (let q = 0; q < P; q++) if (scores[q] > 0) edgeCandidates++;

  // 5. Kept edges (row order) with degree counters.
  const inDeg = new Int32Array(N);
  const outDeg = new Int32Array(N);
  const K = keepEdges(sc, N, edgeThresholdValue, inDeg, outDeg);
  const { keptIdx } = sc;
  const kTarget = sc.kTargetBuf.subarray(0, K);
  const kSource = sc.kSourceBuf.subarray(0, K);
  const kRowPtr = new Int32Array(N + 1);
  for (let t = 0; t < N; t++) kRowPtr[t + 1] = kRowPtr[t] + inDeg[t];

  // 6. Clean-up: features/errors need a kept out-edge, features a kept in-edge; removals cascade.
  const { alive, removed } = cleanUp(kinds, nodeMask, { target: kTarget, source: kSource, rowPtr: kRowPtr }, inDeg, outDeg);

  // 7. Compact the surviving edges.
  let count = 0;
  for (let k = 0; k < K; k++) count += alive[k];
  const edgeMask = {
    count,
    rowPtr: new Int32Array(N + 1),
    target: new Int32Array(count),
    source: new Int32Array(count),
    weight: new Float32Array(count),
    score: new Float32Array(count),
  };
  for (let k = 0, j = 0; k < K; k++) {
    if (!alive[k]) continue;
    const q = keptIdx[k];
    edgeMask.target[j] = kTarget[k];
    edgeMask.source[j] = kSource[k];
    edgeMask.weight[j] = sc.pval[q];
    edgeMask.score[j++] = scores[q];
    edgeMask.rowPtr[kTarget[k] + 1]++;
  }
  for (let n = 0; n < N; n++) edgeMask.rowPtr[n + 1] += edgeMask.rowPtr[n];
  let nodesKept = 0;
  for (let n = 0; n < N; n++) nodesKept += nodeMask[n];
  const stats: PruneStats = {
    nodeThresholdValue,
    edgeThresholdValue,
    nodesAfterNodePruning,
    nodesKept,
    edgeCandidates,
    edgesKept: count,
    cleanupRemovedNodes: removed,
    ms: performance.now() - t0,
  };
  return { nodeMask, edgeMask, cumulativeScores: pp.cumulativeScores.slice(), stats };
}

/** Whether the edge s → t is kept (binary search in t's row; sources are ascending). */
export function hasEdge(mask: EdgeList, t: number, s: number): boolean {
  let lo = mask.rowPtr[t];
  let hi = mask.rowPtr[t + 1];
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (mask.source[mid] < s) lo = mid + 1;
    else hi = mid;
  }
  return lo < mask.rowPtr[t + 1] && mask.source[lo] === s;
}

/** The N×N (row = target) 0/1 mask circuit-tracer returns. */
export function denseEdgeMask(mask: EdgeList, N: number): Uint8Array {
  const out = new Uint8Array(N * N);
  for (let k = 0; k < mask.count; k++) out[mask.target[k] * N + mask.source[k]] = 1;
  return out;
}
