/** The encode program against a plain-TS transcoder, and the exactness of reconstruction + error. */
import { describe, expect, it } from 'vitest';
import { encodePrompt } from '../main/dictionary/encode';
import { Rng } from '../main/engine/sampler';
import { randomDictionary, randomLlama, randomTokens, referenceEncode, tolRatio } from './helpers';

const model = randomLlama({ nLayers: 3 }, 21);
const rng = new Rng(5);
const tokens = randomTokens(rng, 10, model.config.vocabSize);
const cases: [string, Parameters<typeof randomDictionary>[0]][] = [
  ['PLT ReLU', { d: 32, L: 3, D: 96, kind: 'plt', activation: { kind: 'relu' } }],
  ['PLT JumpReLU + skip', { d: 32, L: 3, D: 96, kind: 'plt', activation: { kind: 'jumprelu' }, skip: true }],
  ['PLT TopK', { d: 32, L: 3, D: 96, kind: 'plt', activation: { kind: 'topk', k: 7 } }],
  ['CLT ReLU', { d: 32, L: 3, D: 64, kind: 'clt', activation: { kind: 'relu' } }],
  ['CLT JumpReLU', { d: 32, L: 3, D: 64, kind: 'clt', activation: { kind: 'jumprelu' } }],
];

describe.each(cases)('encode program: %s', (_name, o) => {
  const dict = randomDictionary(o, 9);
  it('activations and reconstruction match the plain-TS transcoder; BOS zeroed', async () => {
    const enc = await encodePrompt(model, dict, tokens);
    const ref = referenceEncode(dict, enc.x, 1);
    for (let l = 0; l < dict.nLayers; l++) {
      expect(tolRatio(enc.act[l].data, ref.act[l], 1e-5, 1e-5), `act layer ${l}`).toBeLessThanOrEqual(1);
      expect(tolRatio(enc.recon[l].data, ref.recon[l], 1e-5, 1e-5), `recon layer ${l}`).toBeLessThanOrEqual(1);
      expect(enc.act[l].data.subarray(0, dict.nFeatures).every((v) => v === 0)).toBe(true);
      expect(enc.err[l].data.subarray(0, dict.dModel).every((v) => v === 0)).toBe(true);
    }
    expect(enc.features.count).toBeGreaterThan(0);
    if (o.activation.kind === 'topk') expect(enc.features.count).toBe(o.activation.k * (tokens.length - 1) * dict.nLayers);
  });

  it('reconstruction + error = true MLP output (after BOS)', async () => {
    const enc = await encodePrompt(model, dict, tokens);
    const d = dict.dModel;
    for (let l = 0; l < dict.nLayers; l++) {
      const sum = enc.recon[l].data.map((r, i) => r + enc.err[l].data[i]).subarray(d);
      expect(tolRatio(sum, enc.y[l].data.subarray(d), 1e-6, 1e-6)).toBeLessThanOrEqual(1);
    }
  });

  it('sparse features are ordered by (layer, position, feature) and equal the dense activations', async () => {
    const enc = await encodePrompt(model, dict, tokens);
    const f = enc.features;
    for (let i = 1; i < f.count; i++) {
      const a = [f.layer[i - 1], f.pos[i - 1], f.feature[i - 1]];
      const b = [f.layer[i], f.pos[i], f.feature[i]];
      expect(a[0] < b[0] || (a[0] === b[0] && (a[1] < b[1] || (a[1] === b[1] && a[2] < b[2])))).toBe(true);
    }
    for (let i = 0; i < f.count; i++) expect(f.value[i]).toBe(enc.act[f.layer[i]].data[f.pos[i] * dict.nFeatures + f.feature[i]]);
  });
});

describe('dictionary/model checks', () => {
  it('refuses a dictionary of the wrong width or model', async () => {
    const wrong = randomDictionary({ d: 16, L: 3, D: 8, kind: 'plt', activation: { kind: 'relu' } });
    await expect(encodePrompt(model, wrong, tokens)).rejects.toThrow(/width 16 .* width 32/);
    const other = { ...randomDictionary({ d: 32, L: 3, D: 8, kind: 'plt', activation: { kind: 'relu' } }), model: { name: 'other', fingerprint: 'f'.repeat(64) } };
    await expect(encodePrompt(model, other, tokens)).rejects.toThrow(/trained for model other/);
  });
});
