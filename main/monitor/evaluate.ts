/**
 * `cwb monitor eval`: every monitor against the labels of a data file, on the test split of the seeded
 * stratified split (main/probe/split.ts), next to two baselines on the same split:
 * - linear probes on the final residual stream (at the last position, and mean-pooled over positions after
 *   BOS), fitted on train with L2 chosen on validation;
 * - an output-only score: the model's probability of a chosen token at the last position, or (no token) the
 *   entropy of its next-token distribution, oriented and thresholded on train + validation.
 * Monitors keep the threshold of their file; baselines get the best-F1 threshold on train + validation.
 */
import type { ModelSpec } from '../../shared/model';
import { runLens } from '../../native/lensRun';
import { collectHook, lengthBatches, type CollectOptions } from '../probe/collect';
import type { LabeledData } from '../probe/data';
import { predictLogistic } from '../probe/logistic';
import { atThreshold, auroc, bestF1Threshold } from '../probe/metrics';
import { splitIndices } from '../probe/split';
import { fitProbe } from '../probe/train';
import type { MonitorScorer } from './scorer';

export interface EvalRow {
  readonly name: string;
  readonly kind: string;
  readonly auroc: number | null;
  readonly threshold: number;
  readonly precision: number | null;
  readonly recall: number | null;
  readonly flagged: number;
}

export interface MonitorEval {
  readonly data: { readonly file: string; readonly items: number; readonly positives: number };
  readonly split: { readonly seed: number; readonly train: number; readonly validation: number; readonly test: number; readonly testPositives: number };
  readonly monitors: readonly EvalRow[];
  readonly baselines: readonly EvalRow[];
}

export interface EvalOptions extends CollectOptions {
  readonly seed: number;
  /** Output-only baseline token (id); null: entropy. */
  readonly baselineToken: number | null;
  readonly baselineTokenText?: string;
}

const at = <T extends ArrayLike<number>>(xs: T, rows: readonly number[]) => Float64Array.from(rows, (r) => xs[r]);

function row(name: string, kind: string, scores: ArrayLike<number>, y: ArrayLike<number>, threshold: number): EvalRow {
  const m = atThreshold(scores, y, threshold);
  return { name, kind, auroc: auroc(scores, y), threshold, precision: m.precision, recall: m.recall, flagged: m.flagged };
}

export async function evaluateMonitors(spec: ModelSpec, scorer: MonitorScorer, kinds: readonly string[], thresholds: readonly number[], data: LabeledData, opts: EvalOptions): Promise<MonitorEval> {
  const n = data.seqs.length;
  const y = data.labels;
  const split = splitIndices(y, opts.seed);
  const test = split.test;
  const yTest = at(y, test);
  const fitRows = [...split.train, ...split.validation];
  const yFit = at(y, fitRows);

  // Monitors, in batches through the scorer.
  const scores = scorer.names.map(() => new Float64Array(n));
  let done = 0;
  for (const batch of lengthBatches(data.seqs, opts.batchTokens ?? 4096)) {
    opts.signal?.throwIfAborted();
    const s = await scorer.score(batch.map((i) => data.seqs[i]));
    batch.forEach((i, b) => s.forEach((col, k) => (scores[k][i] = col[b])));
    done += batch.length;
    opts.onProgress?.(done, 2 * n);
  }
  const monitors = scorer.names.map((name, k) => row(name, kinds[k], at(scores[k], test), yTest, thresholds[k]));

  // Baseline 1: probes on the final residual stream, at the last position and mean-pooled like the monitors may be.
  const L = spec.config.nLayers;
  const d = spec.config.dModel;
  const finalHook = `blocks.${L - 1}.hook_resid_post`;
  const baselines: EvalRow[] = [];
  let X: Float32Array = new Float32Array(0);
  for (const [k, position] of (['last', 'mean'] as const).entries()) {
    const Xp = await collectHook(spec, data.seqs, finalHook, position, { ...opts, onProgress: (j) => opts.onProgress?.(n + (k * n + j) / 2, 2 * n) });
    if (position === 'last') X = Xp;
    const fit = fitProbe(Xp, y, d, split);
    baselines.push(row(`probe on ${finalHook} (${position})`, 'baseline', predictLogistic(fit.w, fit.b, Xp, test, d), yTest, 0.5));
  }

  // Baseline 2: output only. The final residual's lens is the model's own distribution (exact, see lens tests).
  const lens = await runLens(spec, { data: X, shape: [n, 1, d] }, { target: opts.baselineToken ?? 0, topK: 1 });
  const raw = opts.baselineToken === null ? lens.entropy : lens.targetProb;
  const sign = (auroc(at(raw, fitRows), yFit) ?? 0.5) >= 0.5 ? 1 : -1;
  const out = Float64Array.from(raw, (v) => sign * v);
  const label = opts.baselineToken === null ? 'entropy of the next-token distribution' : `p(${JSON.stringify(opts.baselineTokenText ?? String(opts.baselineToken))}) at the last position`;
  baselines.push(row(`output only: ${sign < 0 ? '−' : ''}${label}`, 'baseline', at(out, test), yTest, bestF1Threshold(at(out, fitRows), yFit)));

  let positives = 0;
  for (const v of y) positives += v;
  return {
    data: { file: data.file, items: n, positives },
    split: { seed: opts.seed, train: split.train.length, validation: split.validation.length, test: test.length, testPositives: yTest.reduce((a, b) => a + b, 0) },
    monitors,
    baselines,
  };
}

const f3 = (x: number | null) => (x === null ? 'n/a' : x.toFixed(3));
const fThr = (x: number) => (Math.abs(x) >= 1e-3 || x === 0 ? Number(x.toPrecision(4)).toString() : x.toExponential(2));

/** The markdown table the README and reports copy. */
export function evalTable(e: MonitorEval): string {
  const lines = [
    `${e.data.file}: ${e.data.items} items (${e.data.positives} positive); test split ${e.split.test} items (${e.split.testPositives} positive), seed ${e.split.seed}`,
    '',
    '| signal | kind | test AUROC | threshold | precision | recall | flagged |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of [...e.monitors, ...e.baselines]) lines.push(`| ${r.name} | ${r.kind} | ${f3(r.auroc)} | ${fThr(r.threshold)} | ${f3(r.precision)} | ${f3(r.recall)} | ${r.flagged} |`);
  return lines.join('\n') + '\n';
}
