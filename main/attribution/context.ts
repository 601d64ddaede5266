/**
 * One prompt's frozen replacement model (circuit-tracer §2.3): a clean forward run for the quantities that get
 * frozen (attention patterns, norm scales), the transcoder features and error vectors, the decoder rows each
 * active feature writes (scaled by its activation), and the encoder rows that measure feature targets.
 */
import type { Dictionary } from '../../shared/dictionary';
import type { ModelSpec } from '../../shared/model';
import type { Tensor } from '../../shared/tensor';
import { runForward } from '../../native/forwardRun';
import { runEncode } from '../../native/encodeRun';
import type { BackwardContext } from '../../native/backwardRun';
import { checkDictionaryFits, sparsify, type ActiveFeatures } from '../dictionary/encode';

export interface PromptContext {
  readonly tokens: readonly number[];
  readonly T: number;
  /** Real logits of the last position (V). */
  readonly lastLogits: Float32Array;
  readonly features: ActiveFeatures;
  readonly backward: BackwardContext;
  /** Per layer (T, d): transcoder inputs, true outputs, errors; and hook_embed (T, d). */
  readonly x: Tensor[];
  readonly y: Tensor[];
  readonly err: Tensor[];
  readonly embed: Tensor;
  /** Per layer (T, D) pre-activations (feature targets are measured there). */
  readonly pre: Tensor[];
  /** Frozen tensors with batch axis, ready to freeze a forward run: patterns and scales. */
  readonly frozen: Map<string, Tensor>;
}

const drop0 = (t: Tensor): Tensor => ({ data: t.data, shape: t.shape.slice(1) });

export async function buildPromptContext(spec: ModelSpec, dict: Dictionary, tokens: readonly number[], zeroPositions = 1): Promise<PromptContext> {
  checkDictionaryFits(spec, dict);
  const L = spec.config.nLayers;
  const d = spec.config.dModel;
  const T = tokens.length;
  const layers = [...Array(L).keys()];
  // Every norm denominator is frozen (circuit-tracer §2.3), Gemma-2's sandwich norms included.
  const sandwich = spec.config.sandwichNorms ? ['ln1_post.hook_scale', 'ln2_post.hook_scale'] : [];
  const perLayer = ['attn.hook_pattern', 'ln1.hook_scale', 'ln2.hook_scale', ...sandwich];
  const frozenNames = ['ln_final.hook_scale', ...layers.flatMap((l) => perLayer.map((h) => `blocks.${l}.${h}`))];
  const xNames = layers.map((l) => `blocks.${l}.${dict.inputHook}`);
  const yNames = layers.map((l) => `blocks.${l}.${dict.outputHook}`);
  const run = await runForward(spec, { tokens: [tokens], outputs: ['logits', 'hook_embed', ...frozenNames, ...xNames, ...yNames] });
  const x = xNames.map((n) => drop0(run.get(n)!));
  const y = yNames.map((n) => drop0(run.get(n)!));
  const enc = await runEncode(dict, { x, y, zeroPositions }, { withError: true, withPre: true });
  const features = sparsify(enc.act);
  const err = enc.err!;
  const V = spec.config.vocabSize;
  const lastLogits = run.get('logits')!.data.slice((T - 1) * V, T * V);

  const { dec, decPos, decSlot, decFeature } = decoderBlocks(dict, features, err, L, T, d);
  const frozen = new Map(frozenNames.map((n) => [n, run.get(n)!]));
  const H = spec.config.nHeads;
  const patT = layers.map((l) => transposedPattern(run.get(`blocks.${l}.attn.hook_pattern`)!.data, run.get(`blocks.${l}.ln1.hook_scale`)!.data, H, T));
  const backward: BackwardContext = {
    T,
    patT,
    s2: layers.map((l) => run.get(`blocks.${l}.ln2.hook_scale`)!.data),
    sFinal: run.get('ln_final.hook_scale')!.data,
    ...(spec.config.sandwichNorms ? { s1Post: layers.map((l) => run.get(`blocks.${l}.ln1_post.hook_scale`)!.data) } : {}),
    dec,
    decPos,
    decSlot,
    decFeature,
    emb: drop0(run.get('hook_embed')!),
    nFeatures: features.count,
  };
  return { tokens, T, lastLogits, features, backward, x, y, err, embed: backward.emb, pre: enc.pre!, frozen };
}

/**
 * Decoder rows written into each output layer k, grouped by position and padded to the busiest position,
 * followed at each position by the error vector (the backward contracts both in one batched matmul). Plain
 * loops: this runs on every attribution call.
 */
function decoderBlocks(dict: Dictionary, features: ActiveFeatures, err: Tensor[], L: number, T: number, d: number) {
  const dec: Tensor[] = [];
  const decPos: Int32Array[] = [];
  const decSlot: Int32Array[] = [];
  const decFeature: Int32Array[] = [];
  const A = features.count;
  const rows = new Int32Array(A);
  for (let k = 0; k < L; k++) {
    let R = 0;
    for (let i = 0; i < A; i++) {
      const src = features.layer[i];
      if (dict.kind === 'plt' ? src === k : src <= k) rows[R++] = i;
    }
    const perPos = new Int32Array(T);
    for (let r = 0; r < R; r++) perPos[features.pos[rows[r]]]++;
    let n = 0;
    for (let t = 0; t < T; t++) n = Math.max(n, perPos[t]);
    const n1 = n + 1;
    const data = new Float32Array(T * n1 * d); // [T, n + 1, d]
    const pos = new Int32Array(R);
    const slots = new Int32Array(R);
    const used = new Int32Array(T);
    for (let r = 0; r < R; r++) {
      const i = rows[r];
      const p = features.pos[i];
      const slot = used[p]++;
      pos[r] = p;
      slots[r] = slot;
      const src = features.layer[i];
      const W = dict.layers[src].W_dec;
      const Wd = W.data;
      const f = features.feature[i];
      const a = features.value[i];
      const off = dict.kind === 'plt' ? f * d : (f * W.shape[1] + (k - src)) * d;
      const o = (p * n1 + slot) * d;
      for (let j = 0; j < d; j++) data[o + j] = a * Wd[off + j];
    }
    const e = err[k].data;
    for (let p = 0; p < T; p++) data.set(e.subarray(p * d, (p + 1) * d), (p * n1 + n) * d);
    dec.push({ data, shape: [T, n1, d] });
    decPos.push(pos);
    decSlot.push(slots);
    decFeature.push(rows.slice(0, R));
  }
  return { dec, decPos, decSlot, decFeature };
}

/** [H, key, query] = pattern[h, query, key] / s1[key]: the transposed attention with the frozen ln1 RMS folded in. */
function transposedPattern(p: Float32Array, s1: Float32Array, H: number, T: number): Tensor {
  const out = new Float32Array(H * T * T);
  for (let h = 0; h < H; h++) {
    for (let q = 0; q < T; q++) {
      const row = (h * T + q) * T;
      for (let k = 0; k <= q; k++) out[(h * T + k) * T + q] = p[row + k] / s1[k];
    }
  }
  return { data: out, shape: [H, T, T] };
}

/** Encoder row of active feature i: the direction that measures its pre-activation. */
export function encoderRow(dict: Dictionary, features: ActiveFeatures, i: number): Float32Array {
  const W = dict.layers[features.layer[i]].W_enc;
  const d = dict.dModel;
  return W.data.subarray(features.feature[i] * d, (features.feature[i] + 1) * d);
}
