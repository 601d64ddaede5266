/** Top-k paths and neighbourhood queries against brute-force enumeration on small random DAGs. */
import { describe, expect, it } from 'vitest';
import { NodeKind } from '../shared/graph';
import type { GraphCore } from '../main/graph/influence';
import { sparsify } from '../main/graph/influence';
import type { EdgeList } from '../main/graph/prune';
import { hasEdge, preparePruning, pruneGraph } from '../main/graph/prune';
import type { Path } from '../main/graph/paths';
import { downstream, downstreamSet, topPaths, upstream, upstreamSet } from '../main/graph/paths';
import { mulberry32 as rng } from '../shared/prng';


const F = NodeKind.feature, E = NodeKind.error, T = NodeKind.token, L = NodeKind.logit;

/** Random layered DAG: tokens (level −1) and errors are sources, logits (level `top`) are sinks; node
 * order is shuffled relative to levels. */
function randomDag(seed: number, N: number, density: number): GraphCore {
  const r = rng(seed);
  const top = 5;
  const kinds = new Uint8Array(N);
  const levels = new Int32Array(N);
  for (let n = 0; n < N; n++) {
    const u = r();
    kinds[n] = n < 2 ? L : n < 5 ? T : u < 0.15 ? E : F;
    levels[n] = kinds[n] === L ? top : kinds[n] === T ? -1 : Math.floor(r() * top);
  }
  const adjacency = new Float32Array(N * N);
  for (let t = 0; t < N; t++) {
    if (kinds[t] === T || kinds[t] === E) continue;
    for (let s = 0; s < N; s++) if (levels[s] < levels[t] && kinds[s] !== L && r() < density) adjacency[t * N + s] = (r() - 0.35) * (0.1 + r());
  }
  const w = new Float64Array(N);
  w[0] = 0.7;
  w[1] = 0.2;
  return { N, adjacency, w, levels, kinds };
}

function share(c: GraphCore, t: number, s: number): number {
  let sum = 0;
  for (let j = 0; j < c.N; j++) sum += Math.abs(c.adjacency[t * c.N + j]);
  return Math.abs(c.adjacency[t * c.N + s]) / sum;
}

/** Every path ending at `to` that starts in `from` (≥ 1 edge, ≤ maxDepth edges), best first. */
function bruteForce(c: GraphCore, to: number, from: Set<number>, maxDepth: number, mask?: EdgeList): { nodes: number[]; score: number }[] {
  const out: { nodes: number[]; score: number }[] = [];
  const edge = (t: number, s: number) => (mask ? hasEdge(mask, t, s) : c.adjacency[t * c.N + s] !== 0);
  const extend = (suffix: number[]) => {
    const head = suffix[0];
    if (suffix.length > 1 && from.has(head)) {
      let score = 1;
      for (let i = 1; i < suffix.length; i++) score *= share(c, suffix[i], suffix[i - 1]);
      out.push({ nodes: suffix, score });
    }
    if (suffix.length - 1 >= maxDepth) return;
    for (let s = 0; s < c.N; s++) if (edge(head, s)) extend([s, ...suffix]);
  };
  extend([to]);
  return out.sort((a, b) => b.score - a.score);
}

function checkAgainstBruteForce(c: GraphCore, got: Path[], want: { nodes: number[]; score: number }[], k: number, label: string) {
  const top = want.slice(0, k);
  expect(got.length, label).toBe(top.length);
  got.forEach((p, i) => expect(p.score, label).toBeCloseTo(top[i].score, 12));
  const distinct = top.every((p, i) => i === 0 || p.score !== top[i - 1].score) && (want.length <= k || want[k].score !== top[k - 1].score);
  if (distinct) expect(got.map((p) => p.nodes), label).toEqual(top.map((p) => p.nodes));
  // Every returned path is a real, distinct path whose edges carry the claimed shares, weights and sign.
  expect(new Set(got.map((p) => p.nodes.join(','))).size).toBe(got.length);
  for (const p of got) {
    let sign = 1;
    p.edges.forEach((e, i) => {
      expect([e.source, e.target]).toEqual([p.nodes[i], p.nodes[i + 1]]);
      expect(e.weight).toBe(c.adjacency[e.target * c.N + e.source]);
      expect(e.share).toBeCloseTo(share(c, e.target, e.source), 12);
      sign *= Math.sign(e.weight);
    });
    expect(p.sign).toBe(sign);
  }
}

describe('topPaths', () => {
  it('equals brute-force enumeration on random DAGs (default sources, explicit sources, maxDepth)', () => {
    let checked = 0;
    let multi = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const c = randomDag(seed, 14 + (seed % 9), 0.35);
      const sg = sparsify(c);
      const r = rng(seed + 1000);
      const tokens = new Set([...c.kinds.keys()].filter((n) => c.kinds[n] === T));
      const others = new Set([...c.kinds.keys()].filter((n) => c.kinds[n] !== L && r() < 0.4));
      for (const to of [0, 1, 5 + Math.floor(r() * (c.N - 5))]) {
        for (const [from, name] of [[tokens, 'tokens'], [others, 'random']] as const) {
          for (const maxDepth of [undefined, 1, 2, 3]) {
            const all = bruteForce(c, to, from, maxDepth ?? Infinity);
            if (all.length > 10 && all.some((p) => p.nodes.length > 3)) multi++;
            for (const k of [1, 3, 10, 1000]) {
              const got = topPaths(sg, { to, k, maxDepth, from: name === 'tokens' ? undefined : [...from] });
              checkAgainstBruteForce(c, got, all, k, `seed ${seed} to ${to} from ${name} depth ${maxDepth} k ${k}`);
              checked++;
            }
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(1000);
    expect(multi).toBeGreaterThan(100); // the cases are not trivial: many paths, some with ≥ 3 edges
  });

  it('searches only kept edges when given a prune mask', () => {
    for (let seed = 50; seed < 65; seed++) {
      const c = randomDag(seed, 24, 0.4);
      const prepared = preparePruning(c);
      const { edgeMask, nodeMask } = prepared.prune(0.9, 0.9);
      const tokens = new Set([...c.kinds.keys()].filter((n) => c.kinds[n] === T));
      for (const maxDepth of [undefined, 2]) {
        const got = topPaths(prepared, { to: 0, k: 5, mask: edgeMask, maxDepth });
        checkAgainstBruteForce(c, got, bruteForce(c, 0, tokens, maxDepth ?? Infinity, edgeMask), 5, `seed ${seed}`);
        for (const p of got) for (const n of p.nodes) expect(nodeMask[n]).toBe(1);
      }
    }
  });

  it('ranks the worked example of §3.1', () => {
    // 11 ← {1,3,6,8}; 3 ← {0,1,6}; 1 ← {9,10}; 0 ← {9}; equal weights; tokens 6, 8, 9, 10.
    const N = 12;
    const adjacency = new Float32Array(N * N);
    const edges: [number, number][] = [[11, 1], [11, 3], [11, 6], [11, 8], [3, 0], [3, 1], [3, 6], [1, 9], [1, 10], [0, 9]];
    for (const [t, s] of edges) adjacency[t * N + s] = t === 3 && s === 1 ? -10 : 10;
    const kinds = Uint8Array.from([F, F, E, F, E, E, T, E, T, T, T, L]);
    const levels = Int32Array.from([0, 0, 0, 1, 0, 0, -1, 0, -1, -1, -1, 2]);
    const c: GraphCore = { N, adjacency, w: Float64Array.from({ length: N }, (_, n) => (n === 11 ? 1 : 0)), levels, kinds };
    const paths = topPaths(c, { to: 11, k: 20 });
    expect(paths.map((p) => p.score)).toEqual([1 / 4, 1 / 4, 1 / 8, 1 / 8, 1 / 12, 1 / 12, 1 / 24, 1 / 24].map((x) => expect.closeTo(x, 12)));
    const byKey = new Map(paths.map((p) => [p.nodes.join('>'), p]));
    expect([...byKey.keys()].sort()).toEqual(['10>1>11', '10>1>3>11', '6>11', '6>3>11', '8>11', '9>0>3>11', '9>1>11', '9>1>3>11']);
    expect(byKey.get('9>1>3>11')!.sign).toBe(-1);
    expect(byKey.get('9>0>3>11')!.sign).toBe(1);
    expect(topPaths(c, { to: 11, k: 1, from: [0, 1] }).map((p) => p.nodes)).toEqual([[1, 11]]);
    expect(topPaths(c, { to: 11, maxDepth: 1 }).map((p) => p.nodes.join('>')).sort()).toEqual(['6>11', '8>11']);
    expect(topPaths(c, { to: 11, maxDepth: 2 }).map((p) => p.score)).toEqual([1 / 4, 1 / 4, 1 / 8, 1 / 8, 1 / 12]);
  });
});

describe('direct links and reachability', () => {
  it('upstream/downstream equal a dense scan; sets equal brute-force reachability', () => {
    for (let seed = 1; seed <= 15; seed++) {
      const c = randomDag(seed, 30, 0.3);
      const mask = pruneGraph(c, { nodeThreshold: 0.95, edgeThreshold: 0.95 }).edgeMask;
      for (const useMask of [false, true]) {
        const has = (t: number, s: number) => (useMask ? hasEdge(mask, t, s) : c.adjacency[t * c.N + s] !== 0);
        const opt = useMask ? { mask } : {};
        for (let n = 0; n < c.N; n++) {
          for (const [k, minShare] of [[3, 0], [100, 0.2]]) {
            type Link = { node: number; weight: number; share: number };
            const ups: Link[] = [];
            const downs: Link[] = [];
            for (let m = 0; m < c.N; m++) {
              if (has(n, m)) ups.push({ node: m, weight: c.adjacency[n * c.N + m], share: share(c, n, m) });
              if (has(m, n)) downs.push({ node: m, weight: c.adjacency[m * c.N + n], share: share(c, m, n) });
            }
            const pick = (xs: Link[]) => xs.filter((x) => x.share >= minShare).sort((a, b) => b.share - a.share || a.node - b.node).slice(0, k);
            const clean = (xs: readonly Link[]) => xs.map((x) => ({ ...x, share: Number(x.share.toPrecision(12)) }));
            expect(clean(upstream(c, n, { ...opt, k, minShare }))).toEqual(clean(pick(ups)));
            expect(clean(downstream(c, n, { ...opt, k, minShare }))).toEqual(clean(pick(downs)));
          }
          // Reachability by repeated relaxation.
          for (const depth of [1, 2, Infinity]) {
            for (const dir of ['up', 'down'] as const) {
              const dist = new Map<number, number>([[n, 0]]);
              for (let d = 1; d <= Math.min(depth, c.N); d++) {
                for (const [x, dx] of [...dist]) {
                  if (dx !== d - 1) continue;
                  for (let m = 0; m < c.N; m++) if ((dir === 'up' ? has(x, m) : has(m, x)) && !dist.has(m)) dist.set(m, d);
                }
              }
              dist.delete(n);
              const want = [...dist].map(([node, distance]) => ({ node, distance })).sort((a, b) => a.distance - b.distance || a.node - b.node);
              const got = (dir === 'up' ? upstreamSet : downstreamSet)(c, n, { depth, ...opt });
              expect(got).toEqual(want);
            }
          }
        }
      }
    }
  });
});
