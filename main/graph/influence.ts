/**
 * Normalized adjacency and logit influence (method brief §3.1), dense and sparse.
 *
 * Â = |A| with each row divided by its sum (clamped at 1e-10); I = wÂ + wÂ² + … (the seed w excluded).
 *
 * Single-sweep optimization. circuit-tracer multiplies vector × matrix until the product is all-zero (up
 * to 1000 times). Attribution graphs are layered: every edge goes from a strictly lower "level" to a
 * higher one (tokens −1 < features/errors of layer 0 < … < logits at L; errors are sources only). Since
 * I = (w + I)Â, the total c[t] = w[t] + I[t] of a target row is final once every row of a higher level
 * has been pushed, so ONE pass over the rows in decreasing level order, doing I += c[t]·Â[t,:], gives
 * the whole series — one matrix pass instead of depth-many. Correctness of the order is checked on the
 * fly (every expanded entry must come from a strictly lower level); if a check fails we fall back to the
 * generic power iteration. Rows with c = 0 are skipped: they contribute nothing whatever their entries.
 */
import type { AttributionGraph } from '../../shared/graph';
import { NodeKind, graphLayout, logitWeights } from '../../shared/graph';

export const MAX_INFLUENCE_ITERATIONS = 1000;
const ROW_SUM_CLAMP = 1e-10;

/** Everything the pruning math needs, as plain arrays (testable without a full AttributionGraph). */
export interface GraphCore {
  readonly N: number;
  /** N × N, row-major, rows = targets, columns = sources. */
  readonly adjacency: Float32Array;
  /** Logit weights (zero except at logit nodes). */
  readonly w: Float64Array;
  /** Per-node level: feature/error → layer, token → −1, logit → nLayers. */
  readonly levels: Int32Array;
  /** Per-node NodeKind code. */
  readonly kinds: Uint8Array;
}

type LayoutInput = Pick<AttributionGraph, 'features' | 'nLayers' | 'nPos' | 'targets'>;

/** Levels from the graph layout: every edge of an attribution graph goes from a lower to a higher level. */
export function levelsOf(graph: LayoutInput): Int32Array {
  const lay = graphLayout(graph);
  const levels = new Int32Array(lay.N);
  levels.set(graph.features.layer, 0);
  for (let n = lay.errorStart; n < lay.tokenStart; n++) levels[n] = Math.floor((n - lay.errorStart) / lay.T);
  levels.fill(-1, lay.tokenStart, lay.logitStart);
  levels.fill(lay.L, lay.logitStart, lay.N);
  return levels;
}

export function kindsOf(graph: LayoutInput): Uint8Array {
  const lay = graphLayout(graph);
  const kinds = new Uint8Array(lay.N);
  kinds.fill(NodeKind.error, lay.errorStart, lay.tokenStart);
  kinds.fill(NodeKind.token, lay.tokenStart, lay.logitStart);
  kinds.fill(NodeKind.logit, lay.logitStart, lay.N);
  return kinds;
}

export function coreOf(graph: AttributionGraph): GraphCore {
  const N = graphLayout(graph).N;
  if (graph.adjacency.length !== N * N) throw new Error(`adjacency has ${graph.adjacency.length} entries, expected ${N}²`);
  return { N, adjacency: graph.adjacency, w: Float64Array.from(logitWeights(graph)), levels: levelsOf(graph), kinds: kindsOf(graph) };
}

/** Â: |A| row-normalized (float32 like circuit-tracer; sums accumulated in float64). */
export function normalizeAbs(adj: Float32Array, N: number): Float32Array {
  const out = new Float32Array(N * N);
  for (let t = 0; t < N; t++) {
    const o = t * N;
    let sum = 0;
    for (let s = 0; s < N; s++) sum += Math.abs(adj[o + s]);
    const inv = 1 / Math.max(sum, ROW_SUM_CLAMP);
    if (sum > 0) for (let s = 0; s < N; s++) out[o + s] = Math.abs(adj[o + s]) * inv;
  }
  return out;
}

/** Rows sorted by level, highest first (stable by index). */
export function rowsByLevelDesc(levels: Int32Array): Int32Array {
  return Int32Array.from(levels.keys()).sort((a, b) => levels[b] - levels[a] || a - b);
}

/** I = wÂ + wÂ² + … on a dense Â. With `levels`, a single sweep; otherwise (or if the levels are not a
 * valid topological layering of the expanded rows) the generic power iteration. */
export function computeInfluence(Ahat: Float32Array, w: ArrayLike<number>, N: number, levels?: Int32Array): Float64Array {
  if (levels) {
    const swept = sweepDense(Ahat, w, N, levels);
    if (swept) return swept;
  }
  return powerIterationDense(Ahat, w, N);
}

function sweepDense(Ahat: Float32Array, w: ArrayLike<number>, N: number, levels: Int32Array): Float64Array | null {
  const I = new Float64Array(N);
  for (const t of rowsByLevelDesc(levels)) {
    const c = w[t] + I[t];
    if (c === 0) continue;
    const o = t * N;
    const lt = levels[t];
    for (let s = 0; s < N; s++) {
      const a = Ahat[o + s];
      if (a === 0) continue;
      if (levels[s] >= lt) return null;
      I[s] += c * a;
    }
  }
  return I;
}

/** circuit-tracer's loop: q ← qÂ until q is all-zero, throwing after MAX_INFLUENCE_ITERATIONS. */
export function powerIterationDense(Ahat: Float32Array, w: ArrayLike<number>, N: number): Float64Array {
  const step = (q: ArrayLike<number>): Float64Array => {
    const out = new Float64Array(N);
    for (let t = 0; t < N; t++) {
      const c = q[t];
      if (c === 0) continue;
      const o = t * N;
      for (let s = 0; s < N; s++) out[s] += c * Ahat[o + s];
    }
    return out;
  };
  return iterateInfluence(step, w, N);
}

/** The power series driven by a vector–matrix `step` (shared by the dense, sparse and pruned variants). */
export function iterateInfluence(step: (q: ArrayLike<number>) => Float64Array, w: ArrayLike<number>, N: number): Float64Array {
  let q = step(w);
  const I = q.slice();
  for (let iterations = 0; q.some((v) => v !== 0); iterations++) {
    if (iterations >= MAX_INFLUENCE_ITERATIONS) throw new Error(`Influence computation failed to converge after ${iterations} iterations`);
    q = step(q);
    for (let n = 0; n < N; n++) I[n] += q[n];
  }
  return I;
}

/**
 * The adjacency as CSR over its non-zero entries (rows = targets). For N = 5,000 at 10–30 % density this
 * is 3–8 M entries: iterating them is several times faster than scanning N² floats, and the re-prune path
 * only ever touches rows and columns of kept nodes.
 */
export interface SparseGraph extends GraphCore {
  readonly rowPtr: Int32Array;
  readonly col: Int32Array;
  /** Raw signed A values. */
  readonly val: Float32Array;
  /** Σ_s |A[t,s]| (float64, unclamped). */
  readonly rowAbsSum: Float64Array;
  /** 1 / max(rowAbsSum, 1e-10), 0 for empty rows: Â[t,s] = |val|·rowInv[t] (not stored: saves 4 B/entry). */
  readonly rowInv: Float64Array;
  /** Rows in decreasing level order if every edge goes strictly upward in level, else null (no sweep). */
  readonly sweepOrder: Int32Array | null;
}

export function isSparseGraph(g: object): g is SparseGraph {
  return 'rowPtr' in g && 'rowInv' in g;
}

export function sparsify(core: GraphCore): SparseGraph {
  const { N, adjacency: A, levels } = core;
  const rowPtr = new Int32Array(N + 1);
  for (let t = 0; t < N; t++) {
    let c = 0;
    const o = t * N;
    for (let s = 0; s < N; s++) if (A[o + s] !== 0) c++;
    rowPtr[t + 1] = rowPtr[t] + c;
  }
  const nnz = rowPtr[N];
  const col = new Int32Array(nnz);
  const val = new Float32Array(nnz);
  const rowAbsSum = new Float64Array(N);
  const rowInv = new Float64Array(N);
  let layered = true;
  for (let t = 0; t < N; t++) {
    const o = t * N;
    let p = rowPtr[t];
    let sum = 0;
    for (let s = 0; s < N; s++) {
      const a = A[o + s];
      if (a === 0) continue;
      col[p] = s;
      val[p++] = a;
      sum += Math.abs(a);
      if (levels[s] >= levels[t]) layered = false;
    }
    rowAbsSum[t] = sum;
    if (sum > 0) rowInv[t] = 1 / Math.max(sum, ROW_SUM_CLAMP);
  }
  const sweepOrder = layered ? rowsByLevelDesc(levels).filter((t) => rowPtr[t + 1] > rowPtr[t]) : null;
  return { ...core, rowPtr, col, val, rowAbsSum, rowInv, sweepOrder };
}

/** I on the full sparse graph: single sweep when layered, else the power iteration over CSR rows. */
export function sparseInfluence(sg: SparseGraph): Float64Array {
  const { N, rowPtr, col, val, rowInv, w, sweepOrder } = sg;
  const push = (out: Float64Array, t: number, c: number) => {
    const f = c * rowInv[t];
    for (let p = rowPtr[t]; p < rowPtr[t + 1]; p++) out[col[p]] += f * Math.abs(val[p]);
  };
  if (sweepOrder) {
    const I = new Float64Array(N);
    for (const t of sweepOrder) {
      const c = w[t] + I[t];
      if (c === 0) continue;
      push(I, t, c);
    }
    return I;
  }
  const step = (q: ArrayLike<number>): Float64Array => {
    const out = new Float64Array(N);
    for (let t = 0; t < N; t++) {
      const c = q[t];
      if (c !== 0) push(out, t, c);
    }
    return out;
  };
  return iterateInfluence(step, w, N);
}

/** cumulative[n] = fraction of total influence carried by nodes ranked at or above n (ties by index). */
export function cumulativeScoresOf(I: Float64Array): Float32Array {
  const order = Int32Array.from(I.keys()).sort((a, b) => I[b] - I[a] || a - b);
  const out = new Float32Array(I.length);
  let total = 0;
  for (const n of order) total += I[n];
  let run = 0;
  for (const n of order) {
    run += I[n];
    out[n] = total > 0 ? run / total : 1;
  }
  return out;
}

/** circuit-tracer's `compute_edge_influence` on a dense (already node-pruned) matrix: Â·(I + w) per row. */
export function edgeScoresDense(adj: Float32Array, N: number, w: ArrayLike<number>, levels?: Int32Array): Float32Array {
  const Ahat = normalizeAbs(adj, N);
  const I = computeInfluence(Ahat, w, N, levels);
  for (let t = 0; t < N; t++) {
    const c = I[t] + w[t];
    for (let s = 0; s < N; s++) Ahat[t * N + s] *= c;
  }
  return Ahat;
}
