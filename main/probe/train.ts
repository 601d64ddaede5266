/**
 * Linear probes: activations of one hook collected through the forward program, a seeded stratified split,
 * logistic regression fitted on the training split for each L2 strength of a grid, the strength with the best
 * validation log-loss refitted on train + validation, and the test split reported.
 */
import type { ModelSpec } from '../../shared/model';
import { PROBE_FORMAT, PROBE_VERSION, type ProbeFile, type ProbeMetrics, type ProbePosition } from '../../shared/probe';
import { collectHook, hookWidth, type CollectOptions } from './collect';
import type { LabeledData } from './data';
import { fitLogistic, predictLogistic } from './logistic';
import { accuracy, auroc, logLoss } from './metrics';
import { DEFAULT_SPLIT, splitIndices, type Split } from './split';

export const DEFAULT_L2_GRID = [1e-4, 1e-3, 1e-2, 1e-1, 1, 10];

export function metricsOf(p: ArrayLike<number>, y: ArrayLike<number>): ProbeMetrics {
  let positives = 0;
  for (let i = 0; i < y.length; i++) positives += y[i];
  return { n: p.length, positives, auroc: auroc(p, y), accuracy: accuracy(p, y), logLoss: logLoss(p, y) };
}

export interface FittedProbe {
  readonly w: Float64Array;
  readonly b: number;
  readonly l2: number;
  readonly metrics: { train: ProbeMetrics; validation: ProbeMetrics; test: ProbeMetrics };
}

const pick = (y: ArrayLike<number>, rows: readonly number[]) => Uint8Array.from(rows, (r) => y[r]);

/** Model selection and fit on a feature matrix X [n, d] (shared by probe training and monitor baselines). */
export function fitProbe(X: Float32Array, y: Uint8Array, d: number, split: Split, grid: readonly number[] = DEFAULT_L2_GRID): FittedProbe {
  let best = { l2: grid[0], loss: Infinity, val: null as ProbeMetrics | null, train: null as ProbeMetrics | null };
  for (const l2 of grid) {
    const m = fitLogistic(X, y, split.train, d, l2);
    const pv = predictLogistic(m.w, m.b, X, split.validation, d);
    const loss = logLoss(pv, pick(y, split.validation));
    if (loss < best.loss) {
      best = { l2, loss, val: metricsOf(pv, pick(y, split.validation)), train: metricsOf(predictLogistic(m.w, m.b, X, split.train, d), pick(y, split.train)) };
    }
  }
  const trainVal = [...split.train, ...split.validation];
  const final = fitLogistic(X, y, trainVal, d, best.l2);
  const pt = predictLogistic(final.w, final.b, X, split.test, d);
  return { w: final.w, b: final.b, l2: best.l2, metrics: { train: best.train!, validation: best.val!, test: metricsOf(pt, pick(y, split.test)) } };
}

export interface TrainProbeOptions extends CollectOptions {
  readonly hook: string;
  readonly position: ProbePosition;
  readonly seed: number;
  readonly l2Grid?: readonly number[];
  /** Replace the labels (e.g. shuffled, for a null test); default: the data's. */
  readonly labels?: Uint8Array;
}

export async function trainProbe(spec: ModelSpec, data: LabeledData, opts: TrainProbeOptions): Promise<ProbeFile> {
  const d = hookWidth(spec, opts.hook);
  const X = await collectHook(spec, data.seqs, opts.hook, opts.position, opts);
  const y = opts.labels ?? data.labels;
  const split = splitIndices(y, opts.seed);
  const grid = opts.l2Grid ?? DEFAULT_L2_GRID;
  const fit = fitProbe(X, y, d, split, grid);
  return {
    format: PROBE_FORMAT,
    version: PROBE_VERSION,
    hook: opts.hook,
    position: opts.position,
    model: { name: spec.name, fingerprint: spec.fingerprint, dModel: spec.config.dModel },
    weights: Array.from(fit.w),
    bias: fit.b,
    l2: fit.l2,
    l2Grid: [...grid],
    data: { file: data.file, sha256: data.sha256, items: data.seqs.length, seed: opts.seed, split: [...DEFAULT_SPLIT] },
    metrics: fit.metrics,
    createdAt: new Date().toISOString(),
  };
}

/** Probe scores σ(w·x + b) of a feature matrix. */
export function probeScores(probe: Pick<ProbeFile, 'weights' | 'bias'>, X: Float32Array, n: number): Float64Array {
  const d = probe.weights.length;
  return predictLogistic(probe.weights, probe.bias, X, Array.from({ length: n }, (_, i) => i), d);
}

/**
 * A probe on labeled data: on the test split when the data is the file it was trained on (same sha256 and the
 * split is reproduced from its seed), else on every item.
 */
export async function evalProbe(spec: ModelSpec, probe: ProbeFile, data: LabeledData, opts: CollectOptions = {}): Promise<{ scope: 'test split' | 'all items'; metrics: ProbeMetrics }> {
  const X = await collectHook(spec, data.seqs, probe.hook, probe.position, opts);
  const p = probeScores(probe, X, data.seqs.length);
  if (data.sha256 === probe.data.sha256) {
    const test = splitIndices(data.labels, probe.data.seed).test;
    return { scope: 'test split', metrics: metricsOf(Float64Array.from(test, (i) => p[i]), pick(data.labels, test)) };
  }
  return { scope: 'all items', metrics: metricsOf(p, data.labels) };
}
