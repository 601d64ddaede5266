/**
 * The KV-cache decode step against the full forward program: same logits at every position, llama2.c's greedy
 * reference text from BOS, and rows that leave the batch without disturbing the others.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ModelSpec } from '../shared/model';
import type { Tokenizer } from '../main/tokenizer/types';
import { loadModel } from '../main/model/load';
import { argmax, Rng } from '../main/engine/sampler';
import { embeddedModelPath } from '../main/paths';
import { runForward } from '../native/forwardRun';
import { createDecoder } from '../native/decodeRun';
import { randomLlama, randomTokens, tolRatio } from './helpers';

let spec: ModelSpec;
let tokenizer: Tokenizer;
beforeAll(async () => {
  ({ spec, tokenizer } = await loadModel());
});

/** Steps the decoder through `seqs` and compares each step's logits with the forward program's last position. */
async function checkAgainstForward(model: ModelSpec, seqs: number[][]): Promise<void> {
  const V = model.config.vocabSize;
  const T = seqs[0].length;
  const full = (await runForward(model, { tokens: seqs, outputs: ['logits'] })).get('logits')!;
  const dec = createDecoder(model, seqs.length);
  for (let t = 0; t < T; t++) {
    expect(dec.position).toBe(t);
    const got = await dec.step(seqs.map((s) => s[t]));
    expect(got.length).toBe(seqs.length * V);
    for (let b = 0; b < seqs.length; b++) {
      // Causal attention: position t of the full run sees exactly the prefix the decoder has cached.
      const want = full.data.subarray((b * T + t) * V, (b * T + t + 1) * V);
      const r = tolRatio(got.subarray(b * V, (b + 1) * V), want, 1e-4);
      expect(r, `row ${b}, position ${t}: ${r.toFixed(2)}× the tolerance`).toBeLessThanOrEqual(1);
    }
  }
}

describe('decode step = forward program', () => {
  it('embedded model: batch of 3 sequences of 30 tokens, every step', async () => {
    const rng = new Rng(21);
    await checkAgainstForward(spec, [0, 1, 2].map(() => randomTokens(rng, 30, 512)));
  });

  it('random models: rotate-half RoPE with MHA and untied unembedding; 4 query heads per kv head', async () => {
    const rng = new Rng(22);
    const half = randomLlama({ nKvHeads: 4, rope: { kind: 'half', theta: 500000 }, tiedEmbeddings: false }, 5);
    await checkAgainstForward(half, [randomTokens(rng, 12, 64), randomTokens(rng, 12, 64)]);
    const gqa = randomLlama({ nHeads: 8, nKvHeads: 2, headDim: 4 }, 6);
    await checkAgainstForward(gqa, [randomTokens(rng, 10, 64)]);
  });

  it('greedy from BOS reproduces llama2.c reference output (200 tokens)', async () => {
    const want = readFileSync(path.join(path.dirname(embeddedModelPath), 'greedy_200_from_bos.txt'), 'utf8');
    const dec = createDecoder(spec, 1);
    const ids = [spec.config.bosId];
    while (ids.length < 201) ids.push(argmax(await dec.step([ids[ids.length - 1]])));
    expect(tokenizer.decode(ids)).toBe(want);
  });

  it('past the first cache block (64 positions): still equal to the forward program', async () => {
    const rng = new Rng(24);
    await checkAgainstForward(spec, [randomTokens(rng, 70, 512), randomTokens(rng, 70, 512)]);
  });

  it.each([
    ['in place (ascending rows)', [0, 2]],
    ['reordered', [2, 0]],
  ])('keepRows %s: the kept rows continue as if decoded alone', async (_name, keep) => {
    const rng = new Rng(23);
    const seqs = [0, 1, 2].map(() => randomTokens(rng, 8, 512));
    const V = spec.config.vocabSize;
    const all = createDecoder(spec, 3);
    const solo = keep.map(() => createDecoder(spec, 1));
    let last: Float32Array = new Float32Array(0);
    const lastSolo: Float32Array[] = [];
    for (let t = 0; t < 8; t++) {
      if (t === 4) all.keepRows(keep);
      last = await all.step(t < 4 ? seqs.map((s) => s[t]) : keep.map((r) => seqs[r][t]));
      for (const [i, r] of keep.entries()) lastSolo[i] = await solo[i].step([seqs[r][t]]);
    }
    expect(all.batch).toBe(2);
    for (const i of keep.keys()) expect(tolRatio(last.subarray(i * V, (i + 1) * V), lastSolo[i], 1e-4)).toBeLessThanOrEqual(1);
  });

  it('rejects wrong batch sizes, bad ids and positions past the context', async () => {
    const dec = createDecoder(spec, 2);
    await expect(dec.step([1])).rejects.toThrow(/batch of 2/);
    await expect(dec.step([1, 9999])).rejects.toThrow(/9999/);
    const tiny = randomLlama({ maxSeqLen: 2 }, 7);
    const short = createDecoder(tiny, 1);
    await short.step([1]);
    await short.step([5]);
    await expect(short.step([6])).rejects.toThrow(/context/);
  });
});
