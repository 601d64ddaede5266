/**
 * Trains one TopK transcoder layer on (MLP input, MLP output) pairs with the ONNX train-step program.
 * JS does bookkeeping only: minibatch gathering, the learning-rate schedule, dead-feature resampling.
 */
import type { TranscoderLayer } from '../../shared/dictionary';
import { getSession, ort } from '../../native/session';
import { activeParams, buildTrainStepProgram, trainParamShapes, type TrainParam, type TrainStepShape } from '../../native/programs/trainStep';
import { Rng } from '../engine/sampler';
import { leastSquares } from './linalg';

export interface TrainLayerOptions {
  readonly features: number;
  readonly k: number;
  readonly skip: boolean;
  readonly steps: number;
  readonly batchSize: number;
  readonly lr: number;
  readonly seed: number;
  /** Resample features that did not fire in the last `resampleEvery` steps, until `resampleUntil`·steps. */
  readonly resampleEvery: number;
  readonly resampleUntil: number;
  readonly onStep?: (step: number, loss: number) => void;
  readonly signal?: AbortSignal;
}

export interface LayerData {
  /** (N, d) inputs and targets, row-major. */
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly n: number;
  readonly d: number;
}

export interface TrainState {
  step: number;
  params: Record<TrainParam, Float32Array>;
  m: Record<TrainParam, Float32Array>;
  v: Record<TrainParam, Float32Array>;
  /** Steps since each feature last fired. */
  sinceFired: Float32Array;
  /** Minibatch/resampling generator, carried across checkpoints so a resumed run equals an uninterrupted one. */
  rng: Rng;
}

function gaussian(rng: Rng): number {
  // Box–Muller on the llama2.c generator: deterministic for a seed on every platform.
  const u = Math.max(rng.f32(), 1e-7);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.f32());
}

function rowNorm(a: Float32Array, r: number, d: number): number {
  let s = 0;
  for (let j = 0; j < d; j++) s += a[r * d + j] ** 2;
  return Math.sqrt(s);
}

export function initTrainState(data: LayerData, o: TrainLayerOptions): TrainState {
  const shape: TrainStepShape = { d: data.d, D: o.features, k: o.k, skip: o.skip };
  const shapes = trainParamShapes(shape);
  const rng = new Rng(o.seed);
  const { d } = data;
  const D = o.features;
  const zeros = (n: number[]) => new Float32Array(n.reduce((a, b) => a * b, 1));
  const params: Record<TrainParam, Float32Array> = { W_enc: zeros(shapes.W_enc), b_enc: zeros(shapes.b_enc), W_dec: zeros(shapes.W_dec), b_dec: zeros(shapes.b_dec), W_skip: zeros(shapes.W_skip) };
  // Mean input norm sets the encoder scale so initial pre-activations are O(1).
  let xNorm = 0;
  const probe = Math.min(data.n, 4096);
  for (let r = 0; r < probe; r++) xNorm += rowNorm(data.x, r, d) / probe;
  for (let f = 0; f < D; f++) {
    for (let j = 0; j < d; j++) params.W_dec[f * d + j] = gaussian(rng);
    const n = rowNorm(params.W_dec, f, d);
    for (let j = 0; j < d; j++) {
      params.W_dec[f * d + j] /= n;
      params.W_enc[f * d + j] = params.W_dec[f * d + j] / Math.max(xNorm, 1e-6);
    }
  }
  // The skip starts at the least-squares linear map and b_dec at the mean of what it leaves unexplained:
  // features then only have to learn the non-linear part.
  if (o.skip) params.W_skip = leastSquares(data.x, data.y, data.n, d);
  for (let r = 0; r < data.n; r++) {
    for (let j = 0; j < d; j++) {
      let skip = 0;
      if (o.skip) for (let i = 0; i < d; i++) skip += params.W_skip[j * d + i] * data.x[r * d + i];
      params.b_dec[j] += (data.y[r * d + j] - skip) / data.n;
    }
  }
  const m = Object.fromEntries(Object.entries(params).map(([k2, v2]) => [k2, new Float32Array(v2.length)])) as Record<TrainParam, Float32Array>;
  const v = Object.fromEntries(Object.entries(params).map(([k2, v2]) => [k2, new Float32Array(v2.length)])) as Record<TrainParam, Float32Array>;
  return { step: 0, params, m, v, sinceFired: new Float32Array(D), rng };
}

function learningRate(o: TrainLayerOptions, step: number): number {
  const warm = Math.min(1, (step + 1) / 100);
  const decayStart = 0.8 * o.steps;
  const decay = step < decayStart ? 1 : Math.max(0.02, (o.steps - step) / (o.steps - decayStart));
  return o.lr * warm * decay;
}

export interface TrainHooks {
  /** Called after every step; a checkpoint writer saves `state` from here. */
  readonly afterStep?: (state: TrainState, loss: number) => Promise<void> | void;
}

export async function trainLayer(
  data: LayerData,
  o: TrainLayerOptions,
  state = initTrainState(data, o),
  hooks: TrainHooks = {},
): Promise<{ layer: TranscoderLayer; state: TrainState }> {
  const shape: TrainStepShape = { d: data.d, D: o.features, k: o.k, skip: o.skip };
  const shapes = trainParamShapes(shape);
  const session = await getSession(`train|${JSON.stringify(shape)}`, () => buildTrainStepProgram(shape));
  const names = activeParams(shape);
  const rng = state.rng;
  const { d } = data;
  const B = Math.min(o.batchSize, data.n);
  const xb = new Float32Array(B * d);
  const yb = new Float32Array(B * d);
  const beta1 = 0.9;
  const beta2 = 0.999;

  const runStep = async (lr: number) => {
    for (let r = 0; r < B; r++) {
      const src = rng.u32() % data.n;
      xb.set(data.x.subarray(src * d, src * d + d), r * d);
      yb.set(data.y.subarray(src * d, src * d + d), r * d);
    }
    const t = state.step + 1;
    const lrT = (lr * Math.sqrt(1 - beta2 ** t)) / (1 - beta1 ** t);
    const feeds: Record<string, ort.Tensor> = {
      x: new ort.Tensor('float32', xb, [B, d]),
      y: new ort.Tensor('float32', yb, [B, d]),
      lr_t: new ort.Tensor('float32', Float32Array.of(lrT), []),
    };
    for (const n of names) {
      feeds[n] = new ort.Tensor('float32', state.params[n], shapes[n]);
      feeds[`m_${n}`] = new ort.Tensor('float32', state.m[n], shapes[n]);
      feeds[`v_${n}`] = new ort.Tensor('float32', state.v[n], shapes[n]);
    }
    return session.run(feeds);
  };

  while (state.step < o.steps) {
    o.signal?.throwIfAborted();
    const out = await runStep(learningRate(o, state.step));
    for (const n of names) {
      state.params[n] = out[`new_${n}`].data as Float32Array;
      state.m[n] = out[`new_m_${n}`].data as Float32Array;
      state.v[n] = out[`new_v_${n}`].data as Float32Array;
    }
    const fired = out.fired.data as Float32Array;
    for (let f = 0; f < fired.length; f++) state.sinceFired[f] = fired[f] > 0 ? 0 : state.sinceFired[f] + 1;
    state.step++;
    if (state.step % o.resampleEvery === 0 && state.step < o.resampleUntil * o.steps) {
      const err = (await runStep(0)).err.data as Float32Array; // lr 0: a fresh batch's residuals, no update
      resampleDead(state, xb, err, B, d, o.resampleEvery, rng);
    }
    const loss = (out.loss.data as Float32Array)[0];
    o.onStep?.(state.step, loss);
    await hooks.afterStep?.(state, loss);
  }
  const p = state.params;
  const layer: TranscoderLayer = {
    W_enc: { data: p.W_enc, shape: shapes.W_enc },
    b_enc: { data: p.b_enc, shape: shapes.b_enc },
    W_dec: { data: p.W_dec, shape: shapes.W_dec },
    b_dec: { data: p.b_dec, shape: shapes.b_dec },
    ...(o.skip ? { W_skip: { data: p.W_skip, shape: shapes.W_skip } } : {}),
  };
  return { layer, state };
}

/**
 * Dead-feature resampling (after Anthropic's "Towards Monosemanticity"): a feature silent for a whole window
 * is pointed at an input the dictionary reconstructs badly, chosen with probability ∝ its squared error:
 * decoder row = the residual's direction, encoder row = the input's direction at the alive features' scale.
 */
function resampleDead(state: TrainState, xb: Float32Array, err: Float32Array, B: number, d: number, window: number, rng: Rng): number {
  const { W_enc, b_enc, W_dec } = state.params;
  const D = b_enc.length;
  const dead: number[] = [];
  let aliveEncNorm = 0;
  for (let f = 0; f < D; f++) {
    if (state.sinceFired[f] >= window) dead.push(f);
    else aliveEncNorm += rowNorm(W_enc, f, d);
  }
  if (dead.length === 0) return 0;
  aliveEncNorm /= Math.max(1, D - dead.length);
  const w = new Float64Array(B);
  let total = 0;
  for (let r = 0; r < B; r++) total += w[r] = rowNorm(err, r, d) ** 2;
  for (const f of dead) {
    let pick = rng.f32() * total;
    let r = 0;
    while (r < B - 1 && pick >= w[r]) pick -= w[r++];
    const en = rowNorm(err, r, d) || 1;
    const xn = rowNorm(xb, r, d) || 1;
    for (let j = 0; j < d; j++) {
      W_dec[f * d + j] = -err[r * d + j] / en; // err = ŷ − y: the missing part is −err
      W_enc[f * d + j] = (xb[r * d + j] / xn) * aliveEncNorm;
    }
    b_enc[f] = 0;
    for (const p of ['W_enc', 'W_dec'] as const) {
      state.m[p].fill(0, f * d, f * d + d);
      state.v[p].fill(0, f * d, f * d + d);
    }
    state.m.b_enc[f] = 0;
    state.v.b_enc[f] = 0;
    state.sinceFired[f] = 0;
  }
  return dead.length;
}
