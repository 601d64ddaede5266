/**
 * The train / validation / test split shared by `cwb probe train` and `cwb monitor eval`: stratified by label
 * and seeded, so the same data file and seed always give the same split (a probe used as a monitor is never
 * evaluated on items it was trained on, as long as both use the same seed).
 */
import { Rng } from '../engine/sampler';

export const DEFAULT_SPLIT: readonly [number, number, number] = [0.6, 0.2, 0.2];

export interface Split {
  readonly train: number[];
  readonly validation: number[];
  readonly test: number[];
}

export function splitIndices(labels: ArrayLike<number>, seed: number, fractions: readonly [number, number, number] = DEFAULT_SPLIT): Split {
  const rng = new Rng(BigInt(seed) * 2654435761n + 12345n);
  const out: Split = { train: [], validation: [], test: [] };
  for (const cls of [0, 1]) {
    const idx = Array.from(labels, (l, i) => (l === cls ? i : -1)).filter((i) => i >= 0);
    for (let i = idx.length - 1; i > 0; i--) {
      const j = rng.u32() % (i + 1);
      [idx[i], idx[j]] = [idx[j], idx[i]];
    }
    const nTrain = Math.round(idx.length * fractions[0]);
    const nVal = Math.round(idx.length * fractions[1]);
    out.train.push(...idx.slice(0, nTrain));
    out.validation.push(...idx.slice(nTrain, nTrain + nVal));
    out.test.push(...idx.slice(nTrain + nVal));
  }
  for (const k of ['train', 'validation', 'test'] as const) out[k].sort((a, b) => a - b);
  return out;
}
