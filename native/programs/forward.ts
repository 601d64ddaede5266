/**
 * The forward program: the model as an ONNX graph whose every TransformerLens hook point can be returned,
 * fed from outside ("frozen"), overwritten at chosen slices ("set") or shifted ("add").
 *
 * Hook semantics are documented in docs/hooks.md and shared/hooks.ts. Per hook point the order is
 * frozen-or-computed → set → add, and everything downstream (and the returned tensor) sees the final value,
 * like a TransformerLens hook function that edits its input.
 */
import type { ArchConfig, ModelSpec } from '../../shared/model';
import { weightNames as W } from '../../shared/model';
import { hookShape, hookUnavailable, parseHookName } from '../../shared/hooks';
import type { Tensor } from '../../shared/tensor';
import type { Dictionary } from '../../shared/dictionary';
import { GraphBuilder, type BuiltProgram, type Dim, type Value } from '../onnx/builder';
import { activationOp, dictDecoderInput, dictInput, preActivation, skipOutput } from './encode';
import { applyRope, ropeTables, weightAccess, type RopeTables } from './llamaParts';
import { attnScaleOf, isSlidingLayer, mlpActivation, normCentre, normScale, slidingMask, softcap } from './families';

export interface ForwardProgramOptions {
  /** Hooks returned as outputs (graph output name = hook name). */
  readonly outputs: readonly string[];
  /** Hooks whose value is a graph input `frozen:{hook}` instead of being computed. */
  readonly frozen?: readonly string[];
  /** Hooks with inputs `set_mask:{hook}` (bool) and `set_value:{hook}`: where the mask is true the value wins. */
  readonly set?: readonly string[];
  /** Hooks with an input `add:{hook}` added to the value. */
  readonly add?: readonly string[];
  /**
   * Replace the MLP output of these layers by the dictionary's reconstruction ("spliced" model), at positions
   * ≥ `keepPositions` (BOS keeps its true MLP output: its features are zeroed everywhere, circuit-tracer §2.2).
   */
  readonly splice?: { readonly dict: Dictionary; readonly layers: readonly number[]; readonly keepPositions: number };
  /**
   * The constrained replacement model (circuit-tracer §1.8): where `hook_mlp_out` is frozen, add the
   * dictionary's live skip path x·W_skipᵀ to the frozen value (the caller freezes `mlp_out − skip(x_clean)`).
   */
  readonly frozenSkip?: Dictionary;
}

export const frozenInput = (hook: string) => `frozen:${hook}`;
export const setMaskInput = (hook: string) => `set_mask:${hook}`;
export const setValueInput = (hook: string) => `set_value:${hook}`;
export const addInput = (hook: string) => `add:${hook}`;

/** Symbolic dims of a hook tensor for graph input/output declarations. */
export function hookDims(name: string, cfg: ArchConfig): Dim[] {
  const { shape } = hookShape(name, cfg, 1, 1);
  const parsed = parseHookName(name, cfg.nLayers);
  const square = parsed?.hook === 'attn.hook_pattern' || parsed?.hook === 'attn.hook_attn_scores';
  return shape.map((s, i) => (i === 0 ? 'B' : square ? (i >= 2 ? 'T' : s) : i === 1 ? 'T' : s));
}

export function validateHookList(names: readonly string[], cfg: ArchConfig, what: string): void {
  for (const n of names) {
    if (!parseHookName(n, cfg.nLayers)) {
      throw new RangeError(`${what}: unknown hook "${n}" (e.g. "hook_embed", "blocks.0.hook_resid_pre", "blocks.${cfg.nLayers - 1}.attn.hook_pattern", "logits")`);
    }
    const why = hookUnavailable(n, cfg);
    if (why) throw new RangeError(`${what}: ${why}`);
  }
}

function once<T>(f: () => T): () => T {
  let done = false;
  let v: T;
  return () => {
    if (!done) {
      v = f();
      done = true;
    }
    return v;
  };
}

/** Builds the forward graph. Only what the requested outputs depend on is emitted. */
export function buildForwardProgram(spec: ModelSpec, opts: ForwardProgramOptions): BuiltProgram {
  const cfg = spec.config;
  const frozen = new Set(opts.frozen ?? []);
  const setHooks = new Set(opts.set ?? []);
  const addHooks = new Set(opts.add ?? []);
  for (const [list, what] of [[opts.outputs, 'outputs'], [[...frozen], 'frozen'], [[...setHooks], 'set'], [[...addHooks], 'add']] as const) {
    validateHookList(list, cfg, what);
  }
  const wanted = new Set(opts.outputs);
  const g = new GraphBuilder('forward');
  const { nHeads: H, nKvHeads: K, headDim: dh } = cfg;
  const G = H / K;

  const tokens = g.input('tokens', 'int64', ['B', 'T']);
  const Bdim = g.dim(tokens, 0);
  const Tdim = g.dim(tokens, 1);
  const shapeOf = (...parts: (Value | number)[]) =>
    g.concat(parts.map((p) => (typeof p === 'number' ? g.constI64([p]) : p)), 0);

  // linear(x, W, bias) adds the bias when the model has one (HF biases are constants of the model).
  const { weight, linear } = weightAccess(g, spec);

  /** Applies frozen/set/add to a hook point. `compute` runs only when the hook is not frozen. */
  /** `frozenPlus` (constrained mode): the hook's value is its frozen input plus this live term. */
  const hook = (name: string, compute: () => Value, frozenPlus?: () => Value): Value => {
    const dims = hookDims(name, cfg);
    let v: Value;
    if (!frozen.has(name)) v = compute();
    else {
      v = g.input(frozenInput(name), 'float32', dims);
      if (frozenPlus) v = g.add(v, frozenPlus());
    }
    if (setHooks.has(name)) {
      v = g.where(g.input(setMaskInput(name), 'bool', dims), g.input(setValueInput(name), 'float32', dims), v);
    }
    if (addHooks.has(name)) v = g.add(v, g.input(addInput(name), 'float32', dims));
    if (wanted.has(name)) g.output(v, name, 'float32', dims);
    return v;
  };

  // The deepest point any request touches bounds what has to be built.
  const depthOf = (n: string): number => {
    const p = parseHookName(n, cfg.nLayers);
    if (!p) return -1;
    return p.layer === null ? (n === 'hook_embed' || n === 'hook_pos_embed' ? -1 : cfg.nLayers) : p.layer;
  };
  const lastLayer = Math.max(-1, ...[...wanted, ...frozen, ...setHooks, ...addHooks].map(depthOf));

  const eps = once(() => g.scalarF(cfg.normEps));
  /**
   * The family's norm with TransformerLens hooks: scale = sqrt(mean(x²)+eps) (RMSNorm) or sqrt(var(x)+eps)
   * (LayerNorm), normalized = (x [− mean]) / scale, gain (and LayerNorm bias) applied after.
   */
  const normalizedOf = new Map<string, Value>(); // transcoders may read a norm's gain-less output (GemmaScope)
  const rmsNorm = (x: Value, prefix: string, gainName: string, biasName?: string): Value => {
    const centred = once(() => normCentre(g, cfg, x));
    const scale = hook(`${prefix}.hook_scale`, () => normScale(g, centred(), eps()));
    const normalized = hook(`${prefix}.hook_normalized`, () => g.div(centred(), scale));
    normalizedOf.set(prefix, normalized);
    const gained = g.mul(normalized, weight(gainName));
    return biasName && spec.weights.has(biasName) ? g.add(gained, weight(biasName)) : gained;
  };
  /** Per-head RMSNorm over head_dim (Qwen3 q_norm / k_norm), no hooks. */
  const headNorm = (x: Value, gainName: string): Value =>
    g.mul(g.div(x, normScale(g, x, eps())), weight(gainName));

  // RoPE tables from the positions 0..T−1, built once and shared by every layer (llamaParts: float32 angles).
  let ropeTabs: RopeTables | null = null;
  const rope = (x: Value): Value => {
    if (!cfg.rope) return x;
    if (!ropeTabs) {
      const pos = g.op('Cast', [g.op('Range', [g.constI64([0], []), g.op('Squeeze', [Tdim, g.constI64([0])]), g.constI64([1], [])])], { to: 1 });
      ropeTabs = ropeTables(g, cfg, pos);
    }
    return applyRope(g, cfg, x, ropeTabs);
  };

  // Causal mask [T, T]: true where key > query.
  let causal: Value | null = null;
  let sliding: Value | null = null;
  const positions = once(() => g.op('Range', [g.constI64([0], []), g.op('Squeeze', [Tdim, g.constI64([0])]), g.constI64([1], [])]));
  const causalMask = (l: number): Value => {
    if (!causal) {
      const r = positions();
      causal = g.op('Greater', [g.unsqueeze(r, [0]), g.unsqueeze(r, [1])]);
    }
    if (!isSlidingLayer(cfg, l)) return causal;
    // Sliding-window layers also hide keys at least `size` positions behind the query.
    if (!sliding) sliding = g.op('Or', [causal, slidingMask(g, positions(), cfg.slidingWindow!.size)]);
    return sliding;
  };
  const negInf = once(() => g.scalarF(-Infinity));

  const attention = (l: number, x: Value): Value => {
    const p = `blocks.${l}.attn`;
    const xin = rmsNorm(x, `blocks.${l}.ln1`, W.ln1(l), W.ln1Bias(l));
    // Lazily computed so that a frozen pattern needs no queries or keys. With q/k norms (Qwen3) hook_q / hook_k
    // are after the norm: what RoPE rotates.
    const qk = (name: string, w: string, b: string, heads: number, normW: string) => () =>
      hook(`${p}.${name}`, () => {
        const proj = g.reshape(linear(xin, w, b), [0, 0, heads, dh]);
        return cfg.qkNorm ? headNorm(proj, normW) : proj;
      });
    const q = once(qk('hook_q', W.wq(l), W.bq(l), H, W.qNorm(l)));
    const k = once(qk('hook_k', W.wk(l), W.bk(l), K, W.kNorm(l)));
    const v = hook(`${p}.hook_v`, () => g.reshape(linear(xin, W.wv(l), W.bv(l)), [0, 0, K, dh]));
    const rotQ = once(() => hook(`${p}.hook_rot_q`, () => rope(q())));
    const rotK = once(() => hook(`${p}.hook_rot_k`, () => rope(k())));
    // Grouped-query attention as a broadcast: queries [B,K,G,T,dh] against keys [B,K,1,dh,T].
    const scores = once(() =>
      hook(`${p}.hook_attn_scores`, () => {
        const q5 = g.reshape(g.transpose(rotQ(), [0, 2, 1, 3]), shapeOf(Bdim, K, G, Tdim, dh));
        const k5 = g.unsqueeze(g.transpose(rotK(), [0, 2, 3, 1]), [2]);
        const raw = softcap(g, g.reshape(g.mul(g.matMul(q5, k5), g.scalarF(attnScaleOf(cfg))), shapeOf(Bdim, H, Tdim, Tdim)), cfg.attnSoftcap);
        return g.where(causalMask(l), negInf(), raw);
      }));
    const pattern = hook(`${p}.hook_pattern`, () => g.softmax(scores(), -1));
    // Q/K-side hooks that were asked for are built even when a frozen pattern made them unnecessary.
    const qkSide = { hook_q: q, hook_k: k, hook_rot_q: rotQ, hook_rot_k: rotK, hook_attn_scores: scores };
    for (const [name, build] of Object.entries(qkSide)) {
      const full = `${p}.${name}`;
      if (wanted.has(full) || setHooks.has(full) || addHooks.has(full)) build();
    }
    const z = hook(`${p}.hook_z`, () => {
      const p5 = g.reshape(pattern, shapeOf(Bdim, K, G, Tdim, Tdim));
      const v5 = g.unsqueeze(g.transpose(v, [0, 2, 1, 3]), [2]); // [B,K,1,T,dh]
      const z5 = g.matMul(p5, v5); // [B,K,G,T,dh]
      return g.transpose(g.reshape(z5, shapeOf(Bdim, H, Tdim, dh)), [0, 2, 1, 3]);
    });
    return hook(`blocks.${l}.hook_attn_out`, () => {
      const out = linear(g.reshape(z, [0, 0, H * dh]), W.wo(l), W.bo(l));
      // Gemma-2: the attention output passes through post_attention_layernorm before the residual add.
      return cfg.sandwichNorms ? rmsNorm(out, `blocks.${l}.ln1_post`, W.ln1Post(l)) : out;
    });
  };

  // Spliced layers: transcoder activations per layer (a CLT's later layers read earlier layers' features).
  const splice = opts.splice;
  const spliceActs: Value[] = [];
  let spliceMask: { keep: Value; replace: Value } | null = null;
  const splicedOut = (l: number, input: Value, trueOut: Value): Value => {
    const dict = splice!.dict;
    if (!spliceMask) {
      const r = g.op('Range', [g.constI64([0], []), g.op('Squeeze', [Tdim, g.constI64([0])]), g.constI64([1], [])]);
      const replace = g.reshape(g.op('GreaterOrEqual', [r, g.constI64([splice!.keepPositions], [])]), [1, -1, 1]);
      spliceMask = { replace, keep: g.op('Cast', [replace], { to: 1 }) };
    }
    const enc = dict.layers[l];
    for (let i = spliceActs.length; i <= l; i++) {
        spliceActs.push(g.mul(activationOp(g, dict, i, preActivation(g, dict, i, input)), spliceMask.keep));
    }
    let recon = dictInput(g, dict, l, 'b_dec');
    for (let i = dict.kind === 'plt' ? l : 0; i <= l; i++) recon = g.add(recon, g.matMul(spliceActs[i], dictDecoderInput(g, dict, i, l)));
    if (enc.W_skip) recon = g.add(recon, skipOutput(g, dict, l, input));
    return g.where(spliceMask.replace, recon, trueOut);
  };

  const mlp = (l: number, x: Value): Value => {
    const p = `blocks.${l}.mlp`;
    const xin = hook(`${p}.hook_in`, () => rmsNorm(x, `blocks.${l}.ln2`, W.ln2(l), W.ln2Bias(l)));
    const gated = cfg.mlp !== 'gelu-tanh';
    // Gated: hook_pre is the gate's pre-activation, hook_pre_linear the up projection; GPT-2: W_in·x + b_in.
    const pre = hook(`${p}.hook_pre`, () => (gated ? linear(xin, W.wGate(l), W.bGate(l)) : linear(xin, W.wIn(l), W.bIn(l))));
    const preLinear = gated ? hook(`${p}.hook_pre_linear`, () => linear(xin, W.wIn(l), W.bIn(l))) : null;
    const post = hook(`${p}.hook_post`, () => (preLinear ? g.mul(mlpActivation(g, cfg, pre), preLinear) : mlpActivation(g, cfg, pre)));
    const trueOut = () => {
      const out = linear(post, W.wOut(l), W.bOut(l));
      // Gemma-2: hook_mlp_out is after post_feedforward_layernorm (what is added to the residual).
      return cfg.sandwichNorms ? rmsNorm(out, `blocks.${l}.ln2_post`, W.ln2Post(l)) : out;
    };
    /** The transcoder's declared input at this layer. */
    const dictInputOf = (hookName: string): Value | null => {
      if (hookName === 'hook_resid_mid') return x;
      if (hookName === 'mlp.hook_in') return xin;
      if (hookName === 'ln2.hook_normalized') return normalizedOf.get(`blocks.${l}.ln2`) ?? null;
      return null;
    };
    const skipW = opts.frozenSkip?.layers[l]?.W_skip;
    const outName = `blocks.${l}.hook_mlp_out`;
    if (skipW && frozen.has(outName)) {
      // Frozen value + live skip of the dictionary's input, then the usual set/add edits on the sum.
      const input = dictInputOf(opts.frozenSkip!.inputHook) ?? xin;
      return hook(outName, trueOut, () => skipOutput(g, opts.frozenSkip!, l, input));
    }
    if (!splice?.layers.includes(l)) return hook(`blocks.${l}.hook_mlp_out`, trueOut);
    // The transcoder reads its declared input hook; only the MLP's own input and the residual are supported.
    const input = dictInputOf(splice.dict.inputHook);
    if (!input) throw new Error(`splicing reads ${splice.dict.inputHook}, which is not supported (use mlp.hook_in, ln2.hook_normalized or hook_resid_mid)`);
    return hook(`blocks.${l}.hook_mlp_out`, () => splicedOut(l, input, trueOut()));
  };

  let resid = hook('hook_embed', () => {
    const e = g.op('Gather', [weight(W.embed), tokens], { axis: 0 });
    // Gemma: × sqrt(hidden), the constant rounded to float32 as transformers does (a tensor of the hidden dtype).
    return cfg.embedScale !== undefined ? g.mul(e, g.scalarF(Math.fround(cfg.embedScale))) : e;
  });
  if (cfg.learnedPositions) {
    const pos = hook('hook_pos_embed', () => {
      const ids = g.op('Expand', [g.unsqueeze(positions(), [0]), g.op('Shape', [tokens])]); // [B, T]
      return g.op('Gather', [weight(W.posEmbed), ids], { axis: 0 });
    });
    resid = g.add(resid, pos);
  }
  for (let l = 0; l <= Math.min(lastLayer, cfg.nLayers - 1); l++) {
    const pre = hook(`blocks.${l}.hook_resid_pre`, () => resid);
    const mid = hook(`blocks.${l}.hook_resid_mid`, () => g.add(pre, attention(l, pre)));
    resid = hook(`blocks.${l}.hook_resid_post`, () => g.add(mid, mlp(l, mid)));
  }
  if (lastLayer >= cfg.nLayers) {
    const xf = rmsNorm(resid, 'ln_final', W.lnFinal, W.lnFinalBias);
    hook('logits', () => softcap(g, linear(xf, W.unembed), cfg.finalSoftcap));
  }
  return g.build();
}

/** Weight tensors by name, for callers that need shapes without building. */
export function weightTensor(spec: ModelSpec, name: string): Tensor {
  const t = spec.weights.get(name);
  if (!t) throw new Error(`model is missing weight ${name}`);
  return t;
}
