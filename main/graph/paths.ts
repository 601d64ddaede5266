/**
 * Path queries on an attribution graph: top-k strongest paths into a node, direct inputs/outputs, and
 * upstream/downstream reachability — over all non-zero edges or only the edges kept by a prune.
 *
 * A path's score is the product of its edges' shares, share(s → t) = |A[t,s]| / Σ_s' |A[t,s']| (the edge's
 * fraction of its target's total absolute input on the UNPRUNED graph, also when a mask restricts which
 * edges may be used); its sign is the product of the edge signs.
 *
 * Exact top-k: the graph is a DAG, so a dynamic program over nodes in topological order keeps, per node,
 * the k best path scores reaching it from a `from` node (with back-pointers). A node's list is a k-way
 * merge of its in-neighbours' sorted lists scaled by the edge share: scanning a neighbour's list stops at
 * the first candidate that cannot enter the current top-k, so the cost is ~O(edges + nodes·k). With a
 * `maxDepth` the program is layered by path length instead (state = node × number of edges, pushed forward
 * from the previous layer's nodes), which stays exact when the best path is too long; the ancestor search
 * already discards nodes farther than maxDepth from the target. Equal scores keep their discovery order.
 */
import { NodeKind } from '../../shared/graph';
import type { SparseGraph } from './influence';
import { isSparseGraph, sparsify, coreOf } from './influence';
import type { EdgeList, GraphInput } from './prune';

export interface PathEdge {
  readonly source: number;
  readonly target: number;
  readonly weight: number;
  readonly share: number;
}
export interface Path {
  /** Source → … → target. */
  readonly nodes: number[];
  readonly score: number;
  readonly sign: 1 | -1;
  readonly edges: PathEdge[];
}
export interface TopPathsOptions {
  readonly to: number;
  /** Start nodes (default: every token node). */
  readonly from?: readonly number[];
  readonly k?: number;
  /** Maximum number of edges. */
  readonly maxDepth?: number;
  /** Search only these (kept) edges. */
  readonly mask?: EdgeList;
}
export interface DirectLink {
  readonly node: number;
  readonly weight: number;
  readonly share: number;
}
export interface LinkOptions {
  readonly k?: number;
  readonly minShare?: number;
  readonly mask?: EdgeList;
}
export interface Reached {
  readonly node: number;
  readonly distance: number;
}

/** Edges grouped by one endpoint: entries [ptr[n], ptr[n+1]) hold the other endpoint and the raw A value. */
interface Adjacency {
  readonly ptr: Int32Array;
  readonly other: Int32Array;
  readonly weight: Float32Array;
}

const sparseCache = new WeakMap<object, SparseGraph>();
const outCache = new WeakMap<object, Adjacency>();

function sparseOf(g: GraphInput): SparseGraph {
  if (isSparseGraph(g)) return g;
  let sg = sparseCache.get(g);
  if (!sg) sparseCache.set(g, (sg = sparsify('formatVersion' in g ? coreOf(g) : g)));
  return sg;
}

function inEdges(sg: SparseGraph, mask?: EdgeList): Adjacency {
  return mask ? { ptr: mask.rowPtr, other: mask.source, weight: mask.weight } : { ptr: sg.rowPtr, other: sg.col, weight: sg.val };
}

/** The transposed view (cached per edge set): out-edges of each source. */
function outEdges(N: number, inE: Adjacency): Adjacency {
  const cached = outCache.get(inE.other);
  if (cached) return cached;
  const ptr = new Int32Array(N + 1);
  for (let i = 0; i < inE.other.length; i++) ptr[inE.other[i] + 1]++;
  for (let n = 0; n < N; n++) ptr[n + 1] += ptr[n];
  const fill = ptr.slice(0, N);
  const other = new Int32Array(inE.other.length);
  const weight = new Float32Array(inE.other.length);
  for (let t = 0; t < N; t++) {
    for (let p = inE.ptr[t]; p < inE.ptr[t + 1]; p++) {
      const q = fill[inE.other[p]]++;
      other[q] = t;
      weight[q] = inE.weight[p];
    }
  }
  const out = { ptr, other, weight };
  outCache.set(inE.other, out);
  return out;
}

/** k best (score, predecessor, predecessor's rank), sorted by score descending. */
interface KList {
  readonly score: number[];
  readonly pred: number[];
  readonly rank: number[];
}

function insert(list: KList, k: number, score: number, pred: number, rank: number): void {
  let i = list.score.length;
  if (i === k) i--;
  while (i > 0 && list.score[i - 1] < score) {
    list.score[i] = list.score[i - 1];
    list.pred[i] = list.pred[i - 1];
    list.rank[i] = list.rank[i - 1];
    i--;
  }
  list.score[i] = score;
  list.pred[i] = pred;
  list.rank[i] = rank;
}

/** Merge the in-neighbours' lists (from `prev`) into n's top-k list. */
function mergeNode(n: number, k: number, trivial: boolean, inE: Adjacency, rowAbsSum: Float64Array, prev: (s: number) => KList | undefined): KList | undefined {
  const list: KList = { score: [], pred: [], rank: [] };
  if (trivial) insert(list, k, 1, -1, -1);
  for (let p = inE.ptr[n]; p < inE.ptr[n + 1]; p++) {
    const from = prev(inE.other[p]);
    if (!from) continue;
    const share = Math.abs(inE.weight[p]) / rowAbsSum[n];
    if (!(share > 0)) continue;
    for (let j = 0; j < from.score.length; j++) {
      const cand = from.score[j] * share;
      if (list.score.length === k && !(cand > list.score[k - 1])) break; // later entries are smaller still
      insert(list, k, cand, inE.other[p], j);
    }
  }
  return list.score.length > 0 ? list : undefined;
}

export function topPaths(g: GraphInput, opts: TopPathsOptions): Path[] {
  const sg = sparseOf(g);
  const { N, kinds, rowAbsSum } = sg;
  const { to, k = 10, maxDepth, mask } = opts;
  if (!(to >= 0 && to < N)) throw new RangeError(`topPaths: node ${to} out of range`);
  if (k <= 0) return [];
  const inE = inEdges(sg, mask);
  const isFrom = new Uint8Array(N);
  if (opts.from) for (const n of opts.from) isFrom[n] = 1;
  else for (let n = 0; n < N; n++) isFrom[n] = kinds[n] === NodeKind.token ? 1 : 0;

  // Ancestors of `to` within maxDepth (BFS distance to `to`); only they can lie on a path.
  const dist = bfs(N, inE, to, maxDepth ?? Infinity);
  const relevant: number[] = [];
  for (let n = 0; n < N; n++) if (dist[n] >= 0) relevant.push(n);

  if (maxDepth === undefined) {
    const best = new Array<KList | undefined>(N);
    for (const n of topoOrder(sg, inE, relevant, dist)) best[n] = mergeNode(n, k, isFrom[n] === 1 && n !== to, inE, rowAbsSum, (s) => best[s]);
    const list = best[to];
    if (!list) return [];
    return list.score.map((_, r) => buildPath(sg, inE, walk(to, r, (n, i) => [best[n]!.pred[i], best[n]!.rank[i]])));
  }
  // Layered by path length: layer d holds the k best paths with exactly d edges (arrays indexed by node).
  const layers: (KList | undefined)[][] = [new Array<KList | undefined>(N)];
  let active: number[] = [];
  for (const n of relevant) {
    if (isFrom[n]) {
      layers[0][n] = { score: [1], pred: [-1], rank: [-1] };
      active.push(n);
    }
  }
  // Pushed forward from the previous layer's nodes, so early layers (few sources) stay cheap.
  const outE = outEdges(N, inE);
  const finals: { d: number; r: number; score: number }[] = [];
  for (let d = 1; d <= maxDepth && active.length > 0; d++) {
    const prev = layers[d - 1];
    const next = new Array<KList | undefined>(N);
    const reached: number[] = [];
    for (const s of active) {
      const from = prev[s]!;
      for (let q = outE.ptr[s]; q < outE.ptr[s + 1]; q++) {
        const t = outE.other[q];
        if (dist[t] < 0 || dist[t] > maxDepth - d) continue;
        const share = Math.abs(outE.weight[q]) / rowAbsSum[t];
        if (!(share > 0)) continue;
        let list = next[t];
        if (!list) {
          list = next[t] = { score: [], pred: [], rank: [] };
          reached.push(t);
        }
        for (let j = 0; j < from.score.length; j++) {
          const cand = from.score[j] * share;
          if (list.score.length === k && !(cand > list.score[k - 1])) break;
          insert(list, k, cand, s, j);
        }
      }
    }
    active = reached;
    layers.push(next);
    next[to]?.score.forEach((score, r) => finals.push({ d, r, score }));
  }
  finals.sort((a, b) => b.score - a.score || a.d - b.d || a.r - b.r);
  return finals.slice(0, k).map(({ d, r }) => {
    let layer = d;
    return buildPath(sg, inE, walk(to, r, (n, i) => {
      const list = layers[layer--][n]!;
      return [list.pred[i], list.rank[i]];
    }));
  });
}

/** Follow back-pointers from (node, rank) to the start; returns source → … → end. */
function walk(end: number, rank: number, back: (n: number, r: number) => [number, number]): number[] {
  const nodes = [end];
  let [n, r] = [end, rank];
  for (;;) {
    const [p, pr] = back(n, r);
    if (p < 0) break;
    nodes.push(p);
    [n, r] = [p, pr];
  }
  return nodes.reverse();
}

function buildPath(sg: SparseGraph, inE: Adjacency, nodes: number[]): Path {
  const edges: PathEdge[] = [];
  let score = 1;
  let sign: 1 | -1 = 1;
  for (let i = 1; i < nodes.length; i++) {
    const [source, target] = [nodes[i - 1], nodes[i]];
    let weight = 0;
    for (let p = inE.ptr[target]; p < inE.ptr[target + 1]; p++) if (inE.other[p] === source) weight = inE.weight[p];
    const share = Math.abs(weight) / sg.rowAbsSum[target];
    score *= share;
    if (weight < 0) sign = sign === 1 ? -1 : 1;
    edges.push({ source, target, weight, share });
  }
  return { nodes, score, sign, edges };
}

/** BFS distances from `start` along `adj` (−1 = unreached), expanding nodes closer than maxDepth. */
function bfs(N: number, adj: Adjacency, start: number, maxDepth: number): Int32Array {
  const dist = new Int32Array(N).fill(-1);
  dist[start] = 0;
  const queue = [start];
  for (let qi = 0; qi < queue.length; qi++) {
    const n = queue[qi];
    if (dist[n] >= maxDepth) continue;
    for (let p = adj.ptr[n]; p < adj.ptr[n + 1]; p++) {
      const m = adj.other[p];
      if (dist[m] < 0) {
        dist[m] = dist[n] + 1;
        queue.push(m);
      }
    }
  }
  return dist;
}

/** Topological order of the relevant nodes: by level when the graph is layered, else Kahn's algorithm. */
function topoOrder(sg: SparseGraph, inE: Adjacency, relevant: number[], dist: Int32Array): number[] {
  if (sg.sweepOrder) return relevant.sort((a, b) => sg.levels[a] - sg.levels[b] || a - b);
  const indeg = new Int32Array(sg.N);
  for (const n of relevant) for (let p = inE.ptr[n]; p < inE.ptr[n + 1]; p++) if (dist[inE.other[p]] >= 0) indeg[n]++;
  const outE = outEdges(sg.N, inE);
  const order = relevant.filter((n) => indeg[n] === 0);
  for (let i = 0; i < order.length; i++) {
    const s = order[i];
    for (let q = outE.ptr[s]; q < outE.ptr[s + 1]; q++) {
      const t = outE.other[q];
      if (dist[t] >= 0 && --indeg[t] === 0) order.push(t);
    }
  }
  if (order.length < relevant.length) throw new Error('topPaths: the graph has a cycle');
  return order;
}

function links(adj: Adjacency, n: number, share: (other: number, weight: number) => number, opts: LinkOptions): DirectLink[] {
  const { k = 10, minShare = 0 } = opts;
  const out: DirectLink[] = [];
  for (let p = adj.ptr[n]; p < adj.ptr[n + 1]; p++) {
    const s = share(adj.other[p], adj.weight[p]);
    if (s >= minShare && s > 0) out.push({ node: adj.other[p], weight: adj.weight[p], share: s });
  }
  return out.sort((a, b) => b.share - a.share || a.node - b.node).slice(0, k);
}

/** The strongest direct inputs of `node` (share of node's input), strongest first. */
export function upstream(g: GraphInput, node: number, opts: LinkOptions = {}): DirectLink[] {
  const sg = sparseOf(g);
  return links(inEdges(sg, opts.mask), node, (_s, w) => Math.abs(w) / sg.rowAbsSum[node], opts);
}

/** The strongest direct outputs of `node` (share of each target's input), strongest first. */
export function downstream(g: GraphInput, node: number, opts: LinkOptions = {}): DirectLink[] {
  const sg = sparseOf(g);
  return links(outEdges(sg.N, inEdges(sg, opts.mask)), node, (t, w) => Math.abs(w) / sg.rowAbsSum[t], opts);
}

function reach(N: number, adj: Adjacency, node: number, depth: number): Reached[] {
  const dist = bfs(N, adj, node, depth);
  const out: Reached[] = [];
  for (let n = 0; n < N; n++) if (dist[n] > 0) out.push({ node: n, distance: dist[n] });
  return out.sort((a, b) => a.distance - b.distance || a.node - b.node);
}

/** Nodes with a path into `node` of at most `depth` edges (default: any), nearest first. */
export function upstreamSet(g: GraphInput, node: number, opts: { depth?: number; mask?: EdgeList } = {}): Reached[] {
  const sg = sparseOf(g);
  return reach(sg.N, inEdges(sg, opts.mask), node, opts.depth ?? Infinity);
}

/** Nodes reachable from `node` in at most `depth` edges (default: any), nearest first. */
export function downstreamSet(g: GraphInput, node: number, opts: { depth?: number; mask?: EdgeList } = {}): Reached[] {
  const sg = sparseOf(g);
  return reach(sg.N, outEdges(sg.N, inEdges(sg, opts.mask)), node, opts.depth ?? Infinity);
}
