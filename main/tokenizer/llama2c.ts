/**
 * The llama2.c tokenizer (`tokenizer.bin` / `tok512.bin`), reproducing run.c's `build_tokenizer`, `encode`,
 * `decode` and `safe_printf` so that ids and printed text match llama2.c byte for byte.
 *
 * File layout: int32 LE max_token_length, then per token: float32 LE score, int32 LE byte length, the bytes.
 * The token count is not stored; it is the model's vocab size, so the caller passes it in and we insist the
 * file holds exactly that many tokens (a mismatch almost always means the wrong tokenizer for the model).
 *
 * Deliberate differences from run.c, none of which affect a llama2.c-exported tokenizer:
 * - Pieces and text are handled as byte arrays, not C strings, so a NUL byte does not end them.
 * - run.c's `str_lookup` bisects a sorted vocab, so for duplicate pieces it returns an arbitrary one; we
 *   deterministically use the lowest id. (tok512.bin has no duplicates.)
 * - If the vocab has no " " piece run.c pushes id -1 as the dummy prefix; we skip the prefix instead.
 * - A raw-byte piece must be exactly `<0xXX>`; run.c's `sscanf("<0x%02hhX>")` also accepts malformed
 *   variants such as `<0xA>` or `<0x41junk`.
 */
import { readFileSync } from 'node:fs';
import { UserError } from '../errors';

export interface EncodeOptions {
  bos?: boolean;
  eos?: boolean;
}

export interface Llama2cTokenizer {
  /** Raw piece bytes by id (byte tokens are the literal text `<0xXX>`, as in the file). */
  readonly vocab: readonly Uint8Array[];
  /** Pieces decoded as UTF-8 (lossy), for display only. */
  readonly pieces: readonly string[];
  readonly scores: Float32Array;
  readonly maxTokenLength: number;
  readonly vocabSize: number;
  readonly bosId: 1;
  readonly eosId: 2;
  encode(text: string, opts?: EncodeOptions): number[];
  /** run.c `decode`: the bytes that token stands for when it follows `prev` (pass -1 for "nothing"). */
  decodePiece(prev: number, token: number): Uint8Array;
  /** run.c `safe_printf` applied to `decodePiece`: what llama2.c actually prints (possibly nothing). */
  printablePiece(prev: number, token: number): Uint8Array;
  decode(ids: readonly number[]): string;
}

const BOS_ID = 1;
const EOS_ID = 2;
/** ids 0..2 are <unk>, <s>, </s>; byte b falls back to id b + 3, so 256 byte tokens must exist. */
const BYTE_TOKEN_OFFSET = 3;
const MIN_VOCAB_SIZE = BYTE_TOKEN_OFFSET + 256;
/** run.c starts the best merge score at -1e10, so merges scoring at or below it never happen. */
const NO_MERGE_SCORE = -1e10;

const utf8 = new TextDecoder('utf-8', { fatal: false });
const utf8Encoder = new TextEncoder();

/** Map key for a byte sequence: latin1 maps bytes 1:1 to chars, and concatenating keys concatenates bytes. */
function byteKey(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return -1;
}

/** The byte a `<0xXX>` piece stands for, or -1 if the piece is not of that form. */
function rawBytePiece(p: Uint8Array): number {
  if (p.length !== 6 || p[0] !== 0x3c || p[1] !== 0x30 || p[2] !== 0x78 || p[5] !== 0x3e) return -1;
  const hi = hexDigit(p[3]);
  const lo = hexDigit(p[4]);
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

/** C isprint || isspace in the "C" locale, as safe_printf tests a lone byte. */
function isPrintableByte(b: number): boolean {
  return (b >= 0x20 && b <= 0x7e) || (b >= 0x09 && b <= 0x0d);
}

/**
 * Parse tokenizer bytes. `source` names the data in error messages (loadLlama2cTokenizer passes the path).
 * Every malformed input raises a one-line UserError; nothing else escapes.
 */
export function parseLlama2cTokenizer(
  bytes: Uint8Array,
  vocabSize: number,
  source = 'tokenizer data',
): Llama2cTokenizer {
  const fail = (problem: string): never => {
    throw new UserError(`${source}: ${problem}`);
  };
  if (!Number.isSafeInteger(vocabSize) || vocabSize < MIN_VOCAB_SIZE) {
    fail(`vocab size ${vocabSize} is not usable: a llama2.c tokenizer has at least ${MIN_VOCAB_SIZE} tokens ` +
      '(<unk>, <s>, </s> and 256 byte tokens); check the model header');
  }
  const total = bytes.byteLength;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Minimum size from offset `at` onward when token `i` is next and `extra` more bytes of it are known.
  const truncated = (i: number, at: number, extra: number): never =>
    fail(`truncated at token ${i} of ${vocabSize} (file has ${total} bytes, expected ` +
      `${at + extra + 8 * (vocabSize - i)} bytes or more); is this the tokenizer for this model?`);

  if (total < 4) truncated(0, 4, 0);
  const maxTokenLength = view.getInt32(0, true);
  if (maxTokenLength < 1) fail(`max_token_length is ${maxTokenLength}, expected a positive number; not a llama2.c tokenizer file?`);

  // Arrays grow as we read, so a huge vocabSize with a short file fails on truncation, not on allocation.
  const vocab: Uint8Array[] = [];
  const scoreList: number[] = [];
  let at = 4;
  for (let i = 0; i < vocabSize; i++) {
    if (at + 8 > total) truncated(i, at, 0);
    const score = view.getFloat32(at, true);
    const len = view.getInt32(at + 4, true);
    if (Number.isNaN(score)) fail(`token ${i} has a NaN score; the file is corrupt`);
    if (len < 0) fail(`token ${i} has a negative byte length (${len}); the file is corrupt`);
    if (len > maxTokenLength) {
      fail(`token ${i} is ${len} bytes long, more than the header's max_token_length ${maxTokenLength}; the file is corrupt`);
    }
    if (at + 8 + len > total) truncated(i, at, len);
    // A copy as a plain Uint8Array: Buffer#slice would be a view into the caller's (file) buffer.
    vocab.push(new Uint8Array(bytes.subarray(at + 8, at + 8 + len)));
    scoreList.push(score);
    at += 8 + len;
  }
  if (at !== total) {
    fail(`${total - at} trailing bytes after ${vocabSize} tokens (expected exactly ${at} bytes); ` +
      'the file has more tokens than the model\'s vocab size, or is not a llama2.c tokenizer');
  }
  return buildTokenizer(vocab, Float32Array.from(scoreList), maxTokenLength);
}

/** Read and parse a tokenizer file; a missing or unreadable file is a UserError naming the path. */
export function loadLlama2cTokenizer(path: string, vocabSize: number): Llama2cTokenizer {
  const source = `tokenizer file "${path}"`;
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(`${source} not found; check the path`);
    if (code === 'EISDIR') throw new UserError(`${source} is a directory, expected a llama2.c tokenizer.bin`);
    throw new UserError(`${source} cannot be read: ${(e as Error).message}`);
  }
  return parseLlama2cTokenizer(bytes, vocabSize, source);
}

function buildTokenizer(vocab: Uint8Array[], scores: Float32Array, maxTokenLength: number): Llama2cTokenizer {
  const vocabSize = vocab.length;
  const keys = vocab.map(byteKey);
  const idOf = new Map<string, number>();
  keys.forEach((k, id) => {
    if (!idOf.has(k)) idOf.set(k, id); // duplicates: lowest id wins (see header comment)
  });
  const pieces = vocab.map((p) => utf8.decode(p));
  const spaceId = idOf.get(' ');

  function checkId(id: number, what: string): void {
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
      throw new UserError(`${what} ${id} is not a token id of this tokenizer (expected 0..${vocabSize - 1})`);
    }
  }

  function encode(text: string, opts: EncodeOptions = {}): number[] {
    const tokens: number[] = [];
    if (opts.bos) tokens.push(BOS_ID);
    // SentencePiece's add_dummy_prefix: the text is encoded as if it started with a space.
    if (text.length > 0 && spaceId !== undefined) tokens.push(spaceId);

    // One UTF-8 character at a time (run.c caps a character at 4 bytes and splits on non-continuation
    // bytes); a character that is not a piece falls back to one byte token per byte.
    const bytes = utf8Encoder.encode(text); // lone surrogates become U+FFFD, as any UTF-8 writer would
    for (let i = 0; i < bytes.length;) {
      let end = i + 1;
      while (end < bytes.length && (bytes[end] & 0xc0) === 0x80 && end - i < 4) end++;
      const char = bytes.subarray(i, end);
      const id = idOf.get(byteKey(char));
      if (id !== undefined) tokens.push(id);
      else for (const b of char) tokens.push(b + BYTE_TOKEN_OFFSET);
      i = end;
    }

    // Greedy BPE: merge the best-scoring adjacent pair until none is in the vocab. Like run.c this also
    // considers pairs with BOS and rescans from scratch each round (texts here are short).
    for (;;) {
      let bestScore = NO_MERGE_SCORE;
      let bestId = -1;
      let bestIdx = -1;
      for (let i = 0; i + 1 < tokens.length; i++) {
        const id = idOf.get(keys[tokens[i]] + keys[tokens[i + 1]]);
        if (id !== undefined && scores[id] > bestScore) {
          bestScore = scores[id];
          bestId = id;
          bestIdx = i;
        }
      }
      if (bestIdx < 0) break;
      tokens.splice(bestIdx, 2, bestId);
    }

    if (opts.eos) tokens.push(EOS_ID);
    return tokens;
  }

  function decodePiece(prev: number, token: number): Uint8Array {
    checkId(token, 'token');
    let piece = vocab[token];
    // SentencePiece drops the dummy-prefix space of the first piece after BOS.
    if (prev === BOS_ID && piece[0] === 0x20) piece = piece.subarray(1);
    const raw = rawBytePiece(piece);
    return raw >= 0 ? Uint8Array.of(raw) : new Uint8Array(piece); // a copy, so callers cannot alter the vocab
  }

  function printablePiece(prev: number, token: number): Uint8Array {
    const piece = decodePiece(prev, token);
    // safe_printf drops a lone unprintable byte (control bytes, and the bytes of a UTF-8 character that
    // fell back to byte tokens); longer pieces print as they are.
    if (piece.length === 1 && !isPrintableByte(piece[0])) return new Uint8Array(0);
    return piece;
  }

  /**
   * What llama2.c prints for this id sequence. run.c never prints its first token, only each later token
   * decoded against its predecessor; that first token is BOS in practice, so a leading BOS prints nothing
   * (and makes the next piece lose its leading space). A sequence that does not start with BOS prints its
   * first piece too, as following nothing (prev -1). Unlike run.c's generate loop we do not stop at a
   * later BOS; a BOS or EOS inside the sequence prints its piece ("\n<s>\n", "\n</s>\n").
   */
  function decode(ids: readonly number[]): string {
    const parts: Uint8Array[] = [];
    if (ids.length > 0 && ids[0] !== BOS_ID) parts.push(printablePiece(-1, ids[0]));
    for (let i = 1; i < ids.length; i++) parts.push(printablePiece(ids[i - 1], ids[i]));
    return utf8.decode(Buffer.concat(parts));
  }

  return {
    vocab,
    pieces,
    scores,
    maxTokenLength,
    vocabSize,
    bosId: BOS_ID,
    eosId: EOS_ID,
    encode,
    decodePiece,
    printablePiece,
    decode,
  };
}
