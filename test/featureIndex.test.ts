/**
 * The feature index against brute force: every activation it records is recomputed one sequence at a time
 * with encodePrompt (an independent path: B = 1, no row stacking), counts and top-K by exhaustive scan,
 * logit effects by plain loops; then the stored index must give exactly the in-memory cards.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePrompt, type EncodedPrompt } from '../main/dictionary/encode';
import { buildFeatureIndex, indexCard, openFeatureIndex, writeFeatureIndex, type FeatureIndex } from '../main/dictionary/featureIndex';
import { computeLogitEffects } from '../main/dictionary/logitEffects';
import { closeFeatureIndexes, featureCard } from '../main/dictionary/cards';
import { cmdDictIndex } from '../main/cli/dict';
import { writeDictionary } from '../main/dictionary/format';
import { loadModel } from '../main/model/load';
import { Rng } from '../main/engine/sampler';
import { UserError } from '../main/errors';
import type { Tokenizer } from '../main/tokenizer/types';
import type { Dictionary } from '../shared/dictionary';
import { randomDictionary, randomLlama, randomTokens } from './helpers';

const model = randomLlama({ nLayers: 2 }, 7);
const dict = randomDictionary({ d: 32, L: 2, D: 48, kind: 'plt', activation: { kind: 'relu' } }, 4);
const { nLayers: L, nFeatures: D } = dict;
const rng = new Rng(11);
// Lengths repeat, so batches hold several sequences; one lone BOS must simply be skipped.
const sequences = [...Array.from({ length: 40 }, () => randomTokens(rng, 4 + (rng.u32() % 9), model.config.vocabSize)), [1]];
const tokenizer: Tokenizer = {
  vocabSize: model.config.vocabSize, bosId: 1, eosId: 2,
  encode: () => [],
  decode: (ids) => ids.map((i) => `<${i}>`).join(''),
  printablePiece: () => new Uint8Array(0),
};
const opts = { topK: 12, contextBefore: 3, contextAfter: 2, quantileSamples: 3, logitTop: 5, batchTokens: 40 };
const tmp = mkdtempSync(path.join(os.tmpdir(), 'cwb-fidx-'));
const close = (a: number, b: number) => Math.abs(a - b) <= 1e-5 + 1e-5 * Math.abs(b);

let index: FeatureIndex;
let brute: EncodedPrompt[];
const actAt = (seq: number, l: number, pos: number, f: number) => brute[seq].act[l].data[pos * D + f];

beforeAll(async () => {
  index = await buildFeatureIndex(model, tokenizer, dict, sequences, opts);
  brute = [];
  for (const s of sequences) brute.push(await encodePrompt(model, dict, s));
});
afterAll(() => {
  closeFeatureIndexes();
  rmSync(tmp, { recursive: true, force: true });
});

describe('feature index: contents', () => {
  it('(a) recorded activations equal encodePrompt at that position, windows included; top-K is the true top, descending', () => {
    for (let l = 0; l < L; l++) {
      for (let f = 0; f < D; f++) {
        const s = index.features[l][f];
        const contexts = [...s.top, ...s.bands.flat()];
        for (const c of contexts) {
          expect(close(c.activation, actAt(c.sequence, l, c.position, f)), `L${l} f${f} seq ${c.sequence} pos ${c.position}`).toBe(true);
          expect(c.start).toBe(Math.max(0, c.position - opts.contextBefore));
          expect(c.start + c.acts.length).toBe(Math.min(sequences[c.sequence].length, c.position + opts.contextAfter + 1));
          c.acts.forEach((a, i) => expect(close(a, actAt(c.sequence, l, c.start + i, f))).toBe(true));
        }
        for (let i = 1; i < s.top.length; i++) expect(s.top[i - 1].activation).toBeGreaterThanOrEqual(s.top[i].activation);
        const all: number[] = [];
        sequences.forEach((seq, i) => { for (let p = 1; p < seq.length; p++) if (actAt(i, l, p, f) !== 0) all.push(actAt(i, l, p, f)); });
        const want = all.sort((a, b) => b - a).slice(0, opts.topK);
        expect(s.top.length).toBe(want.length);
        s.top.forEach((c, i) => expect(close(c.activation, want[i]), `L${l} f${f} top ${i}`).toBe(true));
        // Band samples lie in their band: labels are highest band first.
        s.bands.forEach((band, j) => {
          const b = index.options.bands - 1 - j;
          for (const c of band) {
            expect(c.activation).toBeGreaterThan((b / index.options.bands) * s.maxActivation * (1 - 1e-6));
            expect(c.activation).toBeLessThanOrEqual(((b + 1) / index.options.bands) * s.maxActivation * (1 + 1e-6));
          }
          // A band holds min(samples, activations in the band) contexts.
          const inBand = all.filter((a) => a > (b / index.options.bands) * s.maxActivation && a <= ((b + 1) / index.options.bands) * s.maxActivation).length;
          expect(band.length).toBe(Math.min(opts.quantileSamples, inBand));
        });
      }
    }
    expect(index.bands).toEqual(['75–100%', '50–75%', '25–50%', '0–25%']);
  });

  it('is deterministic, and the same without the between-pass caches (model and encoder run twice)', async () => {
    let last = [0, -1];
    const again = await buildFeatureIndex(model, tokenizer, dict, sequences, { ...opts, cacheBetweenPasses: false, onProgress: (d, t) => (last = [d, t]) });
    expect(again.features).toEqual(index.features);
    expect(again.logitEffects).toEqual(index.logitEffects);
    expect(last).toEqual([2 * index.tokens, 2 * index.tokens]);
    await expect(buildFeatureIndex(model, tokenizer, dict, sequences, { signal: AbortSignal.abort() })).rejects.toThrow(/abort/i);
  });

  it('(b) count, frequency, max and mean equal a brute-force scan; (c) histogram counts sum to count', () => {
    const tokens = sequences.reduce((n, s) => n + Math.max(0, s.length - 1), 0);
    expect(index.tokens).toBe(tokens);
    let dead = 0;
    for (let l = 0; l < L; l++) {
      for (let f = 0; f < D; f++) {
        let count = 0;
        let sum = 0;
        let max = 0;
        sequences.forEach((seq, i) => {
          for (let p = 1; p < seq.length; p++) {
            const a = actAt(i, l, p, f);
            if (a === 0) continue;
            count++;
            sum += a;
            max = Math.max(max, a);
          }
        });
        const s = index.features[l][f];
        expect(s.count, `L${l} f${f}`).toBe(count);
        expect(close(s.maxActivation, max)).toBe(true);
        if (count) expect(close(s.meanActivation, sum / count)).toBe(true);
        else dead++;
        expect(s.histogram.reduce((a, b) => a + b, 0)).toBe(count);
        const card = indexCard(index, tokenizer, l, f);
        expect(card.frequency).toBe(count / tokens);
        expect(card.histogram.edges.length).toBe(count ? index.options.histogramBins + 1 : 0);
      }
    }
    expect(dead).toBeLessThan(L * D); // the random dictionary does fire
  });

  it('(d) logit effects equal plain loops (JS and onnxruntime paths, PLT and CLT)', async () => {
    const check = async (d: Dictionary) => {
      const WU = model.weights.get('unembed.W_U')!;
      const g = model.weights.get('ln_final.w')!;
      const [V, dm] = WU.shape;
      const k = 5;
      const [js, onnx] = [await computeLogitEffects(model, d, k, 'js'), await computeLogitEffects(model, d, k, 'onnx')];
      for (const [l, f] of [[0, 0], [0, 17], [d.nLayers - 1, 40]]) {
        const W = d.layers[l].W_dec;
        const span = d.kind === 'plt' ? 1 : W.shape[1];
        const v = Array.from({ length: dm }, (_, j) => { let s = 0; for (let q = 0; q < span; q++) s += W.data[(f * span + q) * dm + j]; return s * g.data[j]; });
        const eff = Array.from({ length: V }, (_, t) => v.reduce((s, x, j) => s + x * WU.data[t * dm + j], 0));
        const order = [...eff.keys()].sort((a, b) => eff[b] - eff[a]);
        for (const r of [js[l], onnx[l]]) {
          for (let i = 0; i < k; i++) {
            expect(r.topToken[f * k + i]).toBe(order[i]);
            expect(close(r.topValue[f * k + i], eff[order[i]])).toBe(true);
            expect(r.bottomToken[f * k + i]).toBe(order[V - 1 - i]);
            expect(close(r.bottomValue[f * k + i], eff[order[V - 1 - i]])).toBe(true);
          }
        }
      }
    };
    await check(dict);
    await check(randomDictionary({ d: 32, L: 2, D: 48, kind: 'clt', activation: { kind: 'relu' } }, 5));
    const card = indexCard(index, tokenizer, 1, 3);
    expect(card.logitEffects.top.map((e) => e.text)).toEqual(card.logitEffects.top.map((e) => `<${e.token}>`));
  });
});

describe('feature index: storage and lookup', () => {
  const dictDir = path.join(tmp, 'dict');

  it('(e) write → open → card equals the in-memory card; lookups are fast', async () => {
    const { bytes } = await writeFeatureIndex(dictDir, index);
    const h = openFeatureIndex(dictDir, tokenizer);
    expect(h.bytes).toBe(bytes);
    const times: number[] = [];
    for (let l = 0; l < L; l++) {
      for (let f = 0; f < D; f++) {
        const t0 = performance.now();
        const card = h.card(l, f);
        times.push(performance.now() - t0);
        expect(card).toEqual(indexCard(index, tokenizer, l, f));
        for (const c of card.topContexts) {
          expect(c.tokens.map((t) => t.id)).toEqual(sequences[c.sequence].slice(c.position - c.maxIndex, c.position - c.maxIndex + c.tokens.length));
          expect(c.tokens[c.maxIndex].act).toBe(c.activation);
        }
      }
    }
    h.close();
    times.sort((a, b) => a - b);
    console.log(`feature index: ${(bytes / 1024).toFixed(1)} KiB, card lookup median ${times[times.length >> 1].toFixed(3)} ms, max ${times[times.length - 1].toFixed(3)} ms`);
    expect(times[times.length - 1]).toBeLessThan(500);
    expect(featureCard(dictDir, tokenizer, 1, 5)).toEqual(indexCard(index, tokenizer, 1, 5));
  });

  it('a rebuilt index replaces the old one atomically; the card cache notices', async () => {
    const other = await buildFeatureIndex(model, tokenizer, dict, sequences.slice(0, 20), opts);
    await writeFeatureIndex(dictDir, other);
    expect(featureCard(dictDir, tokenizer, 1, 5)).toEqual(indexCard(other, tokenizer, 1, 5));
    expect(readdirSync(path.join(dictDir, 'index')).filter((n) => n.endsWith('.bin')).length).toBe(L + 1);
    await writeFeatureIndex(dictDir, index);
    expect(featureCard(dictDir, tokenizer, 1, 5)).toEqual(indexCard(index, tokenizer, 1, 5));
  });

  it('(f) missing, damaged or out-of-range lookups give UserError', () => {
    const expectUserError = (fn: () => unknown, re: RegExp) => {
      let err: unknown;
      try { fn(); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(UserError);
      expect((err as Error).message).toMatch(re);
    };
    expectUserError(() => featureCard(path.join(tmp, 'nothing'), tokenizer, 0, 0), /no feature index; run cwb dict index --dict/);
    expectUserError(() => featureCard(dictDir, tokenizer, L, 0), /layer 2 is out of range/);
    expectUserError(() => featureCard(dictDir, tokenizer, 0, D), /feature 48 is out of range/);
    expectUserError(() => featureCard(dictDir, tokenizer, 0, -1), /out of range/);

    const copy = (name: string, damage: (dir: string, files: string[]) => void) => {
      const d = path.join(tmp, name);
      cpSync(dictDir, d, { recursive: true });
      const dir = path.join(d, 'index');
      damage(dir, readdirSync(dir));
      return d;
    };
    const layer1 = (files: string[]) => files.find((n) => n.startsWith('layer_1.'))!;
    expectUserError(() => openFeatureIndex(copy('badjson', (dir) => writeFileSync(path.join(dir, 'manifest.json'), '{"format": "cwb-f')), tokenizer), /damaged .*not valid JSON/);
    expectUserError(() => openFeatureIndex(copy('badschema', (dir) => {
      const m = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
      writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ ...m, layers: 'x' }));
    }), tokenizer), /damaged/);
    expectUserError(() => openFeatureIndex(copy('truncated', (dir, files) => truncateSync(path.join(dir, layer1(files)), 5000)), tokenizer), /damaged/);
    expectUserError(() => openFeatureIndex(copy('nocorpus', (dir, files) => rmSync(path.join(dir, files.find((n) => n.startsWith('corpus.'))!))), tokenizer), /damaged .*ENOENT/);
    // One flipped byte inside feature 7's record: open succeeds, that card fails its checksum, others still work.
    const flipped = copy('flipped', (dir, files) => {
      const p = path.join(dir, layer1(files));
      const b = readFileSync(p);
      const off = Number(new DataView(b.buffer, b.byteOffset).getFloat64(16 + 8 * 7, true));
      b[off + 30] ^= 0x40;
      writeFileSync(p, b);
    });
    const h = openFeatureIndex(flipped, tokenizer);
    expectUserError(() => h.card(1, 7), /damaged .*feature 7: checksum mismatch/);
    expect(h.card(1, 8)).toEqual(indexCard(index, tokenizer, 1, 8));
    h.close();
    expectUserError(() => openFeatureIndex(dictDir, { ...tokenizer, vocabSize: 32 }), /vocabulary 64/);
  });
});

describe('cwb dict index', () => {
  it('indexes a dictionary of the embedded model over a corpus file and reports a summary', async () => {
    const { spec, tokenizer: tok } = await loadModel();
    const small = randomDictionary({ d: spec.config.dModel, L: spec.config.nLayers, D: 16, kind: 'plt', activation: { kind: 'relu' } }, 3);
    const dir = path.join(tmp, 'cli-dict');
    await writeDictionary(dir, small);
    const corpus = path.join(tmp, 'corpus.txt');
    writeFileSync(corpus, 'Once upon a time there was a little dog.\n\nThe cat sat on the mat and was happy.\n\nLily went to the park.\n');
    let stderr = '';
    const code = await cmdDictIndex(['--dict', dir, '--corpus', corpus, '--top-k', '4'], { stdout: () => undefined, stderr: (s) => void (stderr += s) });
    expect(code).toBe(0);
    expect(stderr).toMatch(/80 features \(5 layers × 16\) over \d+ tokens in 3 sequences/);
    expect(existsSync(path.join(dir, 'index', 'manifest.json'))).toBe(true);
    const card = featureCard(dir, tok, 2, 3);
    expect(card.topContexts.length).toBeLessThanOrEqual(4);
    expect(card.dictionary.name).toBe('cli-dict');
    await expect(cmdDictIndex(['--dict', dir, '--corpus', corpus, '--seed', '3'], { stdout: () => undefined, stderr: () => undefined })).rejects.toThrow(UserError);
  });
});
