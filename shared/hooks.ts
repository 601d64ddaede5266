import type { ArchConfig } from './model';

/**
 * Hook points, named as in TransformerLens. Exact semantics (see docs/hooks.md):
 * shapes use B = batch, T = positions, d = dModel, H = heads, K = kv heads, dh = head dim, m = dMlp, V = vocab.
 */
export const BLOCK_HOOKS = [
  'hook_resid_pre', // [B,T,d] residual stream entering block l
  'ln1.hook_scale', // [B,T,1] sqrt(mean(x²) + eps) of resid_pre — the RMS, not 1/RMS
  'ln1.hook_normalized', // [B,T,d] x / scale, gain NOT applied
  'attn.hook_q', // [B,T,H,dh] queries before RoPE
  'attn.hook_k', // [B,T,K,dh] keys before RoPE
  'attn.hook_v', // [B,T,K,dh] values
  'attn.hook_rot_q', // [B,T,H,dh] queries after RoPE
  'attn.hook_rot_k', // [B,T,K,dh] keys after RoPE
  'attn.hook_attn_scores', // [B,H,T,T] q·k/√dh, masked (key > query) entries = -inf
  'attn.hook_pattern', // [B,H,T,T] softmax of scores; row = query, column = key
  'attn.hook_z', // [B,T,H,dh] pattern-weighted values per head
  'hook_attn_out', // [B,T,d] z · W_Oᵀ
  'hook_resid_mid', // [B,T,d] resid_pre + attn_out
  'ln2.hook_scale', // [B,T,1]
  'ln2.hook_normalized', // [B,T,d]
  'mlp.hook_in', // [B,T,d] the MLP's input: ln2 output, gain included
  'mlp.hook_pre', // [B,T,m] W_gate·in (gate pre-activation)
  'mlp.hook_pre_linear', // [B,T,m] W_in·in
  'mlp.hook_post', // [B,T,m] silu(pre) ⊙ pre_linear
  'hook_mlp_out', // [B,T,d] W_out·post, what is added to the residual
  'hook_resid_post', // [B,T,d] resid_mid + mlp_out
] as const;

/**
 * Hooks only some families have (docs/hooks.md): Gemma-2's post-attention / post-feedforward norms (sandwich
 * norms) and GPT-2's learned position embedding. They parse everywhere; `hookUnavailable` says whether a model
 * has them, and `allHookNames` (the Llama list) leaves them out.
 */
export const SANDWICH_HOOKS = ['ln1_post.hook_scale', 'ln1_post.hook_normalized', 'ln2_post.hook_scale', 'ln2_post.hook_normalized'] as const;
export const POS_EMBED_HOOK = 'hook_pos_embed';

export type BlockHook = (typeof BLOCK_HOOKS)[number] | (typeof SANDWICH_HOOKS)[number];
export const GLOBAL_HOOKS = ['hook_embed', 'ln_final.hook_scale', 'ln_final.hook_normalized', 'logits'] as const;
export type GlobalHook = (typeof GLOBAL_HOOKS)[number] | typeof POS_EMBED_HOOK;
export type HookName = GlobalHook | `blocks.${number}.${BlockHook}`;

export function blockHook(layer: number, hook: BlockHook): HookName {
  return `blocks.${layer}.${hook}`;
}

export interface ParsedHook {
  readonly layer: number | null;
  readonly hook: BlockHook | GlobalHook;
}

export function parseHookName(name: string, nLayers: number): ParsedHook | null {
  if ((GLOBAL_HOOKS as readonly string[]).includes(name) || name === POS_EMBED_HOOK) return { layer: null, hook: name as GlobalHook };
  const m = /^blocks\.(\d+)\.(.+)$/.exec(name);
  if (!m) return null;
  const layer = Number(m[1]);
  if (!(layer >= 0 && layer < nLayers) || String(layer) !== m[1]) return null;
  if (!(BLOCK_HOOKS as readonly string[]).includes(m[2]) && !(SANDWICH_HOOKS as readonly string[]).includes(m[2])) return null;
  return { layer, hook: m[2] as BlockHook };
}

export function allHookNames(nLayers: number): HookName[] {
  const out: HookName[] = ['hook_embed'];
  for (let l = 0; l < nLayers; l++) for (const h of BLOCK_HOOKS) out.push(blockHook(l, h));
  out.push('ln_final.hook_scale', 'ln_final.hook_normalized', 'logits');
  return out;
}

/** Why a model lacks a (well-formed) hook, or null when it has it. */
export function hookUnavailable(name: string, cfg: ArchConfig): string | null {
  const p = parseHookName(name, cfg.nLayers);
  if (!p) return `unknown hook "${name}"`;
  if ((SANDWICH_HOOKS as readonly string[]).includes(p.hook) && !cfg.sandwichNorms) return `${name}: only models with sandwich norms (Gemma-2) have it`;
  if (p.hook === POS_EMBED_HOOK && !cfg.learnedPositions) return `${name}: only models with learned positions (GPT-2) have it`;
  if (p.hook === 'mlp.hook_pre_linear' && cfg.mlp === 'gelu-tanh') return `${name}: the ${cfg.family} MLP is not gated (its pre-activation is mlp.hook_pre)`;
  if ((p.hook === 'attn.hook_rot_q' || p.hook === 'attn.hook_rot_k') && !cfg.rope) return `${name}: the ${cfg.family} model has no rotary embedding`;
  return null;
}

/** Every hook a model has, in forward order: the Llama list plus the family's own hooks. */
export function modelHookNames(cfg: ArchConfig): HookName[] {
  const out: HookName[] = ['hook_embed'];
  if (cfg.learnedPositions) out.push(POS_EMBED_HOOK);
  for (let l = 0; l < cfg.nLayers; l++) {
    for (const h of BLOCK_HOOKS) {
      // The post norms run just before the output they produce.
      if (cfg.sandwichNorms && h === 'hook_attn_out') out.push(blockHook(l, 'ln1_post.hook_scale'), blockHook(l, 'ln1_post.hook_normalized'));
      if (cfg.sandwichNorms && h === 'hook_mlp_out') out.push(blockHook(l, 'ln2_post.hook_scale'), blockHook(l, 'ln2_post.hook_normalized'));
      const name = blockHook(l, h);
      if (!hookUnavailable(name, cfg)) out.push(name);
    }
  }
  out.push('ln_final.hook_scale', 'ln_final.hook_normalized', 'logits');
  return out;
}

/** Shape of a hook tensor for a batch of B sequences of T tokens, and the axis that indexes positions. */
export function hookShape(name: string, cfg: ArchConfig, B: number, T: number): { shape: number[]; posAxis: number } {
  const parsed = parseHookName(name, cfg.nLayers);
  if (!parsed) throw new RangeError(`unknown hook "${name}"`);
  const { dModel: d, nHeads: H, nKvHeads: K, headDim: dh, dMlp: m, vocabSize: V } = cfg;
  switch (parsed.hook) {
    case 'ln1.hook_scale':
    case 'ln2.hook_scale':
    case 'ln_final.hook_scale':
    case 'ln1_post.hook_scale':
    case 'ln2_post.hook_scale':
      return { shape: [B, T, 1], posAxis: 1 };
    case 'attn.hook_q':
    case 'attn.hook_rot_q':
    case 'attn.hook_z':
      return { shape: [B, T, H, dh], posAxis: 1 };
    case 'attn.hook_k':
    case 'attn.hook_rot_k':
    case 'attn.hook_v':
      return { shape: [B, T, K, dh], posAxis: 1 };
    case 'attn.hook_attn_scores':
    case 'attn.hook_pattern':
      return { shape: [B, H, T, T], posAxis: 2 };
    case 'mlp.hook_pre':
    case 'mlp.hook_pre_linear':
    case 'mlp.hook_post':
      return { shape: [B, T, m], posAxis: 1 };
    case 'logits':
      return { shape: [B, T, V], posAxis: 1 };
    default:
      return { shape: [B, T, d], posAxis: 1 };
  }
}
