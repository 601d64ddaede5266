/**
 * Hugging Face state-dict names → the engine's canonical weights (shared/model.ts weightNames), per family:
 * - Llama / Qwen2 / Qwen3 / Gemma-2: `model.embed_tokens`, `model.layers.{i}.{input_layernorm, self_attn.{q,k,v,o}_proj,
 *   mlp.{gate,up,down}_proj, …}`, `model.norm`, `lm_head` (nn.Linear, stored (out, in) like the engine: no copy).
 *   Gemma-2 norms store w and apply (1 + w): the loader stores the applied gain 1 + w (float32, as transformers
 *   computes it), so every program multiplies by the stored gain. Gemma's `post_attention_layernorm` is its
 *   attention sandwich norm (ln1_post), `pre_feedforward_layernorm` the MLP input norm (ln2).
 * - GPT-2: `transformer.` prefix optional; Conv1D weights are stored (in, out) and are transposed once; the fused
 *   `c_attn` is split into W_Q, W_K, W_V.
 * Tensors the engine does not use (e.g. GPT-2's `attn.bias` mask buffers, a tied `lm_head.weight`) are ignored.
 */
import type { Tensor } from '../../../shared/tensor';
import { weightNames as W } from '../../../shared/model';
import { UserError } from '../../errors';
import type { HfConfig } from './config';

/** One HF tensor the model needs: its shape, and what to do with its float32 data. */
export interface TensorPlan {
  readonly shape: readonly number[];
  readonly store: (data: Float32Array, out: Map<string, Tensor>) => void;
}

function transpose(data: Float32Array, rows: number, cols: number, col0 = 0, ncols = cols): Float32Array {
  const out = new Float32Array(rows * ncols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < ncols; c++) out[c * rows + r] = data[r * cols + col0 + c];
  return out;
}

const as = (name: string, shape: number[]): TensorPlan => ({ shape, store: (data, out) => out.set(name, { data, shape }) });
const gemmaGain = (name: string, d: number): TensorPlan => ({
  shape: [d],
  store: (data, out) => out.set(name, { data: data.map((w) => Math.fround(1 + w)), shape: [d] }),
});
/** A Conv1D weight (in, out) stored as the engine's (out, in). */
const conv = (name: string, inDim: number, outDim: number): TensorPlan => ({
  shape: [inDim, outDim],
  store: (data, out) => out.set(name, { data: transpose(data, inDim, outDim), shape: [outDim, inDim] }),
});

/** The tensors of a model, by HF name (with the prefix the file uses). */
export function planWeights(cfg: HfConfig, available: ReadonlySet<string>): Map<string, TensorPlan> {
  return cfg.family === 'gpt2' ? planGpt2(cfg, available) : planLlamaLike(cfg, available);
}

function planLlamaLike(cfg: HfConfig, available: ReadonlySet<string>): Map<string, TensorPlan> {
  const a = cfg.arch;
  const { dModel: d, nHeads: H, nKvHeads: K, headDim: dh, dMlp: m, vocabSize: V } = a;
  const gemma = cfg.family === 'gemma2';
  const gain = (name: string, n = d) => (gemma ? gemmaGain(name, n) : as(name, [n]));
  const plan = new Map<string, TensorPlan>();
  plan.set('model.embed_tokens.weight', as(W.embed, [V, d]));
  for (let l = 0; l < a.nLayers; l++) {
    const p = `model.layers.${l}.`;
    plan.set(`${p}input_layernorm.weight`, gain(W.ln1(l)));
    plan.set(`${p}self_attn.q_proj.weight`, as(W.wq(l), [H * dh, d]));
    plan.set(`${p}self_attn.k_proj.weight`, as(W.wk(l), [K * dh, d]));
    plan.set(`${p}self_attn.v_proj.weight`, as(W.wv(l), [K * dh, d]));
    plan.set(`${p}self_attn.o_proj.weight`, as(W.wo(l), [d, H * dh]));
    if (cfg.qkvBias) {
      plan.set(`${p}self_attn.q_proj.bias`, as(W.bq(l), [H * dh]));
      plan.set(`${p}self_attn.k_proj.bias`, as(W.bk(l), [K * dh]));
      plan.set(`${p}self_attn.v_proj.bias`, as(W.bv(l), [K * dh]));
    }
    if (cfg.oBias) plan.set(`${p}self_attn.o_proj.bias`, as(W.bo(l), [d]));
    if (a.qkNorm) {
      plan.set(`${p}self_attn.q_norm.weight`, gain(W.qNorm(l), dh));
      plan.set(`${p}self_attn.k_norm.weight`, gain(W.kNorm(l), dh));
    }
    if (a.sandwichNorms) {
      plan.set(`${p}post_attention_layernorm.weight`, gain(W.ln1Post(l)));
      plan.set(`${p}pre_feedforward_layernorm.weight`, gain(W.ln2(l)));
      plan.set(`${p}post_feedforward_layernorm.weight`, gain(W.ln2Post(l)));
    } else {
      plan.set(`${p}post_attention_layernorm.weight`, gain(W.ln2(l)));
    }
    plan.set(`${p}mlp.gate_proj.weight`, as(W.wGate(l), [m, d]));
    plan.set(`${p}mlp.up_proj.weight`, as(W.wIn(l), [m, d]));
    plan.set(`${p}mlp.down_proj.weight`, as(W.wOut(l), [d, m]));
    if (cfg.mlpBias) {
      plan.set(`${p}mlp.gate_proj.bias`, as(W.bGate(l), [m]));
      plan.set(`${p}mlp.up_proj.bias`, as(W.bIn(l), [m]));
      plan.set(`${p}mlp.down_proj.bias`, as(W.bOut(l), [d]));
    }
  }
  plan.set('model.norm.weight', gain(W.lnFinal));
  if (!a.tiedEmbeddings) plan.set('lm_head.weight', as(W.unembed, [V, d]));
  // Some exports (e.g. of base models) drop the `model.` prefix.
  if (!available.has('model.embed_tokens.weight') && available.has('embed_tokens.weight')) {
    return new Map([...plan].map(([k, v]) => [k.startsWith('model.') ? k.slice(6) : k, v]));
  }
  return plan;
}

function planGpt2(cfg: HfConfig, available: ReadonlySet<string>): Map<string, TensorPlan> {
  const a = cfg.arch;
  const { dModel: d, dMlp: m, vocabSize: V } = a;
  const pre = available.has('transformer.wte.weight') ? 'transformer.' : '';
  const plan = new Map<string, TensorPlan>();
  plan.set(`${pre}wte.weight`, as(W.embed, [V, d]));
  plan.set(`${pre}wpe.weight`, as(W.posEmbed, [a.maxSeqLen, d]));
  for (let l = 0; l < a.nLayers; l++) {
    const p = `${pre}h.${l}.`;
    plan.set(`${p}ln_1.weight`, as(W.ln1(l), [d]));
    plan.set(`${p}ln_1.bias`, as(W.ln1Bias(l), [d]));
    plan.set(`${p}attn.c_attn.weight`, {
      shape: [d, 3 * d],
      store: (data, out) => {
        for (const [i, name] of [W.wq(l), W.wk(l), W.wv(l)].entries()) out.set(name, { data: transpose(data, d, 3 * d, i * d, d), shape: [d, d] });
      },
    });
    plan.set(`${p}attn.c_attn.bias`, {
      shape: [3 * d],
      store: (data, out) => {
        for (const [i, name] of [W.bq(l), W.bk(l), W.bv(l)].entries()) out.set(name, { data: data.slice(i * d, (i + 1) * d), shape: [d] });
      },
    });
    plan.set(`${p}attn.c_proj.weight`, conv(W.wo(l), d, d));
    plan.set(`${p}attn.c_proj.bias`, as(W.bo(l), [d]));
    plan.set(`${p}ln_2.weight`, as(W.ln2(l), [d]));
    plan.set(`${p}ln_2.bias`, as(W.ln2Bias(l), [d]));
    plan.set(`${p}mlp.c_fc.weight`, conv(W.wIn(l), d, m));
    plan.set(`${p}mlp.c_fc.bias`, as(W.bIn(l), [m]));
    plan.set(`${p}mlp.c_proj.weight`, conv(W.wOut(l), m, d));
    plan.set(`${p}mlp.c_proj.bias`, as(W.bOut(l), [d]));
  }
  plan.set(`${pre}ln_f.weight`, as(W.lnFinal, [d]));
  plan.set(`${pre}ln_f.bias`, as(W.lnFinalBias, [d]));
  if (!a.tiedEmbeddings) plan.set('lm_head.weight', as(W.unembed, [V, d]));
  return plan;
}

/** Checks that every planned tensor exists with the planned shape; names what is missing or wrong. */
export function checkPlan(plan: ReadonlyMap<string, TensorPlan>, shapes: ReadonlyMap<string, readonly number[]>, where: string): void {
  const missing = [...plan.keys()].filter((n) => !shapes.has(n));
  if (missing.length) {
    const list = missing.slice(0, 5).join(', ');
    throw new UserError(`${where}: missing tensor${missing.length > 1 ? 's' : ''} ${list}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''} (does config.json match the weights?)`);
  }
  for (const [name, p] of plan) {
    const got = shapes.get(name)!;
    if (got.length !== p.shape.length || got.some((s, i) => s !== p.shape[i])) {
      throw new UserError(`${where}: tensor ${name} has shape [${got.join(', ')}] but config.json implies [${p.shape.join(', ')}]`);
    }
  }
}
