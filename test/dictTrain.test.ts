/**
 * Training and evaluation of transcoders on the embedded model, at toy sizes: the loss falls, a seed fixes
 * the result, a resumed run equals an uninterrupted one, and eval's numbers agree with independent checks.
 */
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelSpec } from '../shared/model';
import type { Dictionary } from '../shared/dictionary';
import { loadModel } from '../main/model/load';
import { sampleCorpus } from '../main/engine/sampleCorpus';
import { trainDictionary, defaultTrainOptions, type TrainDictionaryOptions } from '../main/dictionary/train';
import { evaluateDictionary } from '../main/dictionary/evaluate';
import { referenceForward } from '../main/reference/forward';

let spec: ModelSpec;
let corpus: number[][];
let evalCorpus: number[][];
const tmp = mkdtempSync(path.join(os.tmpdir(), 'cwb-train-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const toy: TrainDictionaryOptions = { ...defaultTrainOptions, features: 64, k: 4, steps: 240, batchSize: 512, resampleEvery: 40 };

beforeAll(async () => {
  const m = await loadModel();
  spec = m.spec;
  corpus = (await sampleCorpus(spec, m.tokenizer, { tokens: 6000, seed: 11 })).sequences;
  evalCorpus = (await sampleCorpus(spec, m.tokenizer, { tokens: 1500, seed: 12 })).sequences;
});

describe('dict train', () => {
  let dict: Dictionary;
  it('the training loss falls on every layer', async () => {
    const perLayer = new Map<number, number[]>();
    dict = await trainDictionary(spec, corpus, 'toy', {
      ...toy,
      onProgress: (p) => {
        if (p.phase !== 'train') return;
        (perLayer.get(p.layer) ?? perLayer.set(p.layer, []).get(p.layer)!).push(p.loss);
      },
    });
    expect(dict.layers).toHaveLength(5);
    const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
    for (const [, l] of perLayer) expect(mean(l.slice(-10))).toBeLessThan(0.9 * mean(l.slice(0, 10)));
  });

  it('is deterministic for a seed and resumes from a checkpoint to the same weights', async () => {
    const ck = path.join(tmp, 'ck');
    const abort = new AbortController();
    // Stop in the middle of layer 2, then resume.
    await expect(
      trainDictionary(spec, corpus, 'toy', {
        ...toy,
        checkpointDir: ck,
        checkpointEvery: 20,
        signal: abort.signal,
        onProgress: (p) => p.layer === 2 && p.step === 130 && abort.abort(),
      }),
    ).rejects.toThrow();
    expect(existsSync(path.join(ck, 'layer_1.done.safetensors'))).toBe(true);
    expect(existsSync(path.join(ck, 'layer_2.state.safetensors'))).toBe(true);
    const resumed = await trainDictionary(spec, corpus, 'toy', { ...toy, checkpointDir: ck, checkpointEvery: 20 });
    for (let l = 0; l < 5; l++) {
      expect(resumed.layers[l].W_dec.data).toEqual(dict.layers[l].W_dec.data);
      expect(resumed.layers[l].W_enc.data).toEqual(dict.layers[l].W_enc.data);
      expect(resumed.layers[l].W_skip!.data).toEqual(dict.layers[l].W_skip!.data);
    }
    await expect(trainDictionary(spec, corpus, 'toy', { ...toy, k: 5, checkpointDir: ck })).rejects.toThrow(/other settings/);
  });

  it('eval: L0 = k, sane NMSE, clean CE equal to the reference forward’s, ablation hurts, splicing helps', async () => {
    const r = await evaluateDictionary(spec, dict, evalCorpus);
    for (const l of r.layers) {
      expect(l.meanL0).toBeCloseTo(4, 5); // TopK: exactly k per non-BOS token
      expect(l.nmse).toBeGreaterThan(0);
      expect(l.nmse).toBeLessThan(1);
      expect(l.deadFraction).toBeGreaterThanOrEqual(0);
    }
    // Clean cross-entropy, recomputed with the plain-TS reference forward.
    let sum = 0;
    let n = 0;
    for (const s of evalCorpus.filter((x) => x.length >= 2)) {
      const logits = referenceForward(spec, [s], { outputs: ['logits'] }).get('logits')!.data;
      for (let t = 0; t < s.length - 1; t++) {
        const row = logits.subarray(t * 512, (t + 1) * 512);
        const max = Math.max(...row);
        const z = row.reduce((a, v) => a + Math.exp(v - max), 0);
        sum += Math.log(z) + max - row[s[t + 1]];
        n++;
      }
    }
    expect(r.ce.clean).toBeCloseTo(sum / n, 4);
    expect(r.ce.ablated).toBeGreaterThan(r.ce.clean + 0.5);
    expect(r.ce.spliced).toBeLessThan(r.ce.ablated);
    expect(r.ce.recovered).toBeCloseTo((r.ce.ablated - r.ce.spliced) / (r.ce.ablated - r.ce.clean), 10);
  });
});
