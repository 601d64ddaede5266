/**
 * Plain-TypeScript reference forward pass of a Llama-style model (llama2.c / HF Llama semantics).
 *
 * Purpose: the independent check for the onnxruntime forward program and the baseline in benchmarks. It is
 * written for clarity and exact semantics, not speed: simple loops over typed arrays, float64 accumulators.
 *
 * Precision contract: every hook value is a float32 tensor, and the float32 value is what flows downstream
 * (exactly like a float32 engine whose hook points are materialised tensors). Each op accumulates in float64
 * and rounds once when it stores its hook. Consequence: freezing a hook with the value a clean run returned
 * reproduces that run bit for bit.
 */
import { type ModelSpec, weightNames } from '../../shared/model';
import { BLOCK_HOOKS, type BlockHook, allHookNames, blockHook, hookShape, parseHookName } from '../../shared/hooks';
import { numel, type Tensor } from '../../shared/tensor';

export interface RefIntervention {
  readonly hook: string;
  readonly op: 'add' | 'set';
  /** Batch row to edit; default: all rows. */
  readonly batch?: number;
  /** Positions to edit (query positions for scores/patterns); default: all. */
  readonly positions?: readonly number[];
  /** One position's slice (numel of the hook shape without B and the position axis), broadcast to every chosen position. */
  readonly value: Float32Array;
}

export interface RefForwardOptions {
  /** Hook names to return ('logits' is a hook). */
  readonly outputs: readonly string[];
  /** Hook name -> full tensor [B, ...] used instead of computing the hook. */
  readonly freeze?: ReadonlyMap<string, Tensor>;
  readonly interventions?: readonly RefIntervention[];
}

type Vec = Float32Array | Float64Array;

function unknownHook(name: string, nLayers: number): RangeError {
  const L = nLayers - 1;
  return new RangeError(
    `unknown hook "${name}"; valid names are hook_embed, blocks.{0..${L}}.{${BLOCK_HOOKS.join(', ')}}, ` +
      `ln_final.hook_scale, ln_final.hook_normalized, logits (e.g. blocks.0.hook_resid_pre, blocks.${L}.attn.hook_pattern)`,
  );
}

/** Owns the per-hook protocol: value = frozen ?? computed; then 'set' interventions; then 'add'; record if wanted. */
class HookPoints {
  private readonly edits = new Map<string, RefIntervention[]>();
  readonly results = new Map<string, Tensor>();

  constructor(
    private readonly spec: ModelSpec,
    private readonly B: number,
    private readonly T: number,
    private readonly opts: RefForwardOptions,
  ) {
    const cfg = spec.config;
    const check = (name: string): { shape: number[]; posAxis: number } => {
      if (!parseHookName(name, cfg.nLayers)) throw unknownHook(name, cfg.nLayers);
      return hookShape(name, cfg, B, T);
    };
    for (const name of opts.outputs) check(name);
    for (const [name, t] of opts.freeze ?? []) {
      const { shape } = check(name);
      if (t.shape.length !== shape.length || t.shape.some((s, i) => s !== shape[i]) || t.data.length !== numel(shape)) {
        throw new RangeError(`freeze "${name}": expected shape [${shape.join(', ')}], got [${t.shape.join(', ')}] with ${t.data.length} elements`);
      }
    }
    for (const iv of opts.interventions ?? []) {
      const { shape } = check(iv.hook);
      if (iv.op !== 'add' && iv.op !== 'set') throw new RangeError(`intervention on "${iv.hook}": op must be 'add' or 'set', got "${String(iv.op)}"`);
      const sliceLen = numel(shape) / (B * T);
      if (iv.value.length !== sliceLen) {
        throw new RangeError(`intervention on "${iv.hook}": value has ${iv.value.length} elements, one position's slice needs ${sliceLen}`);
      }
      if (iv.batch !== undefined && !(Number.isInteger(iv.batch) && iv.batch >= 0 && iv.batch < B)) {
        throw new RangeError(`intervention on "${iv.hook}": batch ${iv.batch} is outside 0..${B - 1}`);
      }
      for (const p of iv.positions ?? []) {
        if (!(Number.isInteger(p) && p >= 0 && p < T)) throw new RangeError(`intervention on "${iv.hook}": position ${p} is outside 0..${T - 1}`);
      }
      this.edits.set(iv.hook, [...(this.edits.get(iv.hook) ?? []), iv]);
    }
  }

  /** Produces the final value of hook `name`; `compute` is only called when the hook is not frozen. */
  point(name: string, compute: () => Float32Array): Float32Array {
    const frozen = this.opts.freeze?.get(name);
    // Copy a frozen tensor: interventions edit in place and the caller's tensor must stay untouched.
    const v = frozen ? Float32Array.from(frozen.data) : compute();
    const edits = this.edits.get(name) ?? [];
    const { shape, posAxis } = hookShape(name, this.spec.config, this.B, this.T);
    // Element (b, o, pos, i) with o over the axes between B and the position axis, i over the axes after it;
    // the intervention value is indexed (o, i).
    const outer = numel(shape.slice(1, posAxis));
    const inner = numel(shape.slice(posAxis + 1));
    for (const op of ['set', 'add'] as const) {
      for (const iv of edits) {
        if (iv.op !== op) continue;
        const batches = iv.batch === undefined ? [...Array(this.B).keys()] : [iv.batch];
        const positions = iv.positions ?? [...Array(this.T).keys()];
        for (const b of batches) {
          for (const pos of positions) {
            for (let o = 0; o < outer; o++) {
              const base = ((b * outer + o) * this.T + pos) * inner;
              for (let i = 0; i < inner; i++) {
                v[base + i] = op === 'set' ? iv.value[o * inner + i] : v[base + i] + iv.value[o * inner + i];
              }
            }
          }
        }
      }
    }
    if (this.opts.outputs.includes(name)) this.results.set(name, { data: v, shape });
    return v;
  }
}

function weight(spec: ModelSpec, name: string, shape: readonly number[]): Float32Array {
  const t = spec.weights.get(name);
  if (!t) throw new RangeError(`model "${spec.name}" has no weight "${name}"`);
  if (t.shape.length !== shape.length || t.shape.some((s, i) => s !== shape[i])) {
    throw new RangeError(`weight "${name}": expected shape [${shape.join(', ')}], got [${t.shape.join(', ')}]`);
  }
  return t.data;
}

/** y[r, o] = Σ_i W[o, i] · x[r, i] for `rows` rows (W is (out, in), row-major), float64 accumulation. */
function linear(x: Vec, rows: number, W: Float32Array, outDim: number, inDim: number): Float32Array {
  const y = new Float32Array(rows * outDim);
  for (let r = 0; r < rows; r++) {
    const xo = r * inDim;
    for (let o = 0; o < outDim; o++) {
      const wo = o * inDim;
      let acc = 0;
      for (let i = 0; i < inDim; i++) acc += W[wo + i] * x[xo + i];
      y[r * outDim + o] = acc;
    }
  }
  return y;
}

function add(a: Float32Array, b: Float32Array): Float32Array {
  const y = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) y[i] = a[i] + b[i];
  return y;
}

/** x ⊙ gain per row. Kept in float64: a product of two float32 values is exact there. */
function scaleRows(x: Float32Array, gain: Float32Array): Float64Array {
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = x[i] * gain[i % gain.length];
  return y;
}

/**
 * RMSNorm split at its hook points: scale = sqrt(mean(x²) + eps), normalized = x / scale (gain not applied).
 * The division uses the hook's (possibly frozen or edited) scale, so a frozen scale makes the norm linear in x.
 */
function rmsNorm(hp: HookPoints, prefix: string, x: Float32Array, rows: number, d: number, eps: number): Float32Array {
  const scale = hp.point(`${prefix}.hook_scale`, () => {
    const s = new Float32Array(rows);
    for (let r = 0; r < rows; r++) {
      let ss = 0;
      for (let i = 0; i < d; i++) ss += x[r * d + i] * x[r * d + i];
      s[r] = Math.sqrt(ss / d + eps);
    }
    return s;
  });
  return hp.point(`${prefix}.hook_normalized`, () => {
    const y = new Float32Array(rows * d);
    for (let r = 0; r < rows; r++) for (let i = 0; i < d; i++) y[r * d + i] = x[r * d + i] / scale[r];
    return y;
  });
}

export function referenceForward(
  spec: ModelSpec,
  tokens: readonly (readonly number[])[],
  opts: RefForwardOptions,
): Map<string, Tensor> {
  const cfg = spec.config;
  const { dModel: d, nLayers: L, nHeads: H, nKvHeads: K, headDim: dh, dMlp: m, vocabSize: V, normEps: eps } = cfg;
  if (cfg.norm !== 'rms' || cfg.mlp !== 'gated-silu') throw new RangeError(`unsupported architecture: norm ${cfg.norm}, mlp ${cfg.mlp}`);
  if (H % K !== 0) throw new RangeError(`nHeads ${H} is not a multiple of nKvHeads ${K}`);
  const B = tokens.length;
  const T = B > 0 ? tokens[0].length : 0;
  if (B === 0 || T === 0) throw new RangeError('tokens must hold at least one non-empty sequence');
  for (const [b, seq] of tokens.entries()) {
    if (seq.length !== T) throw new RangeError(`sequence ${b} has ${seq.length} tokens, sequence 0 has ${T}: all must have equal length`);
    for (const id of seq) if (!(Number.isInteger(id) && id >= 0 && id < V)) throw new RangeError(`token id ${id} in sequence ${b} is outside 0..${V - 1}`);
  }
  const hp = new HookPoints(spec, B, T, opts);
  const rows = B * T; // row r = b·T + t; position t = r % T

  // Stop once every requested hook exists; later hooks (and their interventions) cannot affect outputs.
  const order = allHookNames(L);
  const last = Math.max(-1, ...opts.outputs.map((o) => order.indexOf(o as (typeof order)[number])));
  const layersNeeded = Math.min(L, Math.ceil(Math.max(0, last) / BLOCK_HOOKS.length));

  // RoPE angle table [T, dh/2], angles in float32 like llama2.c's run.c; cos/sin in float64.
  const half = dh / 2;
  const cos = new Float64Array(T * half);
  const sin = new Float64Array(T * half);
  if (cfg.rope) {
    for (let t = 0; t < T; t++) {
      for (let i = 0; i < half; i++) {
        const freq = Math.fround(1 / Math.fround(Math.pow(cfg.rope.theta, Math.fround((2 * i) / dh))));
        const angle = Math.fround(t * freq);
        cos[t * half + i] = Math.cos(angle);
        sin[t * half + i] = Math.sin(angle);
      }
    }
  }
  /** Rotates each head of x [rows, nh, dh]. 'interleaved' pairs (2i, 2i+1); 'half' pairs (i, i + dh/2). */
  const rope = (x: Float32Array, nh: number): Float32Array => {
    if (!cfg.rope) return Float32Array.from(x);
    const interleaved = cfg.rope.kind === 'interleaved';
    const y = new Float32Array(x.length);
    for (let r = 0; r < rows; r++) {
      const t = r % T;
      for (let h = 0; h < nh; h++) {
        const base = (r * nh + h) * dh;
        for (let i = 0; i < half; i++) {
          const a = base + (interleaved ? 2 * i : i);
          const b = base + (interleaved ? 2 * i + 1 : i + half);
          const c = cos[t * half + i];
          const s = sin[t * half + i];
          y[a] = x[a] * c - x[b] * s;
          y[b] = x[a] * s + x[b] * c;
        }
      }
    }
    return y;
  };

  const WE = weight(spec, weightNames.embed, [V, d]);
  let resid = hp.point('hook_embed', () => {
    const y = new Float32Array(rows * d);
    for (let r = 0; r < rows; r++) {
      const id = tokens[Math.floor(r / T)][r % T];
      y.set(WE.subarray(id * d, (id + 1) * d), r * d);
    }
    return y;
  });

  for (let l = 0; l < layersNeeded; l++) {
    const P = (h: BlockHook, compute: () => Float32Array): Float32Array => hp.point(blockHook(l, h), compute);
    // A copy, not an alias: edits to resid_pre must not rewrite the previous hook's returned tensor.
    const residPre = P('hook_resid_pre', () => Float32Array.from(resid));

    // Attention. Query head h reads kv head floor(h / (H/K)) (grouped-query attention).
    const attnIn = scaleRows(rmsNorm(hp, `blocks.${l}.ln1`, residPre, rows, d, eps), weight(spec, weightNames.ln1(l), [d]));
    const q = P('attn.hook_q', () => linear(attnIn, rows, weight(spec, weightNames.wq(l), [H * dh, d]), H * dh, d));
    const k = P('attn.hook_k', () => linear(attnIn, rows, weight(spec, weightNames.wk(l), [K * dh, d]), K * dh, d));
    const v = P('attn.hook_v', () => linear(attnIn, rows, weight(spec, weightNames.wv(l), [K * dh, d]), K * dh, d));
    const rotQ = P('attn.hook_rot_q', () => rope(q, H));
    const rotK = P('attn.hook_rot_k', () => rope(k, K));
    const group = H / K;
    const scores = P('attn.hook_attn_scores', () => {
      const s = new Float32Array(B * H * T * T);
      const inv = 1 / Math.sqrt(dh);
      for (let b = 0; b < B; b++) {
        for (let h = 0; h < H; h++) {
          const kh = Math.floor(h / group);
          for (let tq = 0; tq < T; tq++) {
            const row = ((b * H + h) * T + tq) * T;
            const qo = ((b * T + tq) * H + h) * dh;
            for (let tk = 0; tk < T; tk++) {
              if (tk > tq) { s[row + tk] = -Infinity; continue; } // causal mask
              const ko = ((b * T + tk) * K + kh) * dh;
              let acc = 0;
              for (let i = 0; i < dh; i++) acc += rotQ[qo + i] * rotK[ko + i];
              s[row + tk] = acc * inv;
            }
          }
        }
      }
      return s;
    });
    // Softmax over keys 0..q only: the mask is positional, so edits to masked scores cannot leak in.
    const pattern = P('attn.hook_pattern', () => {
      const p = new Float32Array(scores.length);
      const e = new Float64Array(T); // unnormalised exp of one row, kept in float64
      for (let row = 0; row < B * H * T; row++) {
        const tq = row % T;
        const o = row * T;
        let max = -Infinity;
        for (let tk = 0; tk <= tq; tk++) max = Math.max(max, scores[o + tk]);
        let sum = 0;
        for (let tk = 0; tk <= tq; tk++) sum += e[tk] = Math.exp(scores[o + tk] - max);
        for (let tk = 0; tk <= tq; tk++) p[o + tk] = e[tk] / sum;
      }
      return p;
    });
    // z sums over all keys: a frozen/edited pattern is used as given, including any weight on masked keys.
    const z = P('attn.hook_z', () => {
      const y = new Float32Array(rows * H * dh);
      const acc = new Float64Array(dh);
      for (let b = 0; b < B; b++) {
        for (let h = 0; h < H; h++) {
          const kh = Math.floor(h / group);
          for (let tq = 0; tq < T; tq++) {
            acc.fill(0);
            const row = ((b * H + h) * T + tq) * T;
            for (let tk = 0; tk < T; tk++) {
              const w = pattern[row + tk];
              if (w === 0) continue;
              const vo = ((b * T + tk) * K + kh) * dh;
              for (let i = 0; i < dh; i++) acc[i] += w * v[vo + i];
            }
            y.set(acc, ((b * T + tq) * H + h) * dh);
          }
        }
      }
      return y;
    });
    const attnOut = P('hook_attn_out', () => linear(z, rows, weight(spec, weightNames.wo(l), [d, H * dh]), d, H * dh));
    const residMid = P('hook_resid_mid', () => add(residPre, attnOut));

    // Gated-SiLU MLP: W_out · (silu(W_gate·in) ⊙ (W_in·in)).
    const normalized2 = rmsNorm(hp, `blocks.${l}.ln2`, residMid, rows, d, eps);
    const mlpIn = P('mlp.hook_in', () => Float32Array.from(scaleRows(normalized2, weight(spec, weightNames.ln2(l), [d]))));
    const pre = P('mlp.hook_pre', () => linear(mlpIn, rows, weight(spec, weightNames.wGate(l), [m, d]), m, d));
    const preLinear = P('mlp.hook_pre_linear', () => linear(mlpIn, rows, weight(spec, weightNames.wIn(l), [m, d]), m, d));
    const post = P('mlp.hook_post', () => {
      const y = new Float32Array(pre.length);
      for (let i = 0; i < pre.length; i++) y[i] = (pre[i] / (1 + Math.exp(-pre[i]))) * preLinear[i];
      return y;
    });
    const mlpOut = P('hook_mlp_out', () => linear(post, rows, weight(spec, weightNames.wOut(l), [d, m]), d, m));
    resid = P('hook_resid_post', () => add(residMid, mlpOut));
  }

  if (last >= order.indexOf('ln_final.hook_scale')) {
    const finalIn = scaleRows(rmsNorm(hp, 'ln_final', resid, rows, d, eps), weight(spec, weightNames.lnFinal, [d]));
    hp.point('logits', () => linear(finalIn, rows, weight(spec, weightNames.unembed, [V, d]), V, d));
  }
  // Return in the order requested (a Map keeps insertion order).
  return new Map(opts.outputs.map((name) => [name, hp.results.get(name) as Tensor]));
}
