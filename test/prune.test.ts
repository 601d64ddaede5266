/** Influence, find_threshold, pruning and graph scores (method brief §3) against hand-worked examples and
 * straightforward transcriptions of circuit-tracer's dense, sort-based code. */
import { describe, expect, it } from 'vitest';
import type { AttributionGraph } from '../shared/graph';
import { NodeKind, graphLayout } from '../shared/graph';
import type { GraphCore } from '../main/graph/influence';
import { computeInfluence, coreOf, normalizeAbs, powerIterationDense, sparseInfluence, sparsify } from '../main/graph/influence';
import { findThreshold } from '../main/graph/threshold';
import { denseEdgeMask, edgeScoresDense, hasEdge, preparePruning, pruneGraph } from '../main/graph/prune';
import { graphScores } from '../main/graph/scores';
import { mulberry32 as rng } from '../shared/prng';

const gauss = (r: () => number) => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());

function core(N: number, edges: [number, number, number][], w: Record<number, number>, levels: number[], kinds: number[]): GraphCore {
  const adjacency = new Float32Array(N * N);
  for (const [t, s, v] of edges) adjacency[t * N + s] = v;
  const wv = new Float64Array(N);
  for (const [n, v] of Object.entries(w)) wv[Number(n)] = v;
  return { N, adjacency, w: wv, levels: Int32Array.from(levels), kinds: Uint8Array.from(kinds) };
}

// §3.1 worked example: 11 ← {1,3,6,8}; 3 ← {0,1,6}; 1 ← {9,10}; 0 ← {9}; all raw values equal; w[11] = 1.
const F = NodeKind.feature, E = NodeKind.error, T = NodeKind.token, L = NodeKind.logit;
function workedExample(): GraphCore {
  const edges: [number, number, number][] = [];
  for (const s of [1, 3, 6, 8]) edges.push([11, s, 10]);
  for (const s of [0, 1, 6]) edges.push([3, s, 10]);
  for (const s of [9, 10]) edges.push([1, s, 10]);
  edges.push([0, 9, 10]);
  // Nodes without inputs that feed others are tokens (so clean-up keeps them); 2, 4, 5, 7 are isolated errors.
  const levels = [0, 0, 0, 1, 0, 0, -1, 0, -1, -1, -1, 2];
  const kinds = [F, F, E, F, E, E, T, E, T, T, T, L];
  return core(12, edges, { 11: 1 }, levels, kinds);
}
const expectedI = [1 / 12, 1 / 3, 0, 1 / 4, 0, 0, 1 / 3, 0, 1 / 4, 1 / 4, 1 / 6, 0];

/** A random layered DAG with shuffled node order (so the sweep really has to sort by level). */
function randomDag(seed: number, N: number, density: number): GraphCore {
  const r = rng(seed);
  const levels = Array.from({ length: N }, () => Math.floor(r() * 6));
  const edges: [number, number, number][] = [];
  for (let t = 0; t < N; t++) for (let s = 0; s < N; s++) if (levels[s] < levels[t] && r() < density) edges.push([t, s, gauss(r) * Math.exp(gauss(r))]);
  const w: Record<number, number> = {};
  levels.forEach((l, n) => {
    if (l === 5) w[n] = r();
  });
  return core(N, edges, w, levels, levels.map(() => F));
}

/** An AttributionGraph-shaped random graph: features sorted by layer; feature and logit rows filled. */
function randomGraph(seed: number, nF: number, nL: number, nT: number, nK: number, density: number): AttributionGraph {
  const r = rng(seed);
  const layer = Int32Array.from({ length: nF }, () => Math.floor(r() * nL)).sort();
  const pos = Int32Array.from({ length: nF }, () => 1 + Math.floor(r() * (nT - 1)));
  const targets = Array.from({ length: nK }, (_, k) => ({ vocabIdx: k, label: `t${k}`, weight: 0.5 / (k + 1) }));
  const g0 = { features: { layer, pos, index: Int32Array.from(layer.keys()), activation: new Float32Array(nF).fill(1) }, nLayers: nL, nPos: nT, targets };
  const lay = graphLayout(g0);
  const lvl = (n: number) => (n < lay.errorStart ? layer[n] : n < lay.tokenStart ? Math.floor((n - lay.errorStart) / nT) : n < lay.logitStart ? -1 : nL);
  const N = lay.N;
  const adjacency = new Float32Array(N * N);
  for (let t = 0; t < N; t++) {
    if (t >= lay.errorStart && t < lay.logitStart) continue; // error and token rows are zero
    const lt = lvl(t);
    for (let s = 0; s < lay.logitStart; s++) if (lvl(s) < lt && r() < density) adjacency[t * N + s] = Math.sign(r() - 0.3) * Math.exp(2 * gauss(r));
  }
  return {
    formatVersion: 1, prompt: 'p', tokens: Array.from({ length: nT }, (_, i) => i), tokenTexts: Array.from({ length: nT }, (_, i) => `w${i}`),
    nLayers: nL, nPos: nT, vocabSize: 100, features: g0.features, activeFeatureCount: nF, targets, adjacency,
    settings: { maxFeatureNodes: null, batchSize: 8, maxLogits: 10, desiredLogitProb: 0.95, targetMode: 'salient' },
    model: { name: 'm', fingerprint: 'f' }, dictionary: { name: 'd', fingerprint: 'f', kind: 'plt' },
  };
}

// ---------- references ----------

/** Exact value of a double as mantissa · 2^exp. */
function decompose(v: number): [bigint, number] {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, v);
  const hi = dv.getUint32(0);
  const e = (hi >>> 20) & 0x7ff;
  const mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(dv.getUint32(4));
  return e ? [mant | (1n << 52n), e - 1075] : [mant, -1074];
}

/** §3.2 by the book in exact arithmetic: sort, exact cumsum, first i with cum_i ≥ τ (compared as the exact
 * rationals prefix_i ≥ τ·total), clamp to the last non-zero entry. */
function sortThresholdExact(scores: ArrayLike<number>, tau: number): number {
  const sorted = Array.from(scores).sort((a, b) => b - a);
  const parts = sorted.filter((v) => v > 0).map(decompose);
  const nz = parts.length;
  const base = Math.min(0, ...parts.map(([, e]) => e));
  const prefix: bigint[] = [];
  let acc = 0n;
  for (const [m, e] of parts) prefix.push((acc += m << BigInt(e - base)));
  const [mt, et] = decompose(tau);
  const reaches = (p: bigint) => (et >= 0 ? p >= (mt * acc) << BigInt(et) : p << BigInt(-et) >= mt * acc);
  let idx = sorted.findIndex((_, i) => reaches(i < nz ? prefix[i] : acc));
  if (idx < 0) idx = sorted.length;
  return sorted[Math.min(idx, Math.max(nz - 1, 0))];
}

/** The same with plain float64 running sums (what a straightforward port would write). */
function sortThresholdFloat(scores: ArrayLike<number>, tau: number): number {
  const sorted = Array.from(scores).sort((a, b) => b - a);
  const nz = sorted.filter((v) => v > 0).length;
  const cum: number[] = [];
  let run = 0;
  for (const v of sorted) cum.push((run += v));
  let idx = cum.findIndex((c) => c / run >= tau);
  if (idx < 0) idx = sorted.length;
  return sorted[Math.min(idx, Math.max(nz - 1, 0))];
}

/** circuit-tracer's prune_graph transcribed on dense matrices (power iteration, full sort, mask loop). */
function referencePrune(c: GraphCore, nodeT: number, edgeT: number): { nodeMask: Uint8Array; edgeMask: Uint8Array } {
  const { N, adjacency, w, kinds } = c;
  const I = powerIterationDense(normalizeAbs(adjacency, N), w, N);
  const nodeThr = sortThresholdExact(I, nodeT);
  const nodeMask = Uint8Array.from(I, (v, n) => (v >= nodeThr || kinds[n] === T || kinds[n] === L ? 1 : 0));
  const pruned = adjacency.slice();
  for (let t = 0; t < N; t++) for (let s = 0; s < N; s++) if (!nodeMask[t] || !nodeMask[s]) pruned[t * N + s] = 0;
  const scores = edgeScoresDense(pruned, N, w);
  const edgeThr = sortThresholdExact(scores, edgeT);
  const edgeMask = Uint8Array.from(scores, (v) => (v >= edgeThr ? 1 : 0));
  const prunable = (n: number) => kinds[n] === F || kinds[n] === E;
  const step = () => {
    for (let n = 0; n < N; n++) {
      let out = false;
      let inn = false;
      for (let t = 0; t < N; t++) out ||= edgeMask[t * N + n] === 1;
      for (let s = 0; s < N; s++) inn ||= edgeMask[n * N + s] === 1;
      if (prunable(n) && !out) nodeMask[n] = 0;
      if (kinds[n] === F && !inn) nodeMask[n] = 0;
    }
  };
  let old = nodeMask.slice();
  step();
  while (old.some((v, i) => v !== nodeMask[i])) {
    old = nodeMask.slice();
    for (let t = 0; t < N; t++) for (let s = 0; s < N; s++) if (!nodeMask[t] || !nodeMask[s]) edgeMask[t * N + s] = 0;
    step();
  }
  return { nodeMask, edgeMask };
}

const maxRelDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(1e-12, Math.abs(b[i])));
  return m;
};

// ---------- tests ----------

describe('influence', () => {
  it('reproduces the §3.1 worked example on every path (sweep, power iteration, sparse)', () => {
    const c = workedExample();
    const Ahat = normalizeAbs(c.adjacency, c.N);
    for (const I of [computeInfluence(Ahat, c.w, c.N, c.levels), computeInfluence(Ahat, c.w, c.N), sparseInfluence(sparsify(c))]) {
      for (let n = 0; n < 12; n++) expect(I[n]).toBeCloseTo(expectedI[n], 6);
    }
  });

  it('single sweep equals the power iteration on random layered DAGs', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const c = randomDag(seed, 40 + seed * 3, 0.3);
      const Ahat = normalizeAbs(c.adjacency, c.N);
      const ref = powerIterationDense(Ahat, c.w, c.N);
      expect(maxRelDiff(computeInfluence(Ahat, c.w, c.N, c.levels), ref)).toBeLessThan(1e-6);
      const sg = sparsify(c);
      expect(sg.sweepOrder).not.toBeNull();
      expect(maxRelDiff(sparseInfluence(sg), ref)).toBeLessThan(1e-6);
      // Levels that are not a valid layering must fall back, not give a wrong answer.
      const flat = new Int32Array(c.N);
      expect(maxRelDiff(computeInfluence(Ahat, c.w, c.N, flat), ref)).toBeLessThan(1e-6);
      expect(sparsify({ ...c, levels: flat }).sweepOrder).toBeNull();
      expect(maxRelDiff(sparseInfluence(sparsify({ ...c, levels: flat })), ref)).toBeLessThan(1e-6);
    }
  });

  it('throws like the reference after 1000 iterations on a cycle', () => {
    const c = core(3, [[0, 1, 1], [1, 0, 1], [2, 0, 1]], { 2: 1 }, [0, 0, 1], [F, F, L]);
    const Ahat = normalizeAbs(c.adjacency, 3);
    expect(() => computeInfluence(Ahat, c.w, 3, c.levels)).toThrow(/failed to converge after 1000/);
    expect(() => sparseInfluence(sparsify(c))).toThrow(/failed to converge/);
  });
});

describe('findThreshold', () => {
  const taus = [0, 0.5, 0.8, 0.98, 1.0, 1e-9, 0.3333333333333333];
  const gens: [string, (r: () => number) => number][] = [
    ['continuous', (r) => r() * Math.exp(5 * gauss(r))],
    ['ties+zeros', (r) => (r() < 0.4 ? 0 : [0.1, 0.3, 0.7, 1 / 3, 2][Math.floor(r() * 5)])],
    ['few ties', (r) => [0.1, 0.2][Math.floor(r() * 2)]],
    ['mostly zero', (r) => (r() < 0.97 ? 0 : r())],
  ];
  it('matches the exact sort-based definition on random inputs (float32 and float64)', () => {
    let cases = 0;
    for (const [name, gen] of gens) {
      for (const n of [1, 2, 3, 7, 50, 1000, 20000]) {
        const r = rng(n * 31 + name.length);
        const v64 = Float64Array.from({ length: n }, () => gen(r));
        for (const arr of [v64, Float32Array.from(v64)]) {
          for (const tau of [...taus, r()]) {
            const want = sortThresholdExact(arr, tau);
            expect(findThreshold(arr, tau), `${name} n=${n} tau=${tau}`).toBe(want);
            cases++;
          }
        }
      }
    }
    expect(cases).toBeGreaterThan(300);
  });

  it('matches a plain float64 sort-and-cumsum port on continuous data', () => {
    for (let seed = 0; seed < 30; seed++) {
      const r = rng(seed);
      const v = Float32Array.from({ length: 500 + seed * 100 }, () => (r() < 0.5 ? 0 : r() ** 3));
      for (const tau of [0, 0.5, 0.8, 0.98, r()]) expect(findThreshold(v, tau)).toBe(sortThresholdFloat(v, tau));
    }
  });

  it('hits boundaries exactly: ten 0.1s at τ = 0.5 give 0.1, zeros only give 0', () => {
    expect(findThreshold(new Float64Array(10).fill(0.1), 0.5)).toBe(0.1);
    expect(findThreshold(Float64Array.from([3, 1, 1, 0]), 0.6)).toBe(3);
    expect(findThreshold(Float64Array.from([3, 1, 1, 0]), 0.61)).toBe(1);
    expect(findThreshold(new Float32Array(5), 0.5)).toBe(0);
    expect(() => findThreshold(Float64Array.from([1, -1]), 0.5)).toThrow(RangeError);
  });

  it('τ = 1 never selects a zero score (circuit-tracer regression input)', () => {
    const s = Float32Array.from([0.91275554895401, 0.8132702112197876, 0.016527635976672173, 0, 0, 0]);
    expect(findThreshold(s, 1.0)).toBe(Math.fround(0.016527635976672173));
    // A tiny entry whose addition does not change a float sum still counts at τ = 1.
    expect(findThreshold(Float64Array.from([1, 1e-20]), 1.0)).toBe(1e-20);
  });

  it('handles an N²-sized, mostly zero score array without sorting it', () => {
    const r = rng(7);
    const n = 6000 * 6000;
    const s = new Float32Array(n);
    for (let i = 0; i < n; i += 1 + Math.floor(r() * 40)) s[i] = r() ** 4;
    const t0 = performance.now();
    const thr = findThreshold(s, 0.98);
    const ms = performance.now() - t0;
    console.log(`findThreshold over ${n} entries (${Math.round(n / 20.5)} non-zero): ${ms.toFixed(1)} ms`);
    let kept = 0, keptMass = 0, total = 0;
    for (let i = 0; i < n; i++) {
      total += s[i];
      if (s[i] >= thr) {
        kept++;
        keptMass += s[i];
      }
    }
    expect(keptMass / total).toBeGreaterThanOrEqual(0.98 - 1e-9);
    expect(kept).toBeGreaterThan(0);
  });
});

describe('edge scores and pruning', () => {
  it('edge scores after removing two edges (test_graph.py): row 11 → 1/4, row 3 → 1/8, row 1 → 3/16', () => {
    const c = workedExample();
    const pruned = c.adjacency.slice();
    pruned[0 * 12 + 9] = 0;
    pruned[3 * 12 + 0] = 0;
    for (const levels of [c.levels, undefined]) {
      const S = edgeScoresDense(pruned, 12, c.w, levels);
      const want = new Float32Array(144);
      for (const s of [1, 3, 6, 8]) want[11 * 12 + s] = 1 / 4;
      for (const s of [1, 6]) want[3 * 12 + s] = 1 / 8;
      for (const s of [9, 10]) want[1 * 12 + s] = 3 / 16;
      for (let i = 0; i < 144; i++) expect(S[i]).toBeCloseTo(want[i], 7);
    }
  });

  it('prunes the worked example exactly as circuit-tracer: node 0 goes, those two edges go', () => {
    const c = workedExample();
    const res = pruneGraph(c); // 0.8 / 0.98
    expect(res.stats.nodeThresholdValue).toBeCloseTo(1 / 4, 7);
    expect([...res.nodeMask]).toEqual([0, 1, 0, 1, 0, 0, 1, 0, 1, 1, 1, 1]);
    const kept = [...res.edgeMask.target].map((t, i) => [t, res.edgeMask.source[i], res.edgeMask.score[i]]);
    expect(kept.map(([t, s]) => [t, s])).toEqual([[1, 9], [1, 10], [3, 1], [3, 6], [11, 1], [11, 3], [11, 6], [11, 8]]);
    expect(kept.map(([, , v]) => v)).toEqual([3 / 16, 3 / 16, 1 / 8, 1 / 8, 1 / 4, 1 / 4, 1 / 4, 1 / 4]);
    // cumulative influence: nodes 1 and 6 (1/3 each) first → 0.2, 0.4; zero-influence nodes end at 1.
    expect(res.cumulativeScores[1]).toBeCloseTo(0.2, 6);
    expect(res.cumulativeScores[6]).toBeCloseTo(0.4, 6);
    expect(res.cumulativeScores[2]).toBeCloseTo(1, 6);
    // At edge τ = 0.8 the 1/8 edges into node 3 fall below the cut (cum 19/26 < 0.8 ≤ 22/26 at 3/16);
    // feature 3 then has no input and is cleaned up, taking 11 ← 3 with it.
    const r2 = pruneGraph(c, { edgeThreshold: 0.8 });
    expect(r2.stats.edgeThresholdValue).toBe(Math.fround(3 / 16));
    expect(r2.nodeMask[3]).toBe(0);
    expect(hasEdge(r2.edgeMask, 11, 3)).toBe(false);
    expect(hasEdge(r2.edgeMask, 11, 1)).toBe(true);
    expect(r2.stats.cleanupRemovedNodes).toBe(1);
  });

  it('matches a dense transcription of prune_graph and keeps its invariants on random graphs', () => {
    const thresholds: [number, number][] = [[0.8, 0.98], [0.5, 0.9], [1, 1], [0, 0.98], [0.95, 0.5], [0.3, 0]];
    let cleanups = 0;
    for (let seed = 1; seed <= 6; seed++) {
      const g = randomGraph(seed, 60 + 10 * seed, 4, 5, 3, 0.25);
      const c = coreOf(g);
      const { N, kinds, adjacency } = c;
      const prepared = preparePruning(g);
      // Levels that are not a layering force the power-iteration paths; results must not change.
      const unlayered = preparePruning({ ...c, levels: new Int32Array(N) });
      expect(unlayered.sweepOrder).toBeNull();
      for (const [nt, et] of thresholds) {
        const res = prepared.prune(nt, et);
        const ref = referencePrune(c, nt, et);
        cleanups += res.stats.cleanupRemovedNodes;
        const alt = unlayered.prune(nt, et);
        expect([...alt.nodeMask]).toEqual([...res.nodeMask]);
        expect([...alt.edgeMask.source]).toEqual([...res.edgeMask.source]);
        expect([...res.nodeMask], `seed ${seed} ${nt}/${et}`).toEqual([...ref.nodeMask]);
        expect([...denseEdgeMask(res.edgeMask, N)]).toEqual([...ref.edgeMask]);
        const inn = new Int32Array(N), out = new Int32Array(N);
        for (let k = 0; k < res.edgeMask.count; k++) {
          const [t, s] = [res.edgeMask.target[k], res.edgeMask.source[k]];
          expect(res.nodeMask[t] && res.nodeMask[s]).toBe(1);
          expect(adjacency[t * N + s]).toBe(res.edgeMask.weight[k]);
          expect(res.edgeMask.weight[k]).not.toBe(0);
          inn[t]++;
          out[s]++;
        }
        for (let n = 0; n < N; n++) {
          if (kinds[n] === T || kinds[n] === L) expect(res.nodeMask[n]).toBe(1);
          if (res.nodeMask[n] && (kinds[n] === F || kinds[n] === E)) expect(out[n]).toBeGreaterThan(0);
          if (res.nodeMask[n] && kinds[n] === F) expect(inn[n]).toBeGreaterThan(0);
        }
        if (nt === 1 && et === 1) {
          // τ = 1 keeps every node with influence and, before clean-up, every real edge among them.
          const I = prepared.influence;
          expect(res.stats.nodesAfterNodePruning).toBe([...I].filter((v, n) => v > 0 || kinds[n] === T || kinds[n] === L).length);
          expect(res.stats.edgeThresholdValue).toBeGreaterThan(0);
        }
        if (nt === 0) {
          const maxI = Math.max(...prepared.influence);
          const top = [...prepared.influence].filter((v, n) => v === maxI && kinds[n] !== T && kinds[n] !== L).length;
          expect(res.stats.nodesAfterNodePruning).toBe(kinds.filter((k) => k === T || k === L).length + top);
        }
      }
    }
    expect(cleanups).toBeGreaterThan(0); // the clean-up cascade was exercised
  });

  it('edge threshold 1 keeps every non-zero edge between kept nodes (circuit-tracer regression graph)', () => {
    // tok → f1 → f2, f1, f2 → logit; node order [f1, f2, err0, err1, tok, logit].
    const c = core(6, [[0, 4, 1], [1, 0, 1], [5, 0, 0.43596285581588745], [5, 1, 0.7308765649795532]], { 5: 1 }, [0, 1, 0, 1, -1, 2], [F, F, E, E, T, L]);
    const res = pruneGraph(c, { nodeThreshold: 0.8, edgeThreshold: 1 });
    const dense = denseEdgeMask(res.edgeMask, 6);
    for (let t = 0; t < 6; t++) {
      for (let s = 0; s < 6; s++) {
        const real = c.adjacency[t * 6 + s] !== 0 && res.nodeMask[t] === 1 && res.nodeMask[s] === 1;
        expect(dense[t * 6 + s]).toBe(real ? 1 : 0);
      }
    }
  });

  it('re-prunes a 5,000-node graph quickly', () => {
    const g = randomGraph(42, 4570, 20, 20, 10, 0.3);
    const N = graphLayout(g).N;
    let nnz = 0;
    for (let i = 0; i < g.adjacency.length; i++) if (g.adjacency[i] !== 0) nnz++;
    const t0 = performance.now();
    const prepared = preparePruning(g);
    const prepMs = performance.now() - t0;
    const times: number[] = [];
    const runs: [number, number][] = [[0.8, 0.98], [0.7, 0.95], [0.9, 0.99], [0.6, 0.9]];
    for (let rep = 0; rep < 5; rep++) {
      for (const [nt, et] of runs) {
        const t1 = performance.now();
        const res = prepared.prune(nt, et);
        const ms = performance.now() - t1;
        expect(res.stats.nodesKept).toBeGreaterThan(30);
        if (nt === 0.8) times.push(ms);
        if (rep === 4) console.log(`${nt}/${et}: ${ms.toFixed(1)} ms`, JSON.stringify(res.stats));
      }
    }
    const sorted = [...times].sort((a, b) => a - b);
    console.log(
      `N=${N}, non-zero ${(100 * nnz / (N * N)).toFixed(1)}%: prepare ${prepMs.toFixed(0)} ms; re-prune at 0.8/0.98: ${times.map((t) => t.toFixed(1)).join(', ')} ms (min ${sorted[0].toFixed(1)}, median ${sorted[2].toFixed(1)})`,
    );
    expect(sorted[2]).toBeLessThan(500);
  });
});

describe('graph scores', () => {
  it('computes replacement 11/12 and completeness 32/33 on the hand-worked 9-node graph', () => {
    // features 0,1; errors 2..5 (2 layers × 2 positions); tokens 6,7; logit 8 (test_compute_graph_scores).
    const c = core(9, [[0, 6, 0.8], [1, 7, 0.8], [8, 0, 0.5], [8, 1, 0.5], [2, 6, 0.2], [3, 7, 0.2], [8, 2, 0.1]], { 8: 1 }, [0, 1, 0, 0, 1, 1, -1, -1, 2], [F, F, E, E, E, E, T, T, L]);
    const s = graphScores(c);
    expect(s.replacement).toBeCloseTo(11 / 12, 6);
    expect(s.completeness).toBeCloseTo(32 / 33, 6);
    const p = preparePruning(c);
    expect(graphScores(p)).toEqual(s);
  });

  it('agrees with the dense formulas on a random graph (AttributionGraph input)', () => {
    const g = randomGraph(3, 80, 3, 4, 2, 0.3);
    const c = coreOf(g);
    const Ahat = normalizeAbs(c.adjacency, c.N);
    const I = powerIterationDense(Ahat, c.w, c.N);
    let tok = 0, err = 0, num = 0, den = 0;
    for (let n = 0; n < c.N; n++) {
      if (c.kinds[n] === T) tok += I[n];
      if (c.kinds[n] === E) err += I[n];
      let e = 0;
      for (let s = 0; s < c.N; s++) if (c.kinds[s] === E) e += Ahat[n * c.N + s];
      num += (1 - e) * (I[n] + c.w[n]);
      den += I[n] + c.w[n];
    }
    const s = graphScores(g);
    expect(s.replacement).toBeCloseTo(tok / (tok + err), 6);
    expect(s.completeness).toBeCloseTo(num / den, 6);
  });
});
