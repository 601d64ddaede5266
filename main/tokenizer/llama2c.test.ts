import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UserError } from '../errors';
import { loadLlama2cTokenizer, parseLlama2cTokenizer, type Llama2cTokenizer } from './llama2c';
import fixture from './__fixtures__/stories260k-ids.json';

const repoRoot = path.resolve(__dirname, '../..');
const TOK_PATH = path.join(repoRoot, 'assets/models/stories260K/tok512.bin');
const tokBytes = new Uint8Array(readFileSync(TOK_PATH));
const tok = loadLlama2cTokenizer(TOK_PATH, 512);
const enc = new TextEncoder();

/** Serialize a tokenizer file: the 259 standard llama2.c pieces, then `extra`. */
function tokenizerFile(extra: { piece: string | Uint8Array; score: number }[], maxLen?: number): Uint8Array {
  const std = ['<unk>', '\n<s>\n', '\n</s>\n'];
  for (let b = 0; b < 256; b++) std.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
  const all = [...std.map((piece) => ({ piece: enc.encode(piece), score: 0 })),
    ...extra.map(({ piece, score }) => ({ piece: typeof piece === 'string' ? enc.encode(piece) : piece, score }))];
  const max = maxLen ?? Math.max(...all.map((p) => p.piece.length));
  const out = new Uint8Array(4 + all.reduce((n, p) => n + 8 + p.piece.length, 0));
  const view = new DataView(out.buffer);
  view.setInt32(0, max, true);
  let at = 4;
  for (const { piece, score } of all) {
    view.setFloat32(at, score, true);
    view.setInt32(at + 4, piece.length, true);
    out.set(piece, at + 8);
    at += 8 + piece.length;
  }
  return out;
}

/** Raw bytes the ids stand for (decodePiece, no safe_printf filtering), run.c-style from the second id. */
function rawBytes(t: Llama2cTokenizer, ids: number[]): Uint8Array {
  return Buffer.concat(ids.slice(1).map((id, i) => t.decodePiece(ids[i], id)));
}

function expectUserError(f: () => unknown, pattern?: RegExp): void {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(UserError);
  const msg = (caught as Error).message;
  expect(msg).not.toContain('\n');
  if (pattern) expect(msg).toMatch(pattern);
}

describe('parse tok512.bin', () => {
  it('reads the header and all 512 pieces', () => {
    expect(tok.vocabSize).toBe(512);
    expect(tok.maxTokenLength).toBe(7);
    expect(tok.vocab).toHaveLength(512);
    expect(tok.scores).toHaveLength(512);
    expect(tok.pieces.slice(0, 4)).toEqual(['<unk>', '\n<s>\n', '\n</s>\n', '<0x00>']);
    expect(tok.pieces[258]).toBe('<0xFF>');
    expect(tok.pieces[410]).toBe(' ');
    expect(tok.pieces[465]).toBe('\u201c');
    expect(tok.scores[261]).toBe(-2);
    expect([tok.bosId, tok.eosId]).toEqual([1, 2]);
  });
});

describe('encode', () => {
  it.each(fixture.encode)('matches the independent reference for "$text"', ({ text, bos, ids }) => {
    expect(tok.encode(text, { bos })).toEqual(ids);
  });

  it('handles the empty string (no dummy prefix)', () => {
    expect(tok.encode('', { bos: true })).toEqual([1]);
    expect(tok.encode('')).toEqual([]);
    expect(tok.encode('', { bos: true, eos: true })).toEqual([1, 2]);
  });

  it('adds BOS/EOS only when asked, EOS after merging', () => {
    const plain = tok.encode('Once upon a time');
    expect(plain).toEqual([403, 407, 261, 378]);
    expect(tok.encode('Once upon a time', { eos: true })).toEqual([...plain, 2]);
    expect(tok.encode('Once upon a time', { bos: true, eos: true })).toEqual([1, ...plain, 2]);
  });

  it('falls back to byte tokens (byte + 3) for characters not in the vocab', () => {
    // 日 = E6 97 A5, 本 = E6 9C AC; 😀 = F0 9F 98 80 (a 4-byte character is buffered whole, then split).
    expect(tok.encode('日本', { bos: true })).toEqual([1, 410, 0xe6 + 3, 0x97 + 3, 0xa5 + 3, 0xe6 + 3, 0x9c + 3, 0xac + 3]);
    expect(tok.encode('😀')).toEqual([410, 0xf0 + 3, 0x9f + 3, 0x98 + 3, 0x80 + 3]);
    // Characters that are pieces are used whole: “ is piece 465, é is 485.
    expect(tok.encode('“é')).toEqual([410, 465, 485]);
    // A lone surrogate is encoded as U+FFFD (EF BF BD), as TextEncoder writes it.
    expect(tok.encode('\ud800')).toEqual([410, 0xef + 3, 0xbf + 3, 0xbd + 3]);
  });

  it('follows run.c merge rules: highest score, first pair on ties, nothing at or below -1e10', () => {
    const t = parseLlama2cTokenizer(tokenizerFile([
      { piece: ' ', score: -1 },
      { piece: 'a', score: -1 }, // 260
      { piece: 'b', score: -1 }, // 261
      { piece: 'ab', score: -5 }, // 262
      { piece: 'ba', score: -5 }, // 263
      { piece: 'c', score: -1 }, // 264
      { piece: 'cc', score: -1e10 }, // 265: never chosen, run.c's best score starts at -1e10
      { piece: 'a', score: 0 }, // 266: duplicate of 260; lookups use the lowest id
    ]), 267);
    // "aba": pairs "ab" (-5) and "ba" (-5) tie, the first wins.
    expect(t.encode('aba')).toEqual([259, 262, 260]);
    expect(t.encode('cc')).toEqual([259, 264, 264]);
    expect(t.encode('a')).toEqual([259, 260]);
  });

  it('skips the dummy prefix when the vocab has no " " piece', () => {
    const t = parseLlama2cTokenizer(tokenizerFile([{ piece: 'a', score: 0 }]), 260);
    expect(t.encode('a', { bos: true })).toEqual([1, 259]);
    expect(t.encode(' a')).toEqual([0x20 + 3, 259]);
  });
});

describe('decode', () => {
  it('reproduces the published greedy output byte for byte', () => {
    const ids = fixture.greedy_200_from_bos.output_ids;
    expect(ids).toHaveLength(201);
    expect(ids[0]).toBe(1);
    const expected = readFileSync(path.join(repoRoot, fixture.greedy_200_from_bos.decoded_file));
    const text = tok.decode(ids);
    expect(Buffer.from(text, 'utf8').equals(expected)).toBe(true);
  });

  it('strips the leading space only after BOS', () => {
    expect(tok.decode(tok.encode('Once upon a time', { bos: true }))).toBe('Once upon a time');
    expect(tok.decode(tok.encode('Once upon a time'))).toBe(' Once upon a time');
    expect(new TextDecoder().decode(tok.decodePiece(1, 261))).toBe('a');
    expect(new TextDecoder().decode(tok.decodePiece(5, 261))).toBe(' a');
  });

  it('turns <0xXX> pieces into raw bytes and applies safe_printf to lone bytes', () => {
    expect(Array.from(tok.decodePiece(-1, 13))).toEqual([0x0a]);
    expect(Array.from(tok.printablePiece(-1, 13))).toEqual([0x0a]); // whitespace prints
    expect(Array.from(tok.decodePiece(-1, 3 + 0xe6))).toEqual([0xe6]);
    expect(tok.printablePiece(-1, 3 + 0xe6)).toHaveLength(0); // a lone high byte does not
    expect(tok.printablePiece(-1, 3 + 0x01)).toHaveLength(0); // nor a control byte
    expect(Array.from(tok.printablePiece(-1, 3 + 0x41))).toEqual([0x41]);
    expect(tok.printablePiece(1, 410)).toHaveLength(0); // " " after BOS is empty
    expect(tok.decode(tok.encode('日本', { bos: true }))).toBe(''); // run.c prints nothing for these bytes
    expect(tok.decode(tok.encode('a日b', { bos: true }))).toBe('ab');
    expect(tok.decode([])).toBe('');
    expect(tok.decode([1])).toBe('');
  });

  it('decodePiece returns a copy, so callers cannot corrupt the vocab', () => {
    const p = tok.decodePiece(-1, 403);
    p[0] = 0;
    expect(tok.vocab[403][0]).not.toBe(0);
    // Pieces are plain Uint8Arrays, not views into the file's Buffer.
    expect(Object.getPrototypeOf(tok.vocab[403])).toBe(Uint8Array.prototype);
    expect(tok.vocab[403].buffer).not.toBe(tok.vocab[404].buffer);
  });

  it('rejects ids outside the vocab with a UserError', () => {
    expectUserError(() => tok.decode([1, 512]), /token 512 is not a token id/);
    expectUserError(() => tok.decodePiece(-1, -1));
    expectUserError(() => tok.printablePiece(-1, 1.5));
  });
});

describe('bad tokenizer files', () => {
  const withInt32 = (at: number, v: number): Uint8Array => {
    const b = tokBytes.slice();
    new DataView(b.buffer).setInt32(at, v, true);
    return b;
  };

  it('reports truncation with the token and the expected size', () => {
    expectUserError(() => parseLlama2cTokenizer(tokBytes.subarray(0, 6000), 512),
      /^tokenizer data: truncated at token \d+ of 512 \(file has 6000 bytes, expected \d+ bytes or more\)/);
    expectUserError(() => parseLlama2cTokenizer(tokBytes, 513),
      /truncated at token 512 of 513 \(file has 6227 bytes, expected 6235 bytes or more\)/);
    expectUserError(() => parseLlama2cTokenizer(new Uint8Array(0), 512), /truncated at token 0 of 512/);
  });

  it('reports trailing bytes', () => {
    expectUserError(() => parseLlama2cTokenizer(tokBytes, 511), /trailing bytes after 511 tokens/);
    const longer = new Uint8Array(tokBytes.length + 1);
    longer.set(tokBytes);
    expectUserError(() => parseLlama2cTokenizer(longer, 512), /^tokenizer data: 1 trailing bytes after 512 tokens \(expected exactly 6227 bytes\)/);
  });

  it('rejects bad lengths, headers, scores and vocab sizes', () => {
    // Token 0 starts at offset 4: score at 4, length at 8.
    expectUserError(() => parseLlama2cTokenizer(withInt32(8, -1), 512), /token 0 has a negative byte length/);
    expectUserError(() => parseLlama2cTokenizer(withInt32(8, 8), 512), /token 0 is 8 bytes long, more than the header's max_token_length 7/);
    expectUserError(() => parseLlama2cTokenizer(withInt32(8, 0x7fffffff), 512), /token 0 is 2147483647 bytes long/);
    expectUserError(() => parseLlama2cTokenizer(withInt32(0, 0), 512), /max_token_length is 0/);
    expectUserError(() => parseLlama2cTokenizer(withInt32(4, 0x7fc00000), 512), /token 0 has a NaN score/);
    for (const v of [0, 3, 258, -1, 2.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expectUserError(() => parseLlama2cTokenizer(tokBytes, v), /vocab size .* is not usable/);
    }
    // A huge vocab size fails on truncation without trying to allocate for it.
    expectUserError(() => parseLlama2cTokenizer(tokBytes, 2 ** 40), /truncated at token 512/);
  });

  it('names the file when loading', () => {
    expectUserError(() => loadLlama2cTokenizer('/nonexistent/tok.bin', 512), /^tokenizer file "\/nonexistent\/tok.bin" not found/);
    expectUserError(() => loadLlama2cTokenizer(path.dirname(TOK_PATH), 512), /is a directory/);
    expectUserError(() => loadLlama2cTokenizer(TOK_PATH, 511), /^tokenizer file ".*tok512.bin": \d+ trailing bytes/);
  });

  it('parses a subarray view at a nonzero offset', () => {
    const padded = new Uint8Array(tokBytes.length + 3);
    padded.set(tokBytes, 3);
    expect(parseLlama2cTokenizer(padded.subarray(3), 512).encode('Once upon a time')).toEqual([403, 407, 261, 378]);
  });
});

describe('fuzz', () => {
  const parseOrUserError = (bytes: Uint8Array, vocabSize: number): void => {
    try {
      const t = parseLlama2cTokenizer(bytes, vocabSize);
      expect(t.vocab).toHaveLength(vocabSize);
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      expect(e.message).not.toContain('\n');
    }
  };

  it('parse returns a tokenizer or throws UserError for arbitrary bytes', () => {
    fc.assert(fc.property(
      fc.uint8Array({ maxLength: 4096 }),
      fc.oneof(fc.integer({ min: -10, max: 600 }), fc.constantFrom(512, 2 ** 31, Number.NaN, 1.5)),
      (bytes, vocabSize) => parseOrUserError(bytes, vocabSize),
    ), { numRuns: 300 });
  });

  it('parse returns a tokenizer or throws UserError for damaged copies of tok512.bin', () => {
    const damaged = fc.oneof(
      fc.nat(tokBytes.length).map((n) => tokBytes.slice(0, n)),
      fc.array(fc.tuple(fc.nat(tokBytes.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 8 })
        .map((flips) => {
          const b = tokBytes.slice();
          for (const [at, mask] of flips) b[at] ^= mask;
          return b;
        }),
      fc.uint8Array({ minLength: 1, maxLength: 16 }).map((tail) => Buffer.concat([tokBytes, tail])),
    );
    fc.assert(fc.property(damaged, (bytes) => parseOrUserError(bytes, 512)), { numRuns: 300 });
  });

  it('parse round-trips randomly generated tokenizer files', () => {
    const extra = fc.array(fc.record({
      piece: fc.uint8Array({ maxLength: 12 }),
      score: fc.float({ noNaN: true }),
    }), { maxLength: 40 });
    fc.assert(fc.property(extra, (pieces) => {
      const t = parseLlama2cTokenizer(tokenizerFile(pieces, 12), 259 + pieces.length);
      pieces.forEach((p, i) => {
        expect(Array.from(t.vocab[259 + i])).toEqual(Array.from(p.piece));
        expect(t.scores[259 + i]).toBe(Math.fround(p.score));
      });
    }), { numRuns: 100 });
  });

  // Strings: mostly vocab-like ASCII (so merges happen), plus any code points, plus lone surrogates.
  const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
  const anyText = fc.oneof(
    fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz  .,\'"!?\nThe Lily'), maxLength: 60 }),
    fc.string({ unit: 'binary', maxLength: 30 }),
    fc.string({ unit: fc.oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), loneSurrogate, fc.constantFrom('“', 'é', ' a')), maxLength: 30 }),
  );

  it('encode never throws, ids are in range, and the raw bytes round-trip', () => {
    fc.assert(fc.property(anyText, fc.boolean(), fc.boolean(), (s, bos, eos) => {
      const ids = tok.encode(s, { bos, eos });
      for (const id of ids) expect(Number.isInteger(id) && id >= 0 && id < 512).toBe(true);
      if (bos) expect(ids[0]).toBe(1);
      if (eos) expect(ids[ids.length - 1]).toBe(2);
      // Unfiltered piece bytes reproduce the UTF-8 of the text exactly: byte fallback covers every byte.
      const core = tok.encode(s, { bos: true });
      expect(Buffer.from(rawBytes(tok, core)).equals(Buffer.from(enc.encode(s)))).toBe(true);
    }), { numRuns: 300 });
  });

  it('decode(encode(s)) drops exactly what run.c does not print', () => {
    // safe_printf skips a lone unprintable byte, so a character that fell back to byte tokens (non-ASCII
    // and not a piece, or an ASCII control character) vanishes; everything else survives. So decode(encode(s))
    // equals s only for text made of printable ASCII, whitespace and vocab characters.
    const pieceSet = new Set(tok.pieces);
    const printed = (ch: string): boolean => {
      const c = ch.codePointAt(0) ?? 0;
      return c < 0x80 ? (c >= 0x20 && c <= 0x7e) || (c >= 0x09 && c <= 0x0d) : pieceSet.has(ch);
    };
    fc.assert(fc.property(anyText, (s) => {
      const wellFormed = new TextDecoder().decode(enc.encode(s));
      const expected = [...wellFormed].filter(printed).join('');
      expect(tok.decode(tok.encode(s, { bos: true }))).toBe(expected);
    }), { numRuns: 300 });
  });

  it('decode(encode(s)) === s for printable ASCII and whitespace', () => {
    const ascii = fc.string({
      unit: fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x09, max: 0x0d })).map((c) => String.fromCharCode(c)),
      maxLength: 80,
    });
    fc.assert(fc.property(ascii, (s) => {
      expect(tok.decode(tok.encode(s, { bos: true }))).toBe(s);
      expect(tok.decode(tok.encode(s, { bos: true, eos: true }))).toBe(s.length > 0 ? `${s}\n</s>\n` : '\n</s>\n');
    }), { numRuns: 300 });
  });
});
