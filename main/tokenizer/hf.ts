/**
 * Hugging Face tokenizers (`tokenizer.json` [+ `tokenizer_config.json`], or GPT-2's legacy `vocab.json` +
 * `merges.txt`) through @huggingface/tokenizers (pure JS, the tokenizer of transformers.js), behind the engine's
 * Tokenizer interface.
 *
 * BOS rule (circuit-tracer §2.2): text is encoded without special tokens; when BOS is asked for and the first id
 * is not a special token, one special token is prepended — the first of bos, pad, eos, then any special id.
 * Deliberate difference: circuit-tracer's `filter(None, …)` skips a candidate whose id is 0; here id 0 counts.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { UserError } from '../errors';
import { readJsonFile } from '../files';
import type { Tokenizer } from './types';

export interface HfTokenizerInfo {
  /** The candidates of the BOS rule as configured (−1 = none). */
  readonly bosId: number;
  readonly eosId: number;
  readonly padId: number;
  readonly specialIds: readonly number[];
}

type Json = Record<string, unknown>;

function readJson(file: string): Json {
  const v = readJsonFile(file);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new UserError(`${file}: not a JSON object`);
  return v as Json;
}

/** GPT-2's original files as the tokenizer.json transformers would write for them. */
export function gpt2TokenizerJson(vocab: Json, merges: string): Json {
  const lines = merges.split('\n').filter((l) => l && !l.startsWith('#version'));
  const eot = vocab['<|endoftext|>'];
  return {
    version: '1.0',
    added_tokens: typeof eot === 'number' ? [{ id: eot, content: '<|endoftext|>', single_word: false, lstrip: false, rstrip: false, normalized: true, special: true }] : [],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '', fuse_unk: false, byte_fallback: false, vocab, merges: lines },
  };
}

/** GPT-2's byte ↔ printable-character table (bytes_to_unicode), inverted: character → byte. */
function byteLevelDecoder(): Map<string, number> {
  const keep: number[] = [];
  for (let b = 33; b <= 126; b++) keep.push(b);
  for (let b = 161; b <= 172; b++) keep.push(b);
  for (let b = 174; b <= 255; b++) keep.push(b);
  const out = new Map<string, number>();
  let n = 0;
  for (let b = 0; b < 256; b++) out.set(String.fromCodePoint(keep.includes(b) ? b : 256 + n++), b);
  return out;
}

/**
 * The raw bytes of a token, for streaming output: byte-level BPE maps each character back to its byte;
 * SentencePiece-style vocabularies map `<0xNN>` byte-fallback pieces to that byte and `▁` to a space. Null when
 * the tokenizer's decoder is neither (the caller then decodes the token alone).
 */
function tokenBytes(tok: HfTokenizer, tj: Json): (id: number) => Uint8Array | null {
  const decoder = JSON.stringify(tj.decoder ?? null);
  const utf8 = new TextEncoder();
  if (decoder.includes('"ByteLevel"')) {
    const table = byteLevelDecoder();
    return (id) => {
      const piece = tok.id_to_token(id);
      if (piece === undefined) return null;
      const out: number[] = [];
      for (const ch of piece) {
        const b = table.get(ch);
        if (b === undefined) return utf8.encode(piece); // an added token written as plain text
        out.push(b);
      }
      return Uint8Array.from(out);
    };
  }
  if (decoder.includes('"ByteFallback"') || decoder.includes('"Metaspace"')) {
    return (id) => {
      const piece = tok.id_to_token(id);
      if (piece === undefined) return null;
      const m = /^<0x([0-9A-Fa-f]{2})>$/.exec(piece);
      return m ? Uint8Array.of(parseInt(m[1], 16)) : utf8.encode(piece.replaceAll('\u2581', ' '));
    };
  }
  return () => null;
}

/** The token string of a tokenizer_config entry (`"<s>"` or `{content: "<s>", …}`). */
function tokenContent(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && v !== null && typeof (v as Json).content === 'string') return (v as Json).content as string;
  return null;
}

export interface HfTokenizerOptions {
  /** Ids from the model's config.json, used when tokenizer_config.json does not name the tokens. */
  readonly bosId?: number;
  readonly eosId?: number;
  readonly vocabSize: number;
}

/** Loads `tokenizer.json` (a file, or a folder holding it or GPT-2's vocab.json + merges.txt). */
export function loadHfTokenizer(where: string, opts: HfTokenizerOptions): Tokenizer & { readonly info: HfTokenizerInfo } {
  const dir = existsSync(where) && !where.endsWith('.json') ? where : path.dirname(where);
  const tjPath = where.endsWith('.json') ? where : path.join(dir, 'tokenizer.json');
  let tj: Json;
  if (existsSync(tjPath)) tj = readJson(tjPath);
  else if (existsSync(path.join(dir, 'vocab.json')) && existsSync(path.join(dir, 'merges.txt'))) {
    tj = gpt2TokenizerJson(readJson(path.join(dir, 'vocab.json')), readFileSync(path.join(dir, 'merges.txt'), 'utf8'));
  } else throw new UserError(`no tokenizer.json (or vocab.json + merges.txt) in ${dir}: pass --tokenizer FILE or use --ids`);
  const cfgPath = path.join(dir, 'tokenizer_config.json');
  const tc = existsSync(cfgPath) ? readJson(cfgPath) : {};
  let tok: HfTokenizer;
  try {
    tok = new HfTokenizer(tj, tc);
  } catch (e) {
    throw new UserError(`${tjPath}: unsupported or malformed tokenizer (${e instanceof Error ? e.message : String(e)})`);
  }
  const idOf = (key: string, fallback?: number): number => {
    const content = tokenContent(tc[key]);
    const id = content !== null ? tok.token_to_id(content) : undefined;
    return id ?? fallback ?? -1;
  };
  const specialIds = [...tok.get_added_tokens_decoder()].filter(([, t]) => t.special).map(([id]) => id).sort((a, b) => a - b);
  const info: HfTokenizerInfo = { bosId: idOf('bos_token', opts.bosId), eosId: idOf('eos_token', opts.eosId), padId: idOf('pad_token'), specialIds };
  const special = new Set(specialIds);
  const prefix = [info.bosId, info.padId, info.eosId, ...specialIds].find((id) => id >= 0 && id < opts.vocabSize);
  const utf8 = new TextEncoder();

  const encode = (text: string, o: { bos?: boolean; eos?: boolean } = {}): number[] => {
    const ids = tok.encode(text, { add_special_tokens: false }).ids;
    if (o.bos && !(ids.length > 0 && special.has(ids[0]))) {
      if (prefix === undefined) throw new UserError('the tokenizer has no BOS, pad, EOS or special token to start the prompt with: pass --ids');
      ids.unshift(prefix);
    }
    if (o.eos && info.eosId >= 0) ids.push(info.eosId);
    return ids;
  };
  const decodeAll = (ids: readonly number[]): string =>
    ids.length === 0 ? '' : tok.decode([...ids], { skip_special_tokens: false, clean_up_tokenization_spaces: false });
  // The Tokenizer contract: a leading BOS (the prepended special token) prints nothing.
  const decode = (ids: readonly number[]): string => decodeAll(ids.length > 0 && ids[0] === prefix ? ids.slice(1) : ids);
  const bytesOf = tokenBytes(tok, tj);
  const metaspace = JSON.stringify(tj.decoder ?? null).includes('"Metaspace"') || JSON.stringify(tj.pre_tokenizer ?? null).includes('"Metaspace"');
  return {
    vocabSize: opts.vocabSize,
    bosId: prefix ?? -1,
    eosId: info.eosId,
    info,
    encode,
    decode,
    // A token's own bytes (a character split over tokens prints whole once all its bytes are out); special
    // tokens print nothing, as llama2.c prints nothing for BOS.
    printablePiece: (prev, token) => {
      if (special.has(token)) return new Uint8Array(0);
      const bytes = bytesOf(token) ?? utf8.encode(decodeAll([token]));
      // SentencePiece marks a word start with ▁: the first word after BOS prints without it (as its decoder does).
      return metaspace && (prev === prefix || prev < 0) && bytes[0] === 0x20 ? bytes.subarray(1) : bytes;
    },
  };
}
