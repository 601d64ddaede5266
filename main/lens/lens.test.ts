/**
 * The logit lens against the model itself: its final row is the forward program's logits (same ops), and
 * agrees with the independent plain-TypeScript reference forward; its first row is the embedding decoded by a
 * JS RMSNorm + unembedding; probabilities, ranks and entropies agree with the logits they come from.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { ModelSpec } from '../../shared/model';
import { weightNames as W } from '../../shared/model';
import { lensHooks } from '../../shared/lens';
import { loadModel } from '../model/load';
import type { Tokenizer } from '../tokenizer/types';
import { runForward } from '../../native/forwardRun';
import { referenceForward } from '../reference/forward';
import { lensRaw, logitLens } from './lens';

let spec: ModelSpec;
let tok: Tokenizer;
let ids: number[];
beforeAll(async () => {
  ({ spec, tokenizer: tok } = await loadModel());
  ids = tok.encode('Once upon a time, there was a little girl named Lily. She loved her dog', { bos: true });
});

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

describe('logit lens', () => {
  it('the final row equals the model logits: exactly vs the forward program, to 1e-4 vs the reference', async () => {
    const raw = await lensRaw(spec, ids, { withLogits: true });
    const { vocabSize: V, nLayers: L } = spec.config;
    const T = ids.length;
    const last = raw.logits!.subarray(L * T * V, (L + 1) * T * V);
    const fwd = (await runForward(spec, { tokens: [ids], outputs: ['logits'] })).get('logits')!.data;
    expect(last.length).toBe(fwd.length);
    expect(maxAbsDiff(last, fwd)).toBe(0);
    const ref = referenceForward(spec, [ids], { outputs: ['logits'] }).get('logits')!.data;
    expect(maxAbsDiff(last, ref)).toBeLessThan(1e-4);
  });

  it('the first row is RMSNorm(embedding)·W_Uᵀ computed independently in JS', async () => {
    const raw = await lensRaw(spec, ids, { withLogits: true });
    const { dModel: d, vocabSize: V, normEps } = spec.config;
    const E = spec.weights.get(W.embed)!.data;
    const U = spec.weights.get(W.unembed)!.data;
    const g = spec.weights.get(W.lnFinal)!.data;
    let worst = 0;
    ids.forEach((id, t) => {
      let ss = 0;
      for (let j = 0; j < d; j++) ss += E[id * d + j] ** 2;
      const s = Math.sqrt(ss / d + normEps);
      for (let v = 0; v < V; v++) {
        let z = 0;
        for (let j = 0; j < d; j++) z += (E[id * d + j] / s) * g[j] * U[v * d + j];
        worst = Math.max(worst, Math.abs(z - raw.logits![t * V + v]));
      }
    });
    expect(worst).toBeLessThan(1e-4);
  });

  it('top tokens, target probability, rank and entropy agree with the lens logits', async () => {
    const target = tok.encode(' dog', { bos: false })[0];
    const lens = await logitLens(spec, tok, ids, { target, topK: 3, withLogits: true });
    const V = spec.config.vocabSize;
    const T = ids.length;
    expect(lens.rows).toEqual(lensHooks(spec.config.nLayers));
    lens.cells.forEach((row, r) =>
      row.forEach((cell, t) => {
        const z = lens.raw.logits!.subarray((r * T + t) * V, (r * T + t + 1) * V);
        const mx = Math.max(...z);
        const e = Array.from(z, (x) => Math.exp(x - mx));
        const sum = e.reduce((a, b) => a + b, 0);
        const p = e.map((x) => x / sum);
        const order = [...p.keys()].sort((a, b) => p[b] - p[a]);
        expect(cell.top.map((x) => x.id)).toEqual(order.slice(0, 3));
        expect(cell.targetProb!).toBeCloseTo(p[target], 5);
        expect(cell.targetRank).toBe(Array.from(z).filter((x) => x > z[target]).length);
        expect(cell.entropy).toBeCloseTo(-p.reduce((a, q) => a + (q > 0 ? q * Math.log(q) : 0), 0), 4);
      }),
    );
  });
});
