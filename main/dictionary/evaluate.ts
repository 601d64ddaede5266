/**
 * Dictionary evaluation over a corpus (`cwb dict eval`):
 * - per layer: normalized MSE (fraction of variance unexplained of the MLP output), mean L0 (active features
 *   per token), dead fraction (features never active on the whole eval set);
 * - next-token cross-entropy of the model clean, with every MLP replaced by its transcoder ("spliced"), and with
 *   every MLP zero-ablated; ce_recovered = (CE_ablated − CE_spliced) / (CE_ablated − CE_clean).
 * BOS positions are left out of the per-layer numbers, and in the spliced and ablated models the BOS position
 * keeps its true MLP output: its features are zeroed by convention (circuit-tracer §2.2), so a transcoder is
 * neither trained nor used there.
 */
import type { Dictionary } from '../../shared/dictionary';
import type { ModelSpec } from '../../shared/model';
import type { Tensor } from '../../shared/tensor';
import { runForward } from '../../native/forwardRun';
import { runEncode } from '../../native/encodeRun';
import { checkDictionaryFits } from './encode';
import { byLength } from './activations';

export interface LayerMetrics {
  readonly layer: number;
  readonly nmse: number;
  readonly meanL0: number;
  readonly deadFraction: number;
}

export interface EvalReport {
  readonly dictionary: { readonly name: string; readonly fingerprint: string };
  readonly model: { readonly name: string; readonly fingerprint: string };
  readonly tokens: number;
  readonly sequences: number;
  readonly layers: LayerMetrics[];
  readonly ce: { readonly clean: number; readonly spliced: number; readonly ablated: number; readonly recovered: number };
}

export interface EvalOptions {
  readonly onProgress?: (done: number, total: number) => void;
  readonly signal?: AbortSignal;
  /** Sequences per forward batch (same length). */
  readonly batch?: number;
}

/** Mean next-token cross-entropy (nats) over positions 0..T−2 of each row, summed into `acc`. */
function addCrossEntropy(logits: Tensor, tokens: readonly number[][], acc: { sum: number; n: number }): void {
  const [B, T, V] = logits.shape;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T - 1; t++) {
      const o = (b * T + t) * V;
      let max = -Infinity;
      for (let v = 0; v < V; v++) max = Math.max(max, logits.data[o + v]);
      let z = 0;
      for (let v = 0; v < V; v++) z += Math.exp(logits.data[o + v] - max);
      acc.sum += Math.log(z) + max - logits.data[o + tokens[b][t + 1]];
      acc.n++;
    }
  }
}

export async function evaluateDictionary(spec: ModelSpec, dict: Dictionary, sequences: readonly (readonly number[])[], o: EvalOptions = {}): Promise<EvalReport> {
  checkDictionaryFits(spec, dict);
  const { nLayers: L, dModel: d, nFeatures: D } = dict;
  const inNames = [...Array(L).keys()].map((l) => `blocks.${l}.${dict.inputHook}`);
  const outNames = [...Array(L).keys()].map((l) => `blocks.${l}.${dict.outputHook}`);
  const sse = new Float64Array(L);
  const l0 = new Float64Array(L);
  const fired = Array.from({ length: L }, () => new Uint8Array(D));
  // Σy and Σy² per layer and dimension give the variance without a second pass.
  const ySum = Array.from({ length: L }, () => new Float64Array(d));
  const ySq = new Float64Array(L);
  let rows = 0;
  const ce = { clean: { sum: 0, n: 0 }, spliced: { sum: 0, n: 0 }, ablated: { sum: 0, n: 0 } };

  const groups = byLength(sequences);
  const total = sequences.length;
  let done = 0;
  const batch = o.batch ?? 32;
  for (const [T, group] of groups) {
    for (let b0 = 0; b0 < group.length; b0 += batch) {
      o.signal?.throwIfAborted();
      const tokens = group.slice(b0, b0 + batch);
      const B = tokens.length;
      const clean = await runForward(spec, { tokens, outputs: ['logits', ...inNames, ...outNames] });
      addCrossEntropy(clean.get('logits')!, tokens, ce.clean);
      const spliced = await runForward(spec, { tokens, outputs: ['logits'], splice: { dict, layers: [...Array(L).keys()], keepPositions: 1 } });
      addCrossEntropy(spliced.get('logits')!, tokens, ce.spliced);
      const freeze = new Map<string, Tensor>();
      for (const name of outNames) {
        if (!name.endsWith('.hook_mlp_out')) continue;
        const y = clean.get(name)!;
        const ablated = new Float32Array(y.data.length);
        for (let b = 0; b < B; b++) ablated.set(y.data.subarray(b * T * d, b * T * d + d), b * T * d); // BOS keeps its output
        freeze.set(name, { data: ablated, shape: y.shape });
      }
      addCrossEntropy((await runForward(spec, { tokens, outputs: ['logits'], freeze })).get('logits')!, tokens, ce.ablated);

      const keep = new Float32Array(B * T).fill(1);
      for (let b = 0; b < B; b++) keep[b * T] = 0;
      const x = inNames.map((n) => ({ data: clean.get(n)!.data, shape: [B * T, d] }));
      const y = outNames.map((n) => ({ data: clean.get(n)!.data, shape: [B * T, d] }));
      const enc = await runEncode(dict, { x, y, zeroPositions: 0, keep }, { withError: true });
      for (let l = 0; l < L; l++) {
        const err = enc.err![l].data;
        const act = enc.act[l].data;
        const yl = y[l].data;
        for (let r = 0; r < B * T; r++) {
          if (keep[r] === 0) continue;
          for (let j = 0; j < d; j++) {
            const e = err[r * d + j];
            const v = yl[r * d + j];
            sse[l] += e * e;
            ySum[l][j] += v;
            ySq[l] += v * v;
          }
          for (let f = 0; f < D; f++) {
            if (act[r * D + f] !== 0) {
              l0[l]++;
              fired[l][f] = 1;
            }
          }
        }
      }
      rows += B * (T - 1);
      done += B;
      o.onProgress?.(done, total);
    }
  }
  const layers = [...Array(L).keys()].map((l) => {
    let meanSq = 0;
    for (let j = 0; j < d; j++) meanSq += (ySum[l][j] / rows) ** 2;
    const variance = ySq[l] - rows * meanSq;
    let alive = 0;
    for (const f of fired[l]) alive += f;
    return { layer: l, nmse: sse[l] / variance, meanL0: l0[l] / rows, deadFraction: 1 - alive / D };
  });
  const mean = (a: { sum: number; n: number }) => a.sum / a.n;
  const c = { clean: mean(ce.clean), spliced: mean(ce.spliced), ablated: mean(ce.ablated) };
  return {
    dictionary: { name: dict.name, fingerprint: dict.fingerprint },
    model: { name: spec.name, fingerprint: spec.fingerprint },
    tokens: rows,
    sequences: done,
    layers,
    ce: { ...c, recovered: (c.ablated - c.spliced) / (c.ablated - c.clean) },
  };
}
