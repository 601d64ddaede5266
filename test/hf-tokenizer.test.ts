/** Hugging Face tokenizers: GPT-2 byte-level BPE against independent expected ids, and the BOS rule. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gpt2TokenizerJson, loadHfTokenizer } from '../main/tokenizer/hf';
import { loadModel } from '../main/model/load';
import { hfFixtureDir } from './hfFixtures';

const dir = path.join(import.meta.dirname, 'fixtures', 'tokenizers', 'gpt2');
const expected = JSON.parse(readFileSync(path.join(dir, 'expected.json'), 'utf8')) as {
  cases: { text: string; ids: number[] }[];
  external_vectors: { cases: [string, number[]][] };
};
const tmp = mkdtempSync(path.join(tmpdir(), 'cwb-tok-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('GPT-2 tokenizer (vocab.json + merges.txt)', () => {
  const tok = loadHfTokenizer(dir, { vocabSize: 50257, bosId: 50256, eosId: 50256 });
  it.each(expected.cases.map((c) => [JSON.stringify(c.text).slice(0, 40), c] as const))('%s', (_, c) => {
    expect(tok.encode(c.text)).toEqual(c.ids);
    expect(tok.decode(c.ids)).toBe(c.text);
  });
  it('published vectors (tiktoken, GPT-3-Encoder)', () => {
    for (const [text, ids] of expected.external_vectors.cases) expect(tok.encode(text), text).toEqual(ids);
  });
  it('BOS rule: one special token prepended unless the text starts with one', () => {
    expect(tok.encode('Hello world', { bos: true })).toEqual([50256, 15496, 995]);
    expect(tok.encode('<|endoftext|>Hello world', { bos: true })).toEqual([50256, 15496, 995]);
    expect(tok.decode([50256, 15496, 995])).toBe('Hello world');
    // Without config ids the first special token of the vocabulary is the candidate.
    expect(loadHfTokenizer(dir, { vocabSize: 50257 }).encode('Hi', { bos: true })[0]).toBe(50256);
  });
  it('tokenizer.json of the same vocabulary gives the same ids; bos_token from tokenizer_config.json wins', () => {
    const d = path.join(tmp, 'tj');
    const vocab = JSON.parse(readFileSync(path.join(dir, 'vocab.json'), 'utf8')) as Record<string, unknown>;
    const tj = gpt2TokenizerJson(vocab, readFileSync(path.join(dir, 'merges.txt'), 'utf8'));
    rmSync(d, { recursive: true, force: true });
    writeFileSync(path.join(tmp, 'tokenizer.json'), JSON.stringify(tj));
    const t = loadHfTokenizer(path.join(tmp, 'tokenizer.json'), { vocabSize: 50257 });
    for (const c of expected.cases) expect(t.encode(c.text)).toEqual(c.ids);
    writeFileSync(path.join(tmp, 'tokenizer_config.json'), JSON.stringify({ bos_token: '<|endoftext|>' }));
    expect(loadHfTokenizer(path.join(tmp, 'tokenizer.json'), { vocabSize: 50257, bosId: 7 }).encode('a', { bos: true })).toEqual([50256, 64]);
  });
  it('a model folder picks up --tokenizer tokenizer.json', async () => {
    const { tokenizer } = await loadModel({ model: hfFixtureDir('tiny-gpt2'), tokenizer: path.join(tmp, 'tokenizer.json') });
    expect(tokenizer.encode('Hello world')).toEqual([15496, 995]);
  });
});
