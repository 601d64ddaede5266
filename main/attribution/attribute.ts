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
import { runBackward, type TargetBatch } from '../../native/backwardRun';
import { supportsBackward } from '../../native/programs/backward';
import type { Tokenizer } from '../tokenizer/types';
import { UserError } from '../errors';
import { buildPromptContext, encoderRow, type PromptContext } from './context';
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
  /** Called per backward batch (size, highest target layer): benchmarks count FLOPs from it. */
  readonly onBatch?: (b: { size: number; top: number }) => void;
  readonly signal?: AbortSignal;
}

/** Target × position rows of one backward run (see the batch-size rule in attributeGraph). */
const MAX_BATCH_ROWS = 32_768;

interface ComputedRow {
  readonly row: Float32Array; // a view into the row store
  readonly slot: number;
  readonly absSum: number;
}

function absSum(row: Float32Array): number {
  let s = 0;
  for (let i = 0; i < row.length; i++) s += Math.abs(row[i]);
  return s;
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
    const k = c / Math.max(r.absSum, 1e-8);
    for (let s = 0; s < A; s++) if (r.row[s] !== 0) infl[s] += k * Math.abs(r.row[s]);
  };
  logitRows.forEach((r, i) => spread(r, weights[i]));
  const order = [...featureRows.keys()].sort((a, b) => layerOf[b] - layerOf[a]);
  for (const i of order) spread(featureRows.get(i)!, infl[i]);
  return infl;
}

export async function attributeGraph(spec: ModelSpec, dict: Dictionary, tok: Tokenizer, tokens: readonly number[], o: AttributeOptions = {}): Promise<AttributionGraph> {
  const why = supportsBackward(dict);
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
  // One backward run holds [T, batch, d] tensors per layer: long prompts get smaller batches so a run's (and
  // its onnxruntime arena's) memory stays bounded; short prompts keep the requested batch.
  const B = Math.max(16, Math.min(requestedB, Math.floor(MAX_BATCH_ROWS / T)));
  const { targets, vecs } = resolveTargets(spec, tok, ctx.lastLogits, o.targets ?? { kind: 'salient' });
  const K = targets.length;
  const maxF = o.maxFeatureNodes ?? null;
  const budget = maxF === null ? A : Math.min(A, Math.max(0, Math.floor(maxF)));
  const totalRows = K + budget;
  let doneRows = 0;

  const C = A + L * T + T;
  const store = new RowStore(K + budget, C);
  const runBatch = async (batch: TargetBatch): Promise<ComputedRow[]> => {
    o.signal?.throwIfAborted();
    const { rows, cols } = await runBackward(spec, dict, ctx.backward, batch);
    o.onBatch?.({ size: batch.layer.length, top: Math.max(...batch.layer) });
    const out: ComputedRow[] = [];
    for (let b = 0; b < batch.layer.length; b++) {
      const slot = store.add(rows.subarray(b * cols, (b + 1) * cols));
      const row = store.row(slot);
      out.push({ row, slot, absSum: absSum(row) });
    }
    doneRows += batch.layer.length;
    return out;
  };

  // Logit rows.
  const logitRows: ComputedRow[] = [];
  for (let k0 = 0; k0 < K; k0 += B) {
    const n = Math.min(B, K - k0);
    const rows = await runBatch({ layer: new Int32Array(n).fill(L), pos: new Int32Array(n).fill(T - 1), vec: vecs.slice(k0 * d, (k0 + n) * d) });
    logitRows.push(...rows);
    progress({ phase: 'logits', done: doneRows, total: totalRows });
  }

  // Feature rows.
  const featureRows = new Map<number, ComputedRow>();
  const featureBatch = (ids: number[]): TargetBatch => {
    const vec = new Float32Array(ids.length * d);
    ids.forEach((i, b) => vec.set(encoderRow(dict, features, i), b * d));
    return { layer: Int32Array.from(ids, (i) => features.layer[i]), pos: Int32Array.from(ids, (i) => features.pos[i]), vec };
  };
  const expand = async (ids: number[]) => {
    // Batches of one layer let the backward program skip the layers above; sorted by position within a layer,
    // a batch of early targets runs on fewer positions (runBackward truncates to the batch's last position).
    ids.sort((a, b) => features.layer[a] - features.layer[b] || features.pos[a] - features.pos[b] || a - b);
    for (let i0 = 0; i0 < ids.length; i0 += B) {
      const chunk = ids.slice(i0, i0 + B);
      const rows = await runBatch(featureBatch(chunk));
      chunk.forEach((i, b) => featureRows.set(i, rows[b]));
      progress({ phase: 'features', done: doneRows, total: totalRows });
    }
  };
  if (budget === A) {
    await expand([...Array(A).keys()]);
  } else {
    const weights = targets.map((t) => t.weight);
    while (featureRows.size < budget) {
      const infl = partialInfluence(A, logitRows, weights, featureRows, features.layer);
      const candidates = [...Array(A).keys()].filter((i) => !featureRows.has(i)).sort((a, b) => infl[b] - infl[a] || a - b);
      await expand(candidates.slice(0, Math.min(interval * B, budget - featureRows.size)));
    }
  }

  // Packaging.
  progress({ phase: 'package', done: doneRows, total: totalRows });
  const selected = [...featureRows.keys()].sort((a, b) => a - b);
  const F = selected.length;
  const N = F + L * T + T + K;
  const colToNode = new Int32Array(C).fill(-1);
  selected.forEach((i, n) => (colToNode[i] = n));
  for (let c = A; c < C; c++) colToNode[c] = F + (c - A);
  const adjacency = packAdjacency(store, {
    N,
    colToNode,
    featureSlots: Int32Array.from(selected, (i) => featureRows.get(i)!.slot),
    logitSlots: Int32Array.from(logitRows, (r) => r.slot),
  });

  return {
    formatVersion: 1,
    prompt: o.prompt ?? tok.decode([...tokens]),
    tokens: [...tokens],
    tokenTexts: tokens.map((t, i) => (i === 0 && t === tok.bosId ? '<s>' : tok.decode([t]))),
    nLayers: L,
    nPos: T,
    vocabSize: spec.config.vocabSize,
    features: {
      layer: Int32Array.from(selected, (i) => features.layer[i]),
      pos: Int32Array.from(selected, (i) => features.pos[i]),
      index: Int32Array.from(selected, (i) => features.feature[i]),
      activation: Float32Array.from(selected, (i) => features.value[i]),
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
