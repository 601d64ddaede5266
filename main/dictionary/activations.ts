/**
 * Gathers a layer's (transcoder input, MLP output) pairs over a corpus: the training and evaluation data of a
 * per-layer transcoder. BOS positions are left out (their features are zeroed everywhere in attribution).
 */
import type { ModelSpec } from '../../shared/model';
import { runForward } from '../../native/forwardRun';
import type { LayerData } from './trainLayer';

export interface CollectOptions {
  readonly inputHook: string;
  readonly outputHook: string;
  readonly maxTokens?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (done: number, total: number) => void;
}

/** Sequences of equal length run as one batch: fewer, larger onnxruntime calls (a lone BOS is skipped). */
export function byLength(sequences: readonly (readonly number[])[]): Map<number, number[][]> {
  const groups = new Map<number, number[][]>();
  for (const s of sequences) {
    if (s.length < 2) continue;
    let g = groups.get(s.length);
    if (!g) groups.set(s.length, (g = []));
    g.push([...s]);
  }
  return groups;
}

export async function collectLayerData(spec: ModelSpec, sequences: readonly (readonly number[])[], layer: number, o: CollectOptions): Promise<LayerData> {
  const d = spec.config.dModel;
  let total = 0;
  for (const s of sequences) total += Math.max(0, s.length - 1);
  const n = Math.min(total, o.maxTokens ?? Infinity);
  const x = new Float32Array(n * d);
  const y = new Float32Array(n * d);
  const inName = `blocks.${layer}.${o.inputHook}`;
  const outName = `blocks.${layer}.${o.outputHook}`;
  let row = 0;
  for (const [T, group] of byLength(sequences)) {
    for (let b0 = 0; b0 < group.length && row < n; b0 += 64) {
      o.signal?.throwIfAborted();
      const batch = group.slice(b0, b0 + 64);
      const acts = await runForward(spec, { tokens: batch, outputs: [inName, outName] });
      const xi = acts.get(inName)!.data;
      const yo = acts.get(outName)!.data;
      for (let b = 0; b < batch.length && row < n; b++) {
        const take = Math.min(T - 1, n - row);
        const from = (b * T + 1) * d;
        x.set(xi.subarray(from, from + take * d), row * d);
        y.set(yo.subarray(from, from + take * d), row * d);
        row += take;
      }
      o.onProgress?.(row, n);
    }
  }
  return { x, y, n: row, d };
}

/** Fraction of variance unexplained of a reconstruction: Σ‖ŷ − y‖² / Σ‖y − ȳ‖². */
export function totalVariance(y: Float32Array, n: number, d: number): number {
  const mean = new Float64Array(d);
  for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) mean[j] += y[r * d + j] / n;
  let v = 0;
  for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) v += (y[r * d + j] - mean[j]) ** 2;
  return v;
}
