/**
 * One optimizer step of a TopK per-layer transcoder (optionally with a linear skip), written as an ONNX graph
 * with explicit gradients — onnxruntime has no autograd, and a JS loop would be ~200× slower.
 *
 * Forward:  h = x·W_encᵀ + b_enc;  a = TopK_k(h) (others 0);  ŷ = a·W_dec + b_dec + x·W_skipᵀ
 * Loss:     Σ_rows ‖ŷ − y‖² / N
 * Backward: g = 2(ŷ − y)/N;  ∂W_dec = aᵀg;  ∂b_dec = Σ g;  ∂W_skip = gᵀx;
 *           ∂h = (g·W_decᵀ) ⊙ [selected]  (TopK passes gradient to the selected units);  ∂W_enc = ∂hᵀx;  ∂b_enc = Σ ∂h
 * Update:   Adam (bias correction folded into the `lr_t` input), then decoder rows renormalized to unit norm so
 *           activations carry the magnitudes (and features are comparable across layers).
 */
import { GraphBuilder, type Value } from '../onnx/builder';

export interface TrainStepShape {
  readonly d: number;
  readonly D: number;
  readonly k: number;
  readonly skip: boolean;
}

export const TRAIN_PARAMS = ['W_enc', 'b_enc', 'W_dec', 'b_dec', 'W_skip'] as const;
export type TrainParam = (typeof TRAIN_PARAMS)[number];

export function trainParamShapes(s: TrainStepShape): Record<TrainParam, number[]> {
  return { W_enc: [s.D, s.d], b_enc: [s.D], W_dec: [s.D, s.d], b_dec: [s.d], W_skip: [s.d, s.d] };
}

export function activeParams(s: TrainStepShape): TrainParam[] {
  return TRAIN_PARAMS.filter((p) => p !== 'W_skip' || s.skip);
}

export function buildTrainStepProgram(s: TrainStepShape, adam = { beta1: 0.9, beta2: 0.999, eps: 1e-8 }): Uint8Array {
  const g = new GraphBuilder('train_step');
  const { d, D, k } = s;
  const shapes = trainParamShapes(s);
  const x = g.input('x', 'float32', ['N', d]);
  const y = g.input('y', 'float32', ['N', d]);
  const lrT = g.input('lr_t', 'float32', []);
  const p: Partial<Record<TrainParam, Value>> = {};
  for (const name of activeParams(s)) p[name] = g.input(name, 'float32', shapes[name]);

  const nRows = g.op('Cast', [g.dim(x, 0)], { to: 1 });
  const h = g.add(g.matMul(x, g.transpose(p.W_enc!, [1, 0])), p.b_enc!);
  const [vals, idx] = g.opN('TopK', [h, g.constI64([k])], 2, { axis: -1, largest: 1, sorted: 0 });
  const zeros = g.op('ConstantOfShape', [g.op('Shape', [h])]);
  const a = g.op('ScatterElements', [zeros, idx, vals], { axis: -1 });
  const selected = g.op('ScatterElements', [zeros, idx, g.op('Expand', [g.scalarF(1), g.op('Shape', [vals])])], { axis: -1 });
  let yHat = g.add(g.matMul(a, p.W_dec!), p.b_dec!);
  if (s.skip) yHat = g.add(yHat, g.matMul(x, g.transpose(p.W_skip!, [1, 0])));
  const e = g.sub(yHat, y);
  const sse = g.op('ReduceSum', [g.mul(e, e)], { keepdims: 0 });
  g.output(g.div(sse, nRows), 'loss', 'float32', []);
  g.output(sse, 'sse', 'float32', []);
  // Per-row residuals: the trainer resamples dead features toward badly reconstructed inputs.
  g.output(e, 'err', 'float32', ['N', d]);
  g.output(g.op('ReduceSum', [selected, g.constI64([0])], { keepdims: 0 }), 'fired', 'float32', [D]);

  const ge = g.div(g.mul(e, g.scalarF(2)), nRows);
  const grads: Partial<Record<TrainParam, Value>> = {};
  grads.W_dec = g.matMul(g.transpose(a, [1, 0]), ge);
  grads.b_dec = g.op('ReduceSum', [ge, g.constI64([0])], { keepdims: 0 });
  if (s.skip) grads.W_skip = g.matMul(g.transpose(ge, [1, 0]), x);
  const gh = g.mul(g.matMul(ge, g.transpose(p.W_dec!, [1, 0])), selected);
  grads.W_enc = g.matMul(g.transpose(gh, [1, 0]), x);
  grads.b_enc = g.op('ReduceSum', [gh, g.constI64([0])], { keepdims: 0 });

  const b1 = g.scalarF(adam.beta1);
  const b2 = g.scalarF(adam.beta2);
  const one = g.scalarF(1);
  const eps = g.scalarF(adam.eps);
  for (const name of activeParams(s)) {
    const m = g.input(`m_${name}`, 'float32', shapes[name]);
    const v = g.input(`v_${name}`, 'float32', shapes[name]);
    const gr = grads[name]!;
    const m2 = g.add(g.mul(b1, m), g.mul(g.sub(one, b1), gr));
    const v2 = g.add(g.mul(b2, v), g.mul(g.sub(one, b2), g.mul(gr, gr)));
    let p2 = g.sub(p[name]!, g.mul(lrT, g.div(m2, g.add(g.sqrt(v2), eps))));
    if (name === 'W_dec') {
      const norm = g.op('ReduceL2', [p2], { axes: { ints: [1] }, keepdims: 1 });
      p2 = g.div(p2, g.op('Max', [norm, g.scalarF(1e-8)]));
    }
    g.output(p2, `new_${name}`, 'float32', shapes[name]);
    g.output(m2, `new_m_${name}`, 'float32', shapes[name]);
    g.output(v2, `new_v_${name}`, 'float32', shapes[name]);
  }
  return g.toBytes();
}
