/** The shipped dictionary: its card's metrics are reproduced by the evaluation, and its feature index works. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ModelSpec } from '../shared/model';
import type { Dictionary } from '../shared/dictionary';
import { loadModel } from '../main/model/load';
import type { Tokenizer } from '../main/tokenizer/types';
import { loadDictionary } from '../main/dictionary/format';
import { evaluateDictionary, type EvalReport } from '../main/dictionary/evaluate';
import { sampleCorpus } from '../main/engine/sampleCorpus';
import { featureCard } from '../main/dictionary/cards';
import { embeddedDictionaryPath } from '../main/paths';
import { EVAL_CORPUS } from '../main/cli/dictTrain';

let spec: ModelSpec;
let tokenizer: Tokenizer;
let dict: Dictionary;
const card = JSON.parse(readFileSync(path.join(embeddedDictionaryPath, 'metrics.json'), 'utf8')) as EvalReport;

beforeAll(async () => {
  ({ spec, tokenizer } = await loadModel());
  dict = await loadDictionary(embeddedDictionaryPath, { expectModel: { fingerprint: spec.fingerprint, name: spec.name, dModel: 64, nLayers: 5 } });
});

describe('embedded dictionary', () => {
  it('is the dictionary the card describes', () => {
    expect(dict.fingerprint).toBe(card.dictionary.fingerprint);
    expect(dict.model.fingerprint).toBe(spec.fingerprint);
    expect(dict.activation).toEqual({ kind: 'topk', k: 16 });
  });

  it('cwb dict eval reproduces the card’s metrics', async () => {
    const { sequences } = await sampleCorpus(spec, tokenizer, EVAL_CORPUS);
    const r = await evaluateDictionary(spec, dict, sequences);
    expect(r.tokens).toBe(card.tokens);
    r.layers.forEach((l, i) => {
      expect(l.nmse).toBeCloseTo(card.layers[i].nmse, 3);
      expect(l.meanL0).toBe(card.layers[i].meanL0);
      expect(l.deadFraction).toBeCloseTo(card.layers[i].deadFraction, 3);
      expect(l.meanL0).toBeLessThanOrEqual(16);
    });
    expect(r.ce.recovered).toBeCloseTo(card.ce.recovered, 3);
    expect(r.ce.recovered).toBeGreaterThanOrEqual(0.9);
  }, 180_000);

  it('feature cards come from the shipped index quickly', () => {
    featureCard(embeddedDictionaryPath, tokenizer, 2, 17); // open
    const t0 = performance.now();
    const c = featureCard(embeddedDictionaryPath, tokenizer, 3, 100);
    const ms = performance.now() - t0;
    expect(c.layer).toBe(3);
    expect(c.topContexts.length).toBeGreaterThan(0);
    expect(c.logitEffects.top).toHaveLength(10);
    expect(ms).toBeLessThan(50);
  });
});
