/**
 * Graph pieces of the Llama family shared by programs other than the forward program. They emit exactly the
 * op sequences `forward.ts` emits (same weight layout, same float32 RoPE angles, same rotation arithmetic), so
 * a program built from them agrees with the forward program to float32 rounding (`forward.ts` uses them too).
 */
import type { ArchConfig, ModelSpec } from '../../shared/model';
import type { GraphBuilder, Value } from '../onnx/builder';
import { llama3InvFreq } from './families';

export interface WeightAccess {
  /** A model weight as an external input (fed from the model's own buffer on every run). */
  weight(name: string): Value;
  /** x·Wᵀ for W stored (out, in), through Gemm's transB (no transposed copy), plus `bias` when the model holds it. */
  linear(x: Value, name: string, bias?: string): Value;
}

export function weightAccess(g: GraphBuilder, spec: ModelSpec): WeightAccess {
  const tensorOf = (name: string) => {
    const t = spec.weights.get(name);
    if (!t) throw new Error(`model is missing weight ${name}`);
    return t;
  };
  // Tied embeddings are one tensor under two names: one input serves both.
  const keyOf = (name: string) => (tensorOf(name) === spec.weights.get('embed.W_E') ? 'embed.W_E' : name);
  const weight = (name: string): Value => g.external(keyOf(name), tensorOf(name));
  const linear = (x: Value, name: string, bias?: string): Value => {
    const t = tensorOf(name);
    const y = g.linearT(x, weight(name), t.shape[0], t.shape[1]);
    // Hugging Face biases are optional weights: a block has one exactly when the weight map holds it.
    return bias && spec.weights.has(bias) ? g.add(y, weight(bias)) : y;
  };
  return { weight, linear };
}

/** theta^(-2i/dh) for i < dh/2, rounded to float32 at each step as llama2.c's run.c does. */
export function ropeInvFreq(theta: number, dh: number): Float32Array {
  const half = dh / 2;
  const invFreq = new Float32Array(half);
  for (let i = 0; i < half; i++) invFreq[i] = Math.fround(1 / Math.fround(Math.pow(theta, (2 * i) / dh)));
  return invFreq;
}

export interface RopeTables {
  readonly cos: Value;
  readonly sin: Value;
}

/**
 * cos/sin tables from float32 positions `pos` [T]: [T, 1, dh/2, 1] (interleaved) or [T, 1, dh/2] (half), laid
 * out to broadcast against [B, T, heads, …] activations.
 */
export function ropeTables(g: GraphBuilder, cfg: ArchConfig, pos: Value): RopeTables {
  const r = cfg.rope;
  if (!r) throw new Error('ropeTables: the model has no rotary embedding');
  const half = cfg.headDim / 2;
  const base = ropeInvFreq(r.theta, cfg.headDim);
  const invFreq = r.llama3 ? llama3InvFreq(base, r.llama3) : base;
  const angle = g.mul(g.unsqueeze(pos, [1]), g.constF(invFreq, [1, half])); // [T, half]
  const shape = r.kind === 'interleaved' ? [0, 1, half, 1] : [0, 1, half];
  return { cos: g.reshape(g.op('Cos', [angle]), shape), sin: g.reshape(g.op('Sin', [angle]), shape) };
}

/** Rotates x [B, T, heads, dh] by the tables, in the family's pairing convention. */
export function applyRope(g: GraphBuilder, cfg: ArchConfig, x: Value, { cos, sin }: RopeTables): Value {
  const r = cfg.rope;
  if (!r) return x;
  const dh = cfg.headDim;
  const half = dh / 2;
  if (r.kind === 'interleaved') {
    const pairs = g.reshape(x, [0, 0, 0, half, 2]);
    const [x0, x1] = g.opN('Split', [pairs, g.constI64([1, 1])], 2, { axis: -1 });
    const o0 = g.sub(g.mul(x0, cos), g.mul(x1, sin));
    const o1 = g.add(g.mul(x0, sin), g.mul(x1, cos));
    return g.reshape(g.concat([o0, o1], -1), [0, 0, 0, dh]);
  }
  const [a, b] = g.opN('Split', [x, g.constI64([half, half])], 2, { axis: -1 });
  return g.concat([g.sub(g.mul(a, cos), g.mul(b, sin)), g.add(g.mul(b, cos), g.mul(a, sin))], -1);
}
