/** Runs the linearized backward program for batches of targets over one prompt's frozen context. */
import type { Dictionary } from '../shared/dictionary';
import { parameterCount, type ModelSpec } from '../shared/model';
import type { Tensor } from '../shared/tensor';
import { getProgram, ort } from './session';
import { backwardIO, backwardOutputLayers, buildBackwardProgram } from './programs/backward';

/** Everything the backward pass needs from one prompt (frozen quantities and node vectors). */
export interface BackwardContext {
  readonly T: number;
  /** Per layer [H, T(key), T(query)]: the frozen pattern transposed, divided by the frozen ln1 RMS of the key. */
  readonly patT: readonly Tensor[];
  /** Per layer [T] frozen RMS of ln2, and of the final norm. */
  readonly s2: readonly Float32Array[];
  readonly sFinal: Float32Array;
  /** Per layer [T] frozen RMS of the post-attention (sandwich) norm: Gemma-2 only. */
  readonly s1Post?: readonly Float32Array[];
  /**
   * Per output layer k, [T, n_k + 1, d]: at each position the activation-scaled decoder rows written into
   * layer k (padded to the busiest position's n_k), then the error vector ε[k, p].
   */
  readonly dec: readonly Tensor[];
  /** Per output layer k and decoder row: its position and slot (< n_k) in dec_k, and its feature's column. */
  readonly decPos: readonly Int32Array[];
  readonly decSlot: readonly Int32Array[];
  readonly decFeature: readonly Int32Array[];
  /** [T, d] token embeddings. */
  readonly emb: Tensor;
  readonly nFeatures: number;
}

export interface TargetBatch {
  readonly layer: Int32Array; // layer L = logit
  readonly pos: Int32Array;
  /** [B, d]: what each target reads at its read point (encoder row, or demeaned unembedding column). */
  readonly vec: Float32Array;
}

const small = new WeakMap<ModelSpec, boolean>();

/**
 * Small models (< 50M parameters) keep onnxruntime's arena (repeated runs ~2× faster: no fresh pages for the
 * intermediates) and run single-threaded (their ops are too small to gain from a second thread, which only
 * adds synchronization and stalls when the machine is busy). Each per-`top` session keeps its arena at its
 * peak, so large models run without it (and with onnxruntime's default threads): FLOP-bound anyway, and the
 * retained memory would be gigabytes.
 */
export function isSmallModel(spec: ModelSpec): boolean {
  let s = small.get(spec);
  if (s === undefined) small.set(spec, (s = parameterCount(spec) < 50_000_000));
  return s;
}

/** Feeds and output columns of one context truncated to its first Tp positions. */
interface Prepared {
  readonly feeds: Record<string, ort.Tensor>;
  /** Per layer [Tp]: 1 / frozen ln2 RMS (fed per batch, repeated over the batch: [1, Tp·B]). */
  readonly invS2: Float32Array[];
  /** Per `top`: the program's output rows. */
  readonly byTop: Map<number, OutputLayout>;
}

const prepared = new WeakMap<BackwardContext, Map<number, Prepared>>();

function prepare(spec: ModelSpec, ctx: BackwardContext, Tp: number): Prepared {
  let byT = prepared.get(ctx);
  if (!byT) prepared.set(ctx, (byT = new Map()));
  let p = byT.get(Tp);
  if (p) return p;
  const { nLayers: L, dModel: d, nHeads: H, nKvHeads: K } = spec.config;
  const G = H / K;
  const T = ctx.T;
  const feeds: Record<string, ort.Tensor> = {};
  const embT = new Float32Array(d * Tp);
  for (let t = 0; t < Tp; t++) for (let j = 0; j < d; j++) embT[j * Tp + t] = ctx.emb.data[t * d + j];
  feeds.emb = new ort.Tensor('float32', embT, [d, Tp, 1]);
  const invS2: Float32Array[] = [];
  for (let l = 0; l < L; l++) {
    // [K, 1, key, (group member, query)]: each kv head's group of transposed patterns side by side.
    const pat = ctx.patT[l].data;
    const patT = new Float32Array(H * Tp * Tp);
    for (let kv = 0; kv < K; kv++) {
      for (let k = 0; k < Tp; k++) {
        for (let gi = 0; gi < G; gi++) {
          const src = ((kv * G + gi) * T + k) * T;
          patT.set(pat.subarray(src, src + Tp), (kv * Tp + k) * G * Tp + gi * Tp);
        }
      }
    }
    feeds[backwardIO.patT(l)] = new ort.Tensor('float32', patT, [K, 1, Tp, G * Tp]);
    const inv = new Float32Array(Tp);
    for (let t = 0; t < Tp; t++) inv[t] = 1 / ctx.s2[l][t];
    invS2.push(inv);
    if (ctx.s1Post) {
      const invPost = new Float32Array(Tp);
      for (let t = 0; t < Tp; t++) invPost[t] = 1 / ctx.s1Post[l][t];
      feeds[backwardIO.s1Post(l)] = new ort.Tensor('float32', invPost, [1, Tp, 1]);
    }
    const [, n1] = ctx.dec[l].shape;
    feeds[backwardIO.dec(l)] = new ort.Tensor('float32', ctx.dec[l].data.subarray(0, Tp * n1 * d), [Tp, n1, d]);
  }
  p = { feeds, invS2, byTop: new Map() };
  byT.set(Tp, p);
  return p;
}

/** A program's output rows: which stacked contraction row (gidx) fills which full-row column (cols). */
interface OutputLayout {
  readonly gidx: ort.Tensor;
  readonly cols: Int32Array;
  /** Some column repeats (CLT: one decoder row per output layer): entries add up. */
  readonly repeats: boolean;
}

/** The output layout of a program for `top`: every stacked row that can be nonzero, in full-row column order. */
function outputLayout(spec: ModelSpec, ctx: BackwardContext, prep: Prepared, Tp: number, top: number): OutputLayout {
  let lay = prep.byTop.get(top);
  if (lay) return lay;
  const L = spec.config.nLayers;
  const T = ctx.T;
  const A = ctx.nFeatures;
  const layers = backwardOutputLayers(top, L);
  // The program stacks, per position, each output layer's n_k + 1 rows (in `layers` order), then the token.
  const base = new Map<number, number>(); // offset of each output layer's rows within a position
  let S = 0;
  for (const k of layers) {
    base.set(k, S);
    S += ctx.dec[k].shape[1];
  }
  const tokenBase = S;
  S += 1;
  let R = Tp;
  for (const k of layers) {
    R += Tp;
    for (const p of ctx.decPos[k]) if (p < Tp) R++;
  }
  const idx = new Int32Array(R);
  const cols = new Int32Array(R);
  let j = 0;
  const sorted = [...layers].sort((a, b) => a - b);
  for (const k of sorted) {
    const pos = ctx.decPos[k];
    const slot = ctx.decSlot[k];
    const feature = ctx.decFeature[k];
    const b0 = base.get(k)!;
    for (let r = 0; r < pos.length; r++) {
      if (pos[r] >= Tp) continue;
      idx[j] = pos[r] * S + b0 + slot[r];
      cols[j++] = feature[r];
    }
  }
  for (const k of sorted) {
    const n1 = ctx.dec[k].shape[1];
    const b0 = base.get(k)!;
    for (let t = 0; t < Tp; t++) {
      idx[j] = t * S + b0 + n1 - 1;
      cols[j++] = A + k * T + t;
    }
  }
  for (let t = 0; t < Tp; t++) {
    idx[j] = t * S + tokenBase;
    cols[j++] = A + L * T + t;
  }
  const seen = new Uint8Array(A + L * T + T);
  let repeats = false;
  for (let i = 0; i < R; i++) {
    if (seen[cols[i]]) repeats = true;
    seen[cols[i]] = 1;
  }
  lay = { gidx: new ort.Tensor('int32', idx, [R]), cols, repeats };
  prep.byTop.set(top, lay);
  return lay;
}

/** Where runBackward writes a batch's rows: row b at data[(row0 + b)·stride …], C values each. */
export interface RowsOut {
  readonly data: Float32Array;
  readonly row0: number;
  readonly stride: number;
}

/**
 * One batch of target rows, C = A + L·T + T values each, written into `out` (e.g. the final adjacency or a
 * row store), whose rows must start zeroed: only the entries that can be nonzero are written. New [B, C] rows
 * when not given. A target at position p only depends on positions ≤ p (causal attention), so the program
 * runs on the first max(p)+1 positions only: a batch of early targets costs proportionally less. Target
 * vectors are mapped from their read point into the residual stream here: through the frozen final norm for
 * logits (⊙ gain / RMS), through the frozen ln2 for features reading mlp.hook_in.
 */
export async function runBackward(spec: ModelSpec, dict: Dictionary, ctx: BackwardContext, batch: TargetBatch, out?: RowsOut): Promise<RowsOut> {
  const B = batch.layer.length;
  const d = spec.config.dModel;
  const L = spec.config.nLayers;
  const C = ctx.nFeatures + L * ctx.T + ctx.T;
  const dst = out ?? { data: new Float32Array(B * C), row0: 0, stride: C };
  if (dst.stride < C || (dst.row0 + B - 1) * dst.stride + C > dst.data.length) throw new RangeError(`runBackward: the output cannot hold ${B} rows of ${C}`);
  let top = 0;
  let lo = L;
  let Tp = 1;
  for (let b = 0; b < B; b++) {
    top = Math.max(top, batch.layer[b]);
    lo = Math.min(lo, batch.layer[b]);
    Tp = Math.max(Tp, batch.pos[b] + 1);
  }
  const smallModel = isSmallModel(spec);
  const session = await getProgram(`${spec.fingerprint}|${dict.fingerprint}|backward|${top}|${lo}`, () => buildBackwardProgram(spec, dict, top, lo), { arena: smallModel, memPattern: false, threads: smallModel ? 1 : undefined });
  const prep = prepare(spec, ctx, Tp);
  const vecT = new Float32Array(d * B);
  const masks = new Map<number, Float32Array>();
  for (let b = 0; b < B; b++) {
    const l = batch.layer[b];
    const p = batch.pos[b];
    let gain: Float32Array | null = null;
    let rms = 1;
    if (l >= L) {
      gain = spec.weights.get('ln_final.w')!.data;
      rms = ctx.sFinal[p];
    } else if (dict.inputHook === 'mlp.hook_in') {
      gain = spec.weights.get(`blocks.${l}.ln2.w`)!.data;
      rms = ctx.s2[l][p];
    } else if (dict.inputHook === 'ln2.hook_normalized') {
      rms = ctx.s2[l][p]; // GemmaScope: reads x / RMS, no gain
    }
    // LayerNorm read points also centre: ∂(v·LN(x))/∂x = P·(v ⊙ gain) / s, P = I − 11ᵀ/d.
    let mean = 0;
    if (spec.config.norm === 'layer' && (l >= L || dict.inputHook !== 'hook_resid_mid')) {
      for (let j = 0; j < d; j++) mean += batch.vec[b * d + j] * (gain ? gain[j] : 1);
      mean /= d;
    }
    for (let j = 0; j < d; j++) vecT[j * B + b] = (batch.vec[b * d + j] * (gain ? gain[j] : 1) - mean) / rms;
    let m = masks.get(l);
    if (!m) masks.set(l, (m = new Float32Array(Tp * B)));
    m[p * B + b] = 1;
  }
  const lay = outputLayout(spec, ctx, prep, Tp, top);
  const { nHeads: H, nKvHeads: K } = spec.config;
  const G = H / K;
  const col = new Int32Array(G * B); // the top layer's pattern column of each target, per group member
  for (let gi = 0; gi < G; gi++) for (let b = 0; b < B; b++) col[gi * B + b] = gi * Tp + batch.pos[b];
  const batchFeeds: Record<string, ort.Tensor> = {
    gidx: lay.gidx,
    tgt_vec: new ort.Tensor('float32', vecT, [d, 1, B]),
    tgt_col: new ort.Tensor('int32', col, [G, B]),
  };
  for (let l = lo; l <= top; l++) batchFeeds[backwardIO.mask(l)] = new ort.Tensor('float32', masks.get(l) ?? new Float32Array(Tp * B), [1, Tp, B]);
  const wantsS2 = (l: number) => session.inputNames.includes(backwardIO.s2(l));
  for (let l = 0; l < L; l++) {
    if (!wantsS2(l)) continue;
    const inv = prep.invS2[l];
    const row = new Float32Array(Tp * B);
    for (let t = 0; t < Tp; t++) row.fill(inv[t], t * B, (t + 1) * B);
    batchFeeds[backwardIO.s2(l)] = new ort.Tensor('float32', row, [1, Tp * B]);
  }
  // Programs for lower `top` declare fewer inputs; feed only what this one takes (weights are added by run).
  const wanted: Record<string, ort.Tensor> = {};
  for (const k of session.inputNames) {
    const t = batchFeeds[k] ?? prep.feeds[k];
    if (t) wanted[k] = t;
  }
  // The program's output [R, B] goes to a pooled buffer: fresh memory costs a page fault per 4 KB on first touch.
  const R = lay.cols.length;
  const scratch = takeScratch(R * B);
  try {
    const part = scratch.subarray(0, R * B);
    await session.run(wanted, { cols: new ort.Tensor('float32', part, [R, B]) });
    scatterRows(part, lay, B, dst);
  } finally {
    scratchPool.push(scratch);
  }
  return dst;
}

const scratchPool: Float32Array[] = [];

function takeScratch(n: number): Float32Array {
  const i = scratchPool.findIndex((s) => s.length >= n);
  if (i >= 0) return scratchPool.splice(i, 1)[0];
  scratchPool.length = 0; // all too small: let them go
  return new Float32Array(n);
}

/**
 * Rows of `out` from part [R, B]: row b, column cols[j] = part[j, b]. In blocks of part rows so that both sides
 * stay in cache. Columns not listed are left alone: the caller's rows start zeroed.
 */
function scatterRows(part: Float32Array, lay: OutputLayout, B: number, out: RowsOut): void {
  const { data, row0, stride } = out;
  const { cols, repeats } = lay;
  const R = cols.length;
  const BLOCK = 32;
  for (let j0 = 0; j0 < R; j0 += BLOCK) {
    const j1 = Math.min(R, j0 + BLOCK);
    for (let b = 0; b < B; b++) {
      const o = (row0 + b) * stride;
      if (repeats) for (let j = j0; j < j1; j++) data[o + cols[j]] += part[j * B + b];
      else for (let j = j0; j < j1; j++) data[o + cols[j]] = part[j * B + b];
    }
  }
}
