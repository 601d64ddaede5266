/**
 * `attributeGraph`: circuit-tracer's attribution (method brief §2) on the engine's programs.
 * 1. Frozen context: one forward run, transcoder features and errors (context.ts).
 * 2. Logit rows: the targets' injections through the linearized backward program.
 * 3. Feature rows: every active feature, or — when `maxFeatureNodes` is smaller — greedily the most
 *    influential ones, re-ranked by partial influence every `updateInterval` batches (§2.7).
 * 4. Packaging: selected features in (layer, pos, index) order, unselected feature columns dropped, N × N
 *    adjacency with rows = targets, columns = sources (§2.8).
 */
import type { AttributionGraph } from '../../shared/graph';
import type { Dictionary } from '../../shared/dictionary';
import type { ModelSpec } from '../../shared/model';
import { isSmallModel, runBackward, type TargetBatch } from '../../native/backwardRun';
import { supportsBackward } from '../../native/programs/backward';
import type { Tokenizer } from '../tokenizer/types';
import { UserError } from '../errors';
import { buildPromptContext, type PromptContext } from './context';
import { resolveTargets, type TargetSpec } from './targets';
import { RowStore, packAdjacency } from './rowStore';

export interface AttributeOptions {
  readonly targets?: TargetSpec;
  /** null: every active feature. */
  readonly maxFeatureNodes?: number | null;
  readonly batchSize?: number;
  readonly updateInterval?: number;
  readonly prompt?: string;
  readonly onProgress?: (p: { phase: 'forward' | 'logits' | 'features' | 'package'; done: number; total: number }) => void;
  /** Called per backward batch (size, highest target layer, positions run): benchmarks count FLOPs from it. */
  readonly onBatch?: (b: { size: number; top: number; positions: number }) => void;
  readonly signal?: AbortSignal;
}

/** Target × position rows of one backward run (see the batch-size rule in attributeGraph). */
const MAX_BATCH_ROWS = 32_768;

function range(n: number): number[] {
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
}

function pick<A extends Int32Array | Float32Array>(src: A, idx: readonly number[]): A {
  const out = new (src.constructor as new (n: number) => A)(idx.length);
  for (let i = 0; i < idx.length; i++) out[i] = src[idx[i]];
  return out;
}

interface ComputedRow {
  readonly row: Float32Array; // a view into the row store
  readonly slot: number;
  /** Σ|row|, computed when first needed (greedy selection only). */
  absSum?: number;
}

function absSum(r: ComputedRow): number {
  if (r.absSum === undefined) {
    let s = 0;
    for (let i = 0; i < r.row.length; i++) s += Math.abs(r.row[i]);
    r.absSum = s;
  }
  return r.absSum;
}

/**
 * Partial influence of every active feature from the rows computed so far (§2.7), in one sweep: edges go
 * from lower to strictly higher layers, so processing rows from the top layer down gives each row's total
 * influence before it is used — the same result as iterating q ← q·R̂ to zero.
 */
function partialInfluence(A: number, logitRows: ComputedRow[], weights: number[], featureRows: Map<number, ComputedRow>, layerOf: Int32Array): Float64Array {
  const infl = new Float64Array(A);
  const spread = (r: ComputedRow, c: number) => {
    if (c === 0) return;
    const k = c / Math.max(absSum(r), 1e-8);
    for (let s = 0; s < A; s++) if (r.row[s] !== 0) infl[s] += k * Math.abs(r.row[s]);
  };
  logitRows.forEach((r, i) => spread(r, weights[i]));
  const order = [...featureRows.keys()].sort((a, b) => layerOf[b] - layerOf[a]);
  for (const i of order) spread(featureRows.get(i)!, infl[i]);
  return infl;
}

/** What a backward run costs, in FLOPs, for planning batches. */
export interface BatchCost {
  /** Fixed cost of one run: per-run overheads and the inefficiency of narrow matmuls. */
  perRun(layer: number): number;
  /** Cost per target and position, for targets at `layer` (the program runs layers 0 … layer). */
  perTargetPosition(layer: number): number;
}

/**
 * Splits feature targets into backward batches of at most B: one layer per batch, so the program skips the
 * layers above it (a batch straddling two layers pays a whole layer more for its lower part); within a layer,
 * consecutive positions, since runBackward truncates a batch to its last position: with a cost model, each
 * layer's targets are cut where that saves more than another run costs (dynamic programming over the
 * distinct positions), else kept whole. Chunks of one segment are balanced and sorted by position.
 */
export function planBatches(ids: readonly number[], layerOf: Int32Array, posOf: Int32Array, B: number, cost?: BatchCost): number[][] {
  const sorted = [...ids].sort((a, b) => layerOf[a] - layerOf[b] || posOf[a] - posOf[b] || a - b);
  const out: number[][] = [];
  const emit = (g0: number, g1: number) => {
    const n = g1 - g0;
    const k = Math.ceil(n / B);
    for (let c = 0; c < k; c++) out.push(sorted.slice(g0 + Math.floor((c * n) / k), g0 + Math.floor(((c + 1) * n) / k)));
  };
  for (let g0 = 0; g0 < sorted.length; ) {
    const layer = layerOf[sorted[g0]];
    let g1 = g0;
    while (g1 < sorted.length && layerOf[sorted[g1]] === layer) g1++;
    if (!cost) {
      emit(g0, g1);
      g0 = g1;
      continue;
    }
    // Distinct positions: starts[i] is where the i-th begins; a segment is a run of whole positions.
    const starts: number[] = [];
    for (let i = g0; i < g1; i++) if (i === g0 || posOf[sorted[i]] !== posOf[sorted[i - 1]]) starts.push(i);
    starts.push(g1);
    const m = starts.length - 1;
    const run = cost.perRun(layer);
    const unit = cost.perTargetPosition(layer);
    const best = new Float64Array(m + 1).fill(Infinity);
    const cut = new Int32Array(m + 1);
    best[0] = 0;
    for (let j = 1; j <= m; j++) {
      const Tp = posOf[sorted[starts[j] - 1]] + 1;
      for (let i = 0; i < j; i++) {
        const n = starts[j] - starts[i];
        const c = best[i] + Math.ceil(n / B) * run + n * Tp * unit;
        if (c < best[j]) {
          best[j] = c;
          cut[j] = i;
        }
      }
    }
    const segments: number[] = [];
    for (let j = m; j > 0; j = cut[j]) segments.push(j);
    let from = 0;
    for (const j of segments.reverse()) {
      emit(starts[from], starts[j]);
      from = j;
    }
    g0 = g1;
  }
  return out;
}

/**
 * The backward program's cost per target and position: per layer below the target's, the skip, W_O and W_V
 * matmuls and the decoder contraction; at its own layer, W_V only. A run costs a fixed overhead (5·10⁶) plus,
 * as matmul inefficiency, about 128 columns' worth of work (fitted on the embedded model: 16 tokens 20.5 →
 * 18.1 ms median against 3·10⁷ + 256 columns; far more runs, e.g. no fixed part, is slower again).
 */
export function backwardCost(spec: ModelSpec, dict: Dictionary, activeFeatures: number, T: number): BatchCost {
  const { dModel: d, nHeads: H, nKvHeads: K, headDim: dh, nLayers: L } = spec.config;
  const skip = dict.layers.some((l) => l.W_skip) ? d : 0;
  const perDec = activeFeatures / (L * T) + 1;
  const below = 2 * d * (skip + H * dh + K * dh + perDec) + 2 * H * dh * T;
  const own = 2 * d * K * dh + 2 * H * dh * T;
  const perTargetPosition = (layer: number) => layer * below + own;
  return { perTargetPosition, perRun: (layer) => 5e6 + 128 * perTargetPosition(layer) };
}

export async function attributeGraph(spec: ModelSpec, dict: Dictionary, tok: Tokenizer, tokens: readonly number[], o: AttributeOptions = {}): Promise<AttributionGraph> {
  const why = supportsBackward(dict, spec);
  if (why) throw new UserError(`cannot attribute with this dictionary: ${why}`);
  if (tokens.length < 2) throw new UserError('attribution needs a prompt of at least one token after BOS');
  if (tokens.length > spec.config.maxSeqLen) throw new UserError(`the prompt is ${tokens.length} tokens; the model's context is ${spec.config.maxSeqLen}`);
  const requestedB = o.batchSize ?? 256;
  const interval = o.updateInterval ?? 4;
  if (!(Number.isInteger(requestedB) && requestedB >= 1)) throw new UserError(`batch size must be a positive integer, got ${requestedB}`);
  const progress = o.onProgress ?? (() => undefined);
  const d = spec.config.dModel;
  const L = spec.config.nLayers;

  progress({ phase: 'forward', done: 0, total: 1 });
  const ctx: PromptContext = await buildPromptContext(spec, dict, tokens);
  const { features } = ctx;
  const A = features.count;
  const T = ctx.T;
  // One backward run holds [d, T·batch] gradients: long prompts get smaller batches so a run's (and
  // its onnxruntime arena's) memory stays bounded; short prompts keep the requested batch.
  const B = Math.max(16, Math.min(requestedB, Math.floor(MAX_BATCH_ROWS / T)));
  const { targets, vecs } = resolveTargets(spec, tok, ctx.lastLogits, o.targets ?? { kind: 'salient' });
  const K = targets.length;
  const maxF = o.maxFeatureNodes ?? null;
  const budget = maxF === null ? A : Math.min(A, Math.max(0, Math.floor(maxF)));
  const totalRows = K + budget;
  let doneRows = 0;

  const C = A + L * T + T;
  const N = budget + L * T + T + K;
  // Every feature kept (the common all-features graph): stored columns are node columns and feature i is node
  // row i, so rows go straight into the adjacency (row stride N). Otherwise into a row store, sized to hold the
  // final N × N adjacency too, so packaging never needs a second buffer.
  const direct = budget === A ? new Float32Array(N * N) : null;
  const store = direct ? null : new RowStore(K + budget, C, N * N);
  /** Runs one batch; `nodeRow0`: its first row in the adjacency (direct mode; rows are consecutive there). */
  const runBatch = async (batch: TargetBatch, nodeRow0: number): Promise<ComputedRow[]> => {
    o.signal?.throwIfAborted();
    const n = batch.layer.length;
    const first = store ? store.reserve(n) : nodeRow0;
    const stride = store ? C : N;
    const data = store ? store.data : direct!;
    await runBackward(spec, dict, ctx.backward, batch, { data, row0: first, stride });
    if (o.onBatch) {
      let top = 0;
      let positions = 0;
      for (let b = 0; b < n; b++) {
        top = Math.max(top, batch.layer[b]);
        positions = Math.max(positions, batch.pos[b] + 1);
      }
      o.onBatch({ size: n, top, positions });
    }
    doneRows += n;
    // Row views are only needed for greedy selection.
    const out: ComputedRow[] = [];
    if (store) for (let b = 0; b < n; b++) out.push({ row: store.row(first + b), slot: first + b });
    return out;
  };

  // Logit rows.
  const logitRows: ComputedRow[] = [];
  for (let k0 = 0; k0 < K; k0 += B) {
    const n = Math.min(B, K - k0);
    const rows = await runBatch({ layer: new Int32Array(n).fill(L), pos: new Int32Array(n).fill(T - 1), vec: vecs.slice(k0 * d, (k0 + n) * d) }, N - K + k0);
    logitRows.push(...rows);
    progress({ phase: 'logits', done: doneRows, total: totalRows });
  }

  // Feature rows.
  const featureRows = new Map<number, ComputedRow>();
  const featureBatch = (ids: number[]): TargetBatch => {
    const n = ids.length;
    const vec = new Float32Array(n * d);
    const layer = new Int32Array(n);
    const pos = new Int32Array(n);
    for (let b = 0; b < n; b++) {
      const i = ids[b];
      layer[b] = features.layer[i];
      pos[b] = features.pos[i];
      const W = dict.layers[layer[b]].W_enc.data;
      const off = features.feature[i] * d;
      for (let j = 0; j < d; j++) vec[b * d + j] = W[off + j];
    }
    return { layer, pos, vec };
  };
  const cost = backwardCost(spec, dict, A, T);
  const expand = async (ids: number[]) => {
    for (const chunk of planBatches(ids, features.layer, features.pos, B, cost)) {
      if (direct && chunk.some((i, b) => i !== chunk[0] + b)) throw new Error('attribution: a batch of consecutive features expected');
      const rows = await runBatch(featureBatch(chunk), chunk[0]);
      if (!direct) for (let b = 0; b < chunk.length; b++) featureRows.set(chunk[b], rows[b]);
      progress({ phase: 'features', done: doneRows, total: totalRows });
    }
  };
  if (budget === A) {
    await expand(range(A));
  } else {
    const weights = targets.map((t) => t.weight);
    while (featureRows.size < budget) {
      const infl = partialInfluence(A, logitRows, weights, featureRows, features.layer);
      const candidates = range(A).filter((i) => !featureRows.has(i)).sort((a, b) => infl[b] - infl[a] || a - b);
      await expand(candidates.slice(0, Math.min(interval * B, budget - featureRows.size)));
    }
  }

  // Packaging.
  progress({ phase: 'package', done: doneRows, total: totalRows });
  const selected = direct ? range(A) : [...featureRows.keys()].sort((a, b) => a - b);
  const F = selected.length;
  let adjacency: Float32Array;
  if (direct) {
    adjacency = direct;
  } else {
    const colToNode = new Int32Array(C).fill(-1);
    selected.forEach((i, n) => (colToNode[i] = n));
    for (let c = A; c < C; c++) colToNode[c] = F + (c - A);
    adjacency = packAdjacency(store!, {
      N,
      colToNode,
      featureSlots: Int32Array.from(selected, (i) => featureRows.get(i)!.slot),
      logitSlots: Int32Array.from(logitRows, (r) => r.slot),
    });
  }

  return {
    formatVersion: 1,
    prompt: o.prompt ?? tok.decode([...tokens]),
    tokens: [...tokens],
    tokenTexts: tokens.map((t, i) => (i === 0 && t === tok.bosId ? '<s>' : tok.decode([t]))),
    nLayers: L,
    nPos: T,
    vocabSize: spec.config.vocabSize,
    features: {
      layer: pick(features.layer, selected),
      pos: pick(features.pos, selected),
      index: pick(features.feature, selected),
      activation: pick(features.value, selected),
    },
    activeFeatureCount: A,
    targets,
    adjacency,
    settings: {
      maxFeatureNodes: maxF,
      batchSize: requestedB,
      maxLogits: o.targets?.kind === 'salient' ? (o.targets.maxLogits ?? 10) : 10,
      desiredLogitProb: o.targets?.kind === 'salient' ? (o.targets.desiredLogitProb ?? 0.95) : 0.95,
      targetMode: o.targets?.kind ?? 'salient',
    },
    model: { name: spec.name, fingerprint: spec.fingerprint },
    dictionary: { name: dict.name, fingerprint: dict.fingerprint, kind: dict.kind },
  };
}

/**
 * Warms attribution for a model + dictionary (call it once after loading them): builds the backward programs,
 * grows onnxruntime's arenas, lets the JIT optimize the hot loops and the allocator settle on this graph size,
 * by attributing a short synthetic prompt a few times. The first real call then runs at steady-state speed
 * instead of 3–5× slower. Small models use a 16-token prompt with every feature; large ones a 4-token prompt
 * with a few features (their programs are built; the rest costs little next to their run time anyway).
 */
export async function warmUpAttribution(spec: ModelSpec, dict: Dictionary, tok: Tokenizer, o: { calls?: number; signal?: AbortSignal } = {}): Promise<void> {
  if (supportsBackward(dict, spec)) return;
  const { vocabSize: V, maxSeqLen } = spec.config;
  const small = isSmallModel(spec);
  const T = Math.min(maxSeqLen, small ? 16 : 4);
  if (T < 2) return;
  const tokens = [tok.bosId, ...Array.from({ length: T - 1 }, (_, i) => (tok.bosId + 1 + ((i * 7919) % (V - 1))) % V)];
  for (let i = 0; i < (o.calls ?? (small ? 10 : 3)); i++) await attributeGraph(spec, dict, tok, tokens, { maxFeatureNodes: small ? null : 8 * spec.config.nLayers, signal: o.signal });
}
