/**
 * Scores a batch of token sequences with a set of monitors: one padded forward run for every hook any monitor
 * reads, one dictionary-encode run over the stacked real positions (feature monitors), one lens run per
 * distinct (layer, token) (lens monitors); JS pools positions and takes probe dot products.
 */
import type { Dictionary } from '../../shared/dictionary';
import type { ModelSpec } from '../../shared/model';
import type { Pool } from '../../shared/monitor';
import type { Tensor } from '../../shared/tensor';
import { lensHooks } from '../../shared/lens';
import { runEncode } from '../../native/encodeRun';
import { runLens } from '../../native/lensRun';
import { forwardPadded, pool } from '../probe/collect';
import { predictLogistic } from '../probe/logistic';
import type { ResolvedMonitor } from './file';

/** Pools a per-position series over an item of `len` positions: max/mean skip BOS (unless it is alone). */
export function poolSeries(at: (p: number) => number, len: number, how: Pool): number {
  if (how === 'last') return at(len - 1);
  const from = len > 1 ? 1 : 0;
  let acc = how === 'max' ? -Infinity : 0;
  for (let p = from; p < len; p++) acc = how === 'max' ? Math.max(acc, at(p)) : acc + at(p);
  return how === 'max' ? acc : acc / (len - from);
}

export class MonitorScorer {
  readonly names: string[];
  private readonly outputs: string[];
  private readonly featureMonitors: boolean;

  constructor(
    private readonly spec: ModelSpec,
    private readonly dict: Dictionary | null,
    private readonly monitors: readonly ResolvedMonitor[],
  ) {
    this.names = monitors.map((m) => m.name);
    this.featureMonitors = monitors.some((m) => m.kind === 'feature' || m.kind === 'features');
    const out = new Set<string>();
    if (this.featureMonitors) {
      if (!dict) throw new Error('MonitorScorer: feature monitors need a dictionary');
      for (let l = 0; l < dict.nLayers; l++) out.add(`blocks.${l}.${dict.inputHook}`);
    }
    const rows = lensHooks(spec.config.nLayers);
    for (const m of monitors) {
      if (m.kind === 'probe') out.add(m.probeFile.hook);
      if (m.kind === 'lens') out.add(rows[m.layer]);
    }
    this.outputs = [...out];
  }

  /** scores[monitor][item]. */
  async score(seqs: readonly (readonly number[])[]): Promise<Float64Array[]> {
    const n = seqs.length;
    const scores = this.monitors.map(() => new Float64Array(n));
    if (n === 0) return scores;
    const { acts, T } = await forwardPadded(this.spec, seqs, this.outputs);
    const lens = await this.lensSignals(acts, T, n);
    const feats = this.featureMonitors ? await this.encode(acts, seqs, T) : null;
    this.monitors.forEach((m, k) => {
      for (let b = 0; b < n; b++) {
        const len = seqs[b].length;
        switch (m.kind) {
          case 'feature': {
            const a = feats!.act[m.layer].data;
            const D = this.dict!.nFeatures;
            const off = feats!.offsets[b];
            scores[k][b] = poolSeries((p) => a[(off + p) * D + m.feature], len, m.pool);
            break;
          }
          case 'features': {
            const D = this.dict!.nFeatures;
            const off = feats!.offsets[b];
            scores[k][b] = poolSeries((p) => m.features.reduce((s, f) => s + (f.weight ?? 1) * feats!.act[f.layer].data[(off + p) * D + f.feature], 0), len, m.pool);
            break;
          }
          case 'probe': {
            const x = pool(acts.get(m.probeFile.hook)!, b, len, m.probeFile.position);
            scores[k][b] = predictLogistic(m.probeFile.weights, m.probeFile.bias, x, [0], x.length)[0];
            break;
          }
          case 'lens': {
            const sig = lens.get(lensKey(m))!;
            scores[k][b] = poolSeries((p) => sig[b * T + p], len, m.pool);
            break;
          }
        }
      }
    });
    return scores;
  }

  /** Per (layer, measure, token): the lens signal [B, T]. */
  private async lensSignals(acts: Map<string, Tensor>, T: number, n: number): Promise<Map<string, Float32Array>> {
    const rows = lensHooks(this.spec.config.nLayers);
    const out = new Map<string, Float32Array>();
    for (const m of this.monitors) {
      if (m.kind !== 'lens' || out.has(lensKey(m))) continue;
      const resid = acts.get(rows[m.layer])!;
      const r = await runLens(this.spec, { data: resid.data, shape: [n, T, this.spec.config.dModel] }, { target: m.tokenId ?? 0, topK: 1 });
      out.set(lensKey(m), m.measure === 'entropy' ? r.entropy : r.targetProb);
    }
    return out;
  }

  /** Encodes every item's real positions as one stack of rows (each item's BOS row zeroed). */
  private async encode(acts: Map<string, Tensor>, seqs: readonly (readonly number[])[], T: number) {
    const dict = this.dict!;
    const d = dict.dModel;
    const offsets: number[] = [];
    let R = 0;
    for (const s of seqs) {
      offsets.push(R);
      R += s.length;
    }
    const keep = new Float32Array(R).fill(1);
    for (const o of offsets) keep[o] = 0;
    const x = Array.from({ length: dict.nLayers }, (_, l) => {
      const src = acts.get(`blocks.${l}.${dict.inputHook}`)!.data;
      const dst = new Float32Array(R * d);
      seqs.forEach((s, b) => dst.set(src.subarray(b * T * d, (b * T + s.length) * d), offsets[b] * d));
      return { data: dst, shape: [R, d] };
    });
    const { act } = await runEncode(dict, { x, zeroPositions: 0, keep });
    return { act, offsets };
  }
}

const lensKey = (m: Extract<ResolvedMonitor, { kind: 'lens' }>) => `${m.layer}|${m.measure}|${m.tokenId}`;
