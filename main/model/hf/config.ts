/**
 * Hugging Face `config.json` → ArchConfig, per family. Each family's semantics were read from the transformers
 * modeling code (modeling_{gpt2,llama,qwen2,qwen3,gemma2}.py, 4.5x): which keys the model reads, their defaults
 * (the config class's `__init__` defaults apply when a key is absent), and what they switch on.
 * Keys the engine cannot honour (e.g. GPT-2 `scale_attn_by_inverse_layer_idx`) are refused with a UserError
 * instead of being silently ignored.
 */
import { z } from 'zod';
import type { ArchConfig, Llama3RopeScaling, ModelFamily, RopeConfig } from '../../../shared/model';
import { UserError } from '../../errors';

export const HF_FAMILIES = ['gpt2', 'llama', 'qwen2', 'qwen3', 'gemma2'] as const;
export type HfFamily = (typeof HF_FAMILIES)[number];

const int = z.number().int().positive();
const tokenId = z.union([z.number().int().nonnegative(), z.array(z.number().int().nonnegative()).min(1)]).nullish();

const ropeScaling = z
  .object({
    rope_type: z.string().optional(),
    type: z.string().optional(),
    factor: z.number().positive().optional(),
    low_freq_factor: z.number().positive().optional(),
    high_freq_factor: z.number().positive().optional(),
    original_max_position_embeddings: int.optional(),
    rope_theta: z.number().positive().optional(),
  })
  .loose()
  .nullish();

/** Keys shared by the Llama-like families (transformers ≥ 4.56 may write `dtype`, 5.x `rope_parameters`). */
const llamaLike = z
  .object({
    hidden_size: int,
    num_hidden_layers: int,
    num_attention_heads: int,
    num_key_value_heads: int.nullish(),
    head_dim: int.nullish(),
    intermediate_size: int,
    vocab_size: int,
    max_position_embeddings: int,
    rms_norm_eps: z.number().positive(),
    rope_theta: z.number().positive().optional(),
    rope_scaling: ropeScaling,
    rope_parameters: ropeScaling,
    tie_word_embeddings: z.boolean().optional(),
    hidden_act: z.string().optional(),
    bos_token_id: tokenId,
    eos_token_id: tokenId,
    torch_dtype: z.string().nullish(),
    dtype: z.string().nullish(),
    attention_bias: z.boolean().optional(),
    mlp_bias: z.boolean().optional(),
    use_sliding_window: z.boolean().optional(),
    sliding_window: int.nullish(),
    max_window_layers: z.number().int().nonnegative().nullish(),
    layer_types: z.array(z.string()).optional(),
    // gemma2
    hidden_activation: z.string().nullish(),
    query_pre_attn_scalar: z.number().positive().optional(),
    attn_logit_softcapping: z.number().positive().nullish(),
    final_logit_softcapping: z.number().positive().nullish(),
  })
  .loose();

const gpt2Schema = z
  .object({
    n_embd: int,
    n_layer: int,
    n_head: int,
    n_positions: int,
    n_inner: int.nullish(),
    vocab_size: int,
    layer_norm_epsilon: z.number().positive(),
    activation_function: z.string().optional(),
    tie_word_embeddings: z.boolean().optional(),
    scale_attn_weights: z.boolean().optional(),
    scale_attn_by_inverse_layer_idx: z.boolean().optional(),
    add_cross_attention: z.boolean().optional(),
    bos_token_id: tokenId,
    eos_token_id: tokenId,
    torch_dtype: z.string().nullish(),
    dtype: z.string().nullish(),
  })
  .loose();

/** What the loader needs beyond ArchConfig: biases the family must have, the declared dtype. */
export interface HfConfig {
  readonly family: HfFamily;
  readonly arch: ArchConfig;
  /** q/k/v projection biases (Qwen2 always; Llama `attention_bias`, which also adds the o_proj bias). */
  readonly qkvBias: boolean;
  readonly oBias: boolean;
  readonly mlpBias: boolean;
  /** `torch_dtype` / `dtype` as written (informational: the tensors' own dtypes are what is read). */
  readonly declaredDtype: string | null;
}

const firstId = (v: number | number[] | null | undefined): number | undefined => (Array.isArray(v) ? v[0] : (v ?? undefined));

function describeIssues(err: z.ZodError, file: string): UserError {
  const parts = err.issues.slice(0, 4).map((i) => {
    const key = i.path.join('.') || '(root)';
    return i.code === 'invalid_type' && i.input === undefined ? `missing key "${key}"` : `"${key}": ${i.message}`;
  });
  return new UserError(`${file}: ${parts.join('; ')}${err.issues.length > 4 ? ` (and ${err.issues.length - 4} more)` : ''}`);
}

function parseWith<S extends z.ZodType>(schema: S, raw: unknown, file: string): z.infer<S> {
  const r = schema.safeParse(raw);
  if (!r.success) throw describeIssues(r.error, file);
  return r.data;
}

function llama3Scaling(rs: NonNullable<z.infer<typeof ropeScaling>>, file: string): Llama3RopeScaling {
  const need = ['factor', 'low_freq_factor', 'high_freq_factor', 'original_max_position_embeddings'] as const;
  const missing = need.filter((k) => rs[k] === undefined);
  if (missing.length) throw new UserError(`${file}: rope_scaling of type llama3 is missing ${missing.map((k) => `"${k}"`).join(', ')}`);
  return { factor: rs.factor!, lowFreqFactor: rs.low_freq_factor!, highFreqFactor: rs.high_freq_factor!, originalMaxPositions: rs.original_max_position_embeddings! };
}

function ropeOf(c: z.infer<typeof llamaLike>, file: string): RopeConfig {
  const params = c.rope_parameters ?? c.rope_scaling;
  const theta = c.rope_theta ?? c.rope_parameters?.rope_theta ?? 10000;
  const type = params?.rope_type ?? params?.type ?? 'default';
  if (type === 'default') return { kind: 'half', theta };
  if (type === 'llama3') return { kind: 'half', theta, llama3: llama3Scaling(params!, file) };
  throw new UserError(`${file}: rope scaling type "${type}" is not supported (supported: none/default, llama3)`);
}

function activation(name: string | null | undefined, family: string, file: string): 'silu' | 'gelu-tanh' {
  if (name === 'silu' || name === 'swish') return 'silu';
  if (name === 'gelu_pytorch_tanh' || name === 'gelu_new' || name === 'gelu_tanh') return 'gelu-tanh';
  throw new UserError(`${file}: ${family} activation "${name ?? '(none)'}" is not supported (supported: silu, gelu_pytorch_tanh, gelu_new)`);
}

function slidingLayers(c: z.infer<typeof llamaLike>, family: HfFamily, L: number): number[] {
  if (c.layer_types) return c.layer_types.flatMap((t, l) => (t === 'sliding_attention' ? [l] : []));
  // gemma2 (transformers 4.5x, no layer_types): even layers slide. qwen2/qwen3: only with use_sliding_window,
  // from max_window_layers on.
  if (family === 'gemma2') return Array.from({ length: L }, (_, l) => l).filter((l) => l % 2 === 0);
  if ((family === 'qwen2' || family === 'qwen3') && c.use_sliding_window) {
    return Array.from({ length: L }, (_, l) => l).filter((l) => l >= (c.max_window_layers ?? 0));
  }
  return [];
}

function llamaLikeConfig(family: Exclude<HfFamily, 'gpt2'>, raw: unknown, file: string): HfConfig {
  const c = parseWith(llamaLike, raw, file);
  const L = c.num_hidden_layers;
  const H = c.num_attention_heads;
  const K = c.num_key_value_heads ?? H;
  if (H % K !== 0) throw new UserError(`${file}: num_attention_heads ${H} is not a multiple of num_key_value_heads ${K}`);
  // Config-class defaults when absent: Gemma2Config 256, Qwen3Config 128, otherwise hidden / heads.
  const headDim = c.head_dim ?? (family === 'gemma2' ? 256 : family === 'qwen3' ? 128 : c.hidden_size / H);
  if (!Number.isInteger(headDim) || headDim % 2 !== 0) throw new UserError(`${file}: head_dim ${headDim} must be an even integer (set "head_dim")`);
  const gemma = family === 'gemma2';
  // Gemma2's MLP reads hidden_activation (hidden_act is legacy and ignored by modeling_gemma2).
  const act = activation(gemma ? (c.hidden_activation ?? c.hidden_act) : (c.hidden_act ?? 'silu'), family, file);
  const window = c.sliding_window ?? null;
  const layers = window ? slidingLayers(c, family, L) : [];
  const tied = c.tie_word_embeddings ?? gemma; // config class defaults: Gemma2Config True, the others False
  const arch: ArchConfig = {
    family: family as ModelFamily,
    norm: 'rms',
    mlp: act === 'silu' ? 'gated-silu' : 'gated-gelu-tanh',
    rope: ropeOf(c, file),
    tiedEmbeddings: tied,
    dModel: c.hidden_size,
    nLayers: L,
    nHeads: H,
    nKvHeads: K,
    headDim,
    dMlp: c.intermediate_size,
    vocabSize: c.vocab_size,
    maxSeqLen: c.max_position_embeddings,
    normEps: c.rms_norm_eps,
    bosId: firstId(c.bos_token_id) ?? -1,
    eosId: firstId(c.eos_token_id) ?? -1,
    ...(family === 'qwen3' ? { qkNorm: true } : {}),
    ...(gemma
      ? {
          sandwichNorms: true,
          embedScale: Math.sqrt(c.hidden_size),
          attnScale: 1 / Math.sqrt(c.query_pre_attn_scalar ?? 256),
          ...(c.attn_logit_softcapping ? { attnSoftcap: c.attn_logit_softcapping } : {}),
          ...(c.final_logit_softcapping ? { finalSoftcap: c.final_logit_softcapping } : {}),
        }
      : {}),
    ...(window && layers.length ? { slidingWindow: { size: window, layers } } : {}),
  };
  return {
    family,
    arch,
    qkvBias: family === 'qwen2' || !!c.attention_bias,
    oBias: family !== 'qwen2' && !!c.attention_bias,
    mlpBias: !!c.mlp_bias,
    declaredDtype: c.torch_dtype ?? c.dtype ?? null,
  };
}

function gpt2Config(raw: unknown, file: string): HfConfig {
  const c = parseWith(gpt2Schema, raw, file);
  if (c.scale_attn_by_inverse_layer_idx) throw new UserError(`${file}: scale_attn_by_inverse_layer_idx is not supported`);
  if (c.scale_attn_weights === false) throw new UserError(`${file}: scale_attn_weights false is not supported`);
  if (c.add_cross_attention) throw new UserError(`${file}: cross-attention models are not supported`);
  if (c.n_embd % c.n_head !== 0) throw new UserError(`${file}: n_embd ${c.n_embd} is not a multiple of n_head ${c.n_head}`);
  if (activation(c.activation_function ?? 'gelu_new', 'gpt2', file) !== 'gelu-tanh') {
    throw new UserError(`${file}: gpt2 activation "${c.activation_function}" is not supported (supported: gelu_new)`);
  }
  const arch: ArchConfig = {
    family: 'gpt2',
    norm: 'layer',
    mlp: 'gelu-tanh',
    rope: null,
    tiedEmbeddings: c.tie_word_embeddings ?? true,
    learnedPositions: true,
    dModel: c.n_embd,
    nLayers: c.n_layer,
    nHeads: c.n_head,
    nKvHeads: c.n_head,
    headDim: c.n_embd / c.n_head,
    dMlp: c.n_inner ?? 4 * c.n_embd,
    vocabSize: c.vocab_size,
    maxSeqLen: c.n_positions,
    normEps: c.layer_norm_epsilon,
    bosId: firstId(c.bos_token_id) ?? -1,
    eosId: firstId(c.eos_token_id) ?? -1,
  };
  return { family: 'gpt2', arch, qkvBias: true, oBias: true, mlpBias: true, declaredDtype: c.torch_dtype ?? c.dtype ?? null };
}

/** Parses an already JSON-decoded config.json. `file` names it in errors. */
export function parseHfConfig(raw: unknown, file: string): HfConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new UserError(`${file}: not a JSON object`);
  const type = (raw as { model_type?: unknown }).model_type;
  if (type === undefined) throw new UserError(`${file}: missing key "model_type" (expected one of ${HF_FAMILIES.join(', ')})`);
  if (typeof type !== 'string' || !(HF_FAMILIES as readonly string[]).includes(type)) {
    throw new UserError(`${file}: model_type ${JSON.stringify(type)} is not supported (supported: ${HF_FAMILIES.join(', ')})`);
  }
  return type === 'gpt2' ? gpt2Config(raw, file) : llamaLikeConfig(type as Exclude<HfFamily, 'gpt2'>, raw, file);
}
