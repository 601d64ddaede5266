/** Hugging Face tokenizers: GPT-2 byte-level BPE against independent expected ids, and the BOS rule. */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  it('streamed pieces are the exact UTF-8 bytes of the text, even for characters split over tokens', () => {
    for (const c of expected.cases) {
      const bytes = Buffer.concat(c.ids.map((id, i) => tok.printablePiece(i ? c.ids[i - 1] : -1, id)));
      expect(bytes.toString('hex'), c.text).toBe(Buffer.from(c.text, 'utf8').toString('hex'));
    }
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

describe('SentencePiece-style tokenizer.json (Metaspace, byte fallback: Llama-2 / Gemma layout)', () => {
  // A hand-made vocabulary: <unk>, <s>, </s>, the 256 byte pieces, then a few words and their merges.
  const vocab: Record<string, number> = { '<unk>': 0, '<s>': 1, '</s>': 2 };
  for (let b = 0; b < 256; b++) vocab[`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`] = 3 + b;
  ['▁', 'h', 'e', 'l', 'o', 'w', 'r', 'd', '▁h', '▁he', '▁hel', '▁hell', '▁hello', '▁w', '▁wo', '▁wor', '▁worl', '▁world'].forEach((p, i) => (vocab[p] = 259 + i));
  const tj = {
    version: '1.0',
    added_tokens: ['<unk>', '<s>', '</s>'].map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: null,
    pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: false },
    post_processor: null,
    decoder: { type: 'Sequence', decoders: [{ type: 'Replace', pattern: { String: '▁' }, content: ' ' }, { type: 'ByteFallback' }, { type: 'Fuse' }, { type: 'Strip', content: ' ', start: 1, stop: 0 }] },
    model: { type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: true, byte_fallback: true, vocab, merges: ['▁ h', '▁h e', '▁he l', '▁hel l', '▁hell o', '▁ w', '▁w o', '▁wo r', '▁wor l', '▁worl d'] },
  };
  it('BOS from tokenizer_config, byte-fallback pieces stream as exact bytes, the first space after BOS dropped', () => {
    const d = path.join(tmp, 'sp');
    rmSync(d, { recursive: true, force: true });
    mkdirSync(d);
    writeFileSync(path.join(d, 'tokenizer.json'), JSON.stringify(tj));
    writeFileSync(path.join(d, 'tokenizer_config.json'), JSON.stringify({ bos_token: { content: '<s>' }, eos_token: '</s>' }));
    const t = loadHfTokenizer(d, { vocabSize: 277 });
    const ids = t.encode('hello world é!', { bos: true });
    expect(ids).toEqual([1, 271, 276, 259, 198, 172, 36]);
    expect([t.bosId, t.eosId]).toEqual([1, 2]);
    expect(t.decode(ids)).toBe('hello world é!');
    const streamed = Buffer.concat(ids.map((id, i) => t.printablePiece(i ? ids[i - 1] : -1, id)));
    expect(streamed.toString('utf8')).toBe('hello world é!');
  });
});
