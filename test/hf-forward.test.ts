/**
 * Hugging Face folders: every fixture's logits and hook tensors against the independent float64 reference
 * (test/fixtures/hf/NAME/expected.json), and stories260K-hf's greedy text against llama2.c's reference output.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadHfModel } from '../main/model/hf/load';
import { loadModel } from '../main/model/load';
import { runForward } from '../native/forwardRun';
import { generate } from '../main/engine/generate';
import { flat, hfFixtureDir, readExpected, worstRatio } from './hfFixtures';

const FIXTURES = ['tiny-gpt2', 'tiny-llama', 'tiny-qwen2', 'tiny-qwen3', 'tiny-gemma2', 'stories260K-hf'] as const;

describe.each(FIXTURES)('%s', (name) => {
  const expected = readExpected(name);
  const spec = loadHfModel(hfFixtureDir(name));
  const { logits_atol: atol, hooks_atol: hatol, rtol } = expected.tolerance;

  it.each(expected.cases.map((c) => [c.name, c] as const))('case %s: logits and hooks within the fixture tolerance', async (_, c) => {
    const hooks = Object.keys(c.hooks);
    const out = await runForward(spec, { tokens: [c.input_ids], outputs: ['logits', ...hooks] });
    const T = c.input_ids.length;
    expect(out.get('logits')!.shape).toEqual([1, T, spec.config.vocabSize]);
    expect(worstRatio(out.get('logits')!.data, flat(c.logits), atol, rtol)).toBeLessThanOrEqual(1);
    for (const h of hooks) {
      const exp = c.hooks[h];
      let got = out.get(h)!.data;
      // hook_pattern fixtures hold head 0 of [heads, T, T].
      if (h.endsWith('attn.hook_pattern')) got = got.subarray(0, T * T);
      expect(worstRatio(got, flat(exp), hatol, rtol), h).toBeLessThanOrEqual(1);
    }
    // Argmax agrees wherever the reference is not a near tie.
    const L = out.get('logits')!.data;
    const V = spec.config.vocabSize;
    for (let t = 0; t < T; t++) {
      const row = Array.from(L.subarray(t * V, (t + 1) * V));
      const best = row.indexOf(Math.max(...row));
      if (best !== c.argmax[t]) expect(Math.abs(row[best] - row[c.argmax[t]])).toBeLessThan(1e-4);
    }
  });
});

describe('stories260K-hf', () => {
  it('greedy 200 tokens from BOS equal the llama2.c reference text byte for byte (tok512.bin tokenizer)', async () => {
    const tok = path.join(import.meta.dirname, '..', 'assets', 'models', 'stories260K', 'tok512.bin');
    const { spec, tokenizer } = await loadModel({ model: hfFixtureDir('stories260K-hf'), tokenizer: tok });
    const ref = readExpected('stories260K-hf').greedy_200_from_bos!;
    const refText = readFileSync(path.join(import.meta.dirname, '..', 'assets', 'models', 'stories260K', 'greedy_200_from_bos.txt'));
    const r = await generate(spec, tokenizer, { prompt: '', steps: 200, temperature: 0, topP: 0.9, seed: 1 });
    expect(r.ids).toEqual(ref.output_ids);
    expect(Buffer.from(r.bytes).toString('hex')).toBe(refText.toString('hex'));
    expect(Buffer.from(r.bytes).toString('utf8')).toBe(ref.text);
  }, 60_000);
});
