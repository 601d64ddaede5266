import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Activation, Dictionary, TranscoderLayer } from '../../shared/dictionary';
import type { Tensor } from '../../shared/tensor';
import { UserError } from '../errors';
import { parseDictionaryConfig, readDictionaryConfig } from './config';
import { dictionaryFiles, dictionaryFingerprint, loadDictionary, loadDictionaryWithConfig, writeDictionary } from './format';
import { bf16ToFloat, floatToBf16, floatToHalf, halfToFloat } from './halfFloat';
import { parseSafetensors, readSafetensorsHeader, writeSafetensors } from './safetensors';

let root = '';
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'cwb-dict-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});
let dirCount = 0;
const freshDir = (): string => path.join(root, `d${dirCount++}`);

/** Deterministic pseudo-random tensor (values on a 1/64 grid, so F16/BF16 represent most of them exactly). */
function rnd(shape: number[], seed: number, scale = 1): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  let s = seed * 2654435761 + 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    data[i] = (((s >>> 8) % 257) - 128) / 64 * scale;
  }
  return { data, shape };
}

interface DictSpec { kind: 'plt' | 'clt'; L: number; D: number; d: number; activation: Activation; skip?: boolean; seed?: number }
function makeDict({ kind, L, D, d, activation, skip = false, seed = 1 }: DictSpec): Dictionary {
  const layers: TranscoderLayer[] = Array.from({ length: L }, (_, l) => ({
    W_enc: rnd([D, d], seed + 10 * l), b_enc: rnd([D], seed + 10 * l + 1), b_dec: rnd([d], seed + 10 * l + 2),
    W_dec: rnd(kind === 'plt' ? [D, d] : [D, L - l, d], seed + 10 * l + 3),
    ...(activation.kind === 'jumprelu' && { threshold: rnd([D], seed + 10 * l + 4, 0.25) }),
    ...(skip && { W_skip: rnd([d, d], seed + 10 * l + 5) }),
  }));
  return {
    kind, name: 'mem', path: '', fingerprint: '', model: { name: 'stories260K', fingerprint: 'ab'.repeat(32) },
    inputHook: 'hook_resid_mid', outputHook: 'hook_mlp_out', activation, nLayers: L, dModel: d, nFeatures: D, layers,
  };
}

function expectSameLayers(a: Dictionary, b: Dictionary, tol = 0): void {
  expect(b.kind).toBe(a.kind);
  expect(b.activation).toEqual(a.activation);
  expect([b.nLayers, b.dModel, b.nFeatures]).toEqual([a.nLayers, a.dModel, a.nFeatures]);
  a.layers.forEach((la, l) => {
    const lb = b.layers[l];
    for (const f of ['W_enc', 'b_enc', 'W_dec', 'b_dec', 'threshold', 'W_skip'] as const) {
      const ta = la[f];
      const tb = lb[f];
      expect(tb === undefined, `${f}@${l}`).toBe(ta === undefined);
      if (!ta || !tb) continue;
      expect(tb.shape, `${f}@${l}`).toEqual(ta.shape);
      if (tol === 0) expect(tb.data, `${f}@${l}`).toEqual(ta.data);
      else ta.data.forEach((v, i) => expect(Math.abs(tb.data[i] - v)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(v))));
    }
  });
}

function userError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    expect(e.message).not.toContain('\n');
    return e.message;
  }
  throw new Error('expected a UserError');
}
async function userErrorAsync(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    expect(e.message).not.toContain('\n');
    return e.message;
  }
  throw new Error('expected a UserError');
}

/** A safetensors file assembled by hand, independently of writeSafetensors. */
function rawFile(header: string, data: number[] | Uint8Array, pad = 0): Uint8Array {
  const h = new TextEncoder().encode(header + ' '.repeat(pad));
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setUint32(0, h.length, true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}
/** Tensors laid out by hand (contiguous, in the order given) for dtypes writeSafetensors does not produce. */
function rawTensors(entries: [string, string, number[], number[] | Uint8Array][]): Uint8Array {
  let off = 0;
  const parts = entries.map(([name, dtype, shape, bytes]) => `"${name}":{"dtype":"${dtype}","shape":[${shape.join(',')}],"data_offsets":[${off},${(off += bytes.length)}]}`);
  const data = new Uint8Array(off);
  off = 0;
  for (const [, , , bytes] of entries) data.set(bytes, (off += bytes.length) - bytes.length);
  return rawFile(`{${parts.join(',')}}`, data);
}
const f32Bytes = (t: Tensor): Uint8Array => new Uint8Array(t.data.buffer.slice(0));
const parse = (b: Uint8Array): ReturnType<typeof parseSafetensors> => parseSafetensors(b, 'x.safetensors');

describe('half floats', () => {
  it('decodes known F16 and BF16 bit patterns', () => {
    expect([0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00, 0xfc00, 0x0000].map(halfToFloat)).toEqual([1, -2, 65504, 2 ** -24, Infinity, -Infinity, 0]);
    expect(halfToFloat(0x7e00)).toBeNaN();
    expect(halfToFloat(0x03ff)).toBe(1023 * 2 ** -24);
    expect(Object.is(halfToFloat(0x8000), -0)).toBe(true);
    expect([0x3f80, 0xc000, 0x7f80].map(bf16ToFloat)).toEqual([1, -2, Infinity]);
  });
  it('encodes every F16 value back to its bits and rounds ties to even', () => {
    for (let h = 0; h < 0x10000; h++) {
      if ((h & 0x7c00) === 0x7c00 && h & 0x3ff) continue; // NaN payloads
      if (floatToHalf(halfToFloat(h)) !== h) throw new Error(`F16 0x${h.toString(16)} does not round-trip`);
    }
    expect(floatToHalf(1 + 2 ** -11)).toBe(0x3c00); // tie → even
    expect(floatToHalf(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect([floatToHalf(65519), floatToHalf(65520), floatToHalf(1e9)]).toEqual([0x7bff, 0x7c00, 0x7c00]);
    expect([floatToHalf(2 ** -25), floatToHalf(3 * 2 ** -25), floatToHalf(2 ** -26)]).toEqual([0, 2, 0]);
    expect(floatToHalf(NaN) & 0x7e00).toBe(0x7e00);
    expect([floatToBf16(1 + 2 ** -8), floatToBf16(1 + 3 * 2 ** -8), floatToBf16(-2)]).toEqual([0x3f80, 0x3f82, 0xc000]);
    expect(bf16ToFloat(floatToBf16(NaN))).toBeNaN();
  });
});

describe('safetensors', () => {
  it('reads a hand-written file with a padded header and metadata', () => {
    const header = '{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},' +
      '"b":{"dtype":"F16","shape":[1,2],"data_offsets":[8,12]},"c":{"dtype":"BF16","shape":[],"data_offsets":[12,14]},' +
      '"k":{"dtype":"I64","shape":[],"data_offsets":[14,22]}}';
    const data = [0, 0, 0xc0, 0x3f, 0, 0, 0, 0xc0, 0x00, 0x3c, 0x00, 0xc0, 0x80, 0x3f, 7, 0, 0, 0, 0, 0, 0, 0];
    const bytes = rawFile(header, data, (8 - (header.length % 8)) % 8 + 8);
    const t = parse(bytes);
    expect([...t.keys()]).toEqual(['a', 'b', 'c', 'k']);
    expect(t.get('a')).toEqual({ dtype: 'F32', shape: [2], data: new Float32Array([1.5, -2]) });
    expect(t.get('b')).toEqual({ dtype: 'F16', shape: [1, 2], data: new Float32Array([1, -2]) });
    expect(t.get('c')?.data).toEqual(new Float32Array([1]));
    expect(t.get('k')?.data).toEqual(new Float32Array([7]));
    expect([...readSafetensorsHeader(bytes, 'x').metadata]).toEqual([['format', 'pt']]);
  });
  it('writes the documented layout: space-padded header, name order, contiguous data', () => {
    const out = writeSafetensors([['z', { data: new Float32Array([1.5]), shape: [1] }], ['a', { data: new Float32Array([-2, 1]), shape: [2] }]], { v: '1' });
    const header = '{"__metadata__":{"v":"1"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"z":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}';
    expect(out).toEqual(rawFile(header, [0, 0, 0, 0xc0, 0, 0, 0x80, 0x3f, 0, 0, 0xc0, 0x3f], (8 - (header.length % 8)) % 8));
    const f16 = writeSafetensors(new Map([['h', { data: new Float32Array([1, -2, 65504, 2 ** -24]), shape: [4] }]]), undefined, 'F16');
    expect(Array.from(f16.subarray(f16.length - 8))).toEqual([0x00, 0x3c, 0x00, 0xc0, 0xff, 0x7b, 0x01, 0x00]);
    const bf = parse(writeSafetensors([['x', { data: new Float32Array([1, 3.14159, -1e-3]), shape: [3] }]], undefined, 'BF16')).get('x');
    expect(bf?.dtype).toBe('BF16');
    bf?.data.forEach((v, i) => expect(Math.abs(v - [1, 3.14159, -1e-3][i])).toBeLessThanOrEqual(Math.abs(v) * 2 ** -8));
    expect(userError(() => writeSafetensors([['__proto__', { data: new Float32Array(1), shape: [1] }]]))).toMatch(/not allowed/);
    expect(userError(() => writeSafetensors([['a', { data: new Float32Array(2), shape: [3] }]]))).toMatch(/has 2 values but shape \[3\] needs 3/);
    expect(userError(() => writeSafetensors([], { a: 1 as unknown as string }))).toMatch(/must be a string/);
  });

  const entry = (dtype: string, shape: string, offsets: string): string => `{"dtype":"${dtype}","shape":${shape},"data_offsets":${offsets}}`;
  const deepArrays = '['.repeat(100_000) + ']'.repeat(100_000);
  const cases: [string, Uint8Array, RegExp][] = [
    ['truncated before the header length', new Uint8Array([1, 0, 0]), /only 3 bytes; it is truncated/],
    ['header length larger than the file', rawFile('{}', []).map((b, i) => (i === 0 ? 200 : b)), /header length 200 is larger than the file \(10 bytes\)/],
    ['absurd header length', new Uint8Array([0, 0, 0, 0, 1, 0, 0, 0, 0, 0]), /exceeds the 100000000-byte limit/],
    ['bad JSON', rawFile('{"a": ', []), /header is not valid JSON/],
    ['non-object header', rawFile('[1,2]', []), /not a JSON object/],
    ['invalid UTF-8', rawFile('{}', []).map((b, i) => (i === 9 ? 0xff : b)), /not valid UTF-8/],
    ['offsets out of range', rawFile(`{"a":${entry('F32', '[2]', '[0,8]')}}`, [0, 0, 0, 0]), /run past the end of the data section \(4 bytes\)/],
    ['offsets reversed', rawFile(`{"a":${entry('F32', '[0]', '[4,0]')}}`, [0, 0, 0, 0]), /end before they begin/],
    ['overlapping tensors', rawFile(`{"a":${entry('F32', '[2]', '[0,8]')},"b":${entry('F32', '[1]', '[4,8]')}}`, new Uint8Array(8)), /tensors "a" and "b" overlap/],
    ['wrong dtype string', rawFile(`{"a":${entry('F33', '[1]', '[0,4]')}}`, new Uint8Array(4)), /unknown dtype "F33"/],
    ['prototype dtype string', rawFile(`{"a":${entry('constructor', '[1]', '[0,4]')}}`, new Uint8Array(4)), /unknown dtype "constructor"/],
    ['shape/size mismatch', rawFile(`{"a":${entry('F32', '[3]', '[0,8]')}}`, new Uint8Array(8)), /shape \[3\] need 12 bytes but data_offsets \[0, 8\] span 8/],
    ['overflowing shape', rawFile(`{"a":${entry('F32', '[9007199254740991,4]', '[0,8]')}}`, new Uint8Array(8)), /need more bytes than any file can hold/],
    ['tensor without bytes', rawFile(`{"a":${entry('F32', '[3]', '[0,0]')}}`, []), /shape \[3\] need 12 bytes but data_offsets \[0, 0\] span 0/],
    ['negative shape', rawFile(`{"a":${entry('F32', '[-1]', '[0,4]')}}`, new Uint8Array(4)), /shape must be a list of non-negative integers/],
    ['fractional offsets', rawFile(`{"a":${entry('F32', '[1]', '[0.5,4]')}}`, new Uint8Array(4)), /data_offsets must be \[begin, end\]/],
    ['__proto__ tensor', rawFile(`{"__proto__":${entry('F32', '[1]', '[0,4]')}}`, new Uint8Array(4)), /tensor name "__proto__" is not allowed/],
    ['__proto__ metadata', rawFile('{"__metadata__":{"__proto__":"x"}}', []), /__metadata__ key "__proto__" is not allowed/],
    ['non-string metadata', rawFile('{"__metadata__":{"a":1}}', []), /value of "a" must be a string/],
    ['entry not an object', rawFile('{"a":[1]}', []), /header entry is not an object/],
    ['deeply nested arrays', rawFile(`{"a":${deepArrays}}`, []), /header entry is not an object|nested too deeply/],
    ['deeply nested objects', rawFile(`${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`, []), /nested too deeply|header entry is not an object|has no dtype/],
    ['root nested arrays', rawFile(deepArrays, []), /not a JSON object/],
    ['undecodable dtype', rawFile(`{"a":${entry('F8_E4M3', '[1]', '[0,1]')}}`, [0]), /dtype F8_E4M3, which cannot be decoded/],
  ];
  it.each(cases)('rejects %s with a clear message', (_, bytes, re) => {
    const msg = userError(() => parse(bytes));
    expect(msg).toMatch(/^safetensors file x\.safetensors: /);
    expect(msg).toMatch(re);
    expect(msg.length).toBeLessThan(300);
    expect(({} as Record<string, unknown>).dtype).toBeUndefined(); // no prototype pollution
  });
  it('accepts gaps, trailing bytes and empty tensors', () => {
    const b = rawFile(`{"e":${entry('F32', '[0,3]', '[4,4]')},"a":${entry('F32', '[1]', '[4,8]')}}`, new Uint8Array(12));
    expect(parse(b).get('e')).toEqual({ dtype: 'F32', shape: [0, 3], data: new Float32Array(0) });
  });

  const valid = writeSafetensors([['W', rnd([3, 4], 1)], ['b', rnd([3], 2)]], { format: 'pt' }, 'F16');
  const onlyUserErrors = (b: Uint8Array): void => {
    try {
      parse(b);
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      if (e.message.includes('\n')) throw new Error(`multi-line message: ${e.message}`);
    }
  };
  it('fuzz: arbitrary bytes only ever give UserError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), onlyUserErrors), { numRuns: 300 });
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => onlyUserErrors(rawFile(s, []))), { numRuns: 300 });
  });
  it('fuzz: structurally valid but inconsistent headers only ever give UserError, and accepted files are consistent', () => {
    const sizes: Record<string, number> = { F32: 4, F16: 2, BF16: 2, I64: 8, U8: 1, BOOL: 1, F8_E4M3: 1, X: 1 };
    // Half the entries get offsets consistent with dtype × shape, so some files pass and their contents are checked.
    const info = fc.record({
      dtype: fc.constantFrom(...Object.keys(sizes)),
      shape: fc.array(fc.oneof({ weight: 9, arbitrary: fc.nat(4) }, { weight: 1, arbitrary: fc.constant(-1) }), { maxLength: 3 }),
      begin: fc.integer({ min: -1, max: 30 }),
      end: fc.option(fc.integer({ min: -1, max: 40 }), { nil: undefined, freq: 1 }),
    });
    const key = fc.oneof({ weight: 8, arbitrary: fc.string({ maxLength: 4 }) }, { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', '__metadata__') });
    const file = fc.record({ entries: fc.array(fc.tuple(key, info), { maxLength: 4 }), dataLength: fc.option(fc.nat(48), { nil: undefined, freq: 1 }) });
    let accepted = 0;
    fc.assert(
      fc.property(file, ({ entries, dataLength }) => {
        let pos = 0; // consistent entries are laid out one after another
        const header = `{${entries.map(([k, { dtype, shape, begin, end }]) => {
          const size = sizes[dtype] * shape.reduce((a, b) => a * b, 1);
          const offsets = end === undefined ? [pos, (pos += Math.max(size, 0))] : [begin, end];
          return `${JSON.stringify(k)}:${JSON.stringify({ dtype, shape, data_offsets: offsets })}`;
        }).join(',')}}`;
        const bytes = rawFile(header, new Uint8Array(dataLength ?? pos));
        try {
          const tensors = parse(bytes);
          for (const [name, t] of tensors) expect(t.data.length, name).toBe(t.shape.reduce((a, b) => a * b, 1));
          if (tensors.size > 0) accepted++;
        } catch (e) {
          if (!(e instanceof UserError)) throw e;
        }
      }),
      { numRuns: 300 },
    );
    expect(accepted).toBeGreaterThan(20);
  });
  it('fuzz: mutations and truncations of a valid file only ever give UserError', () => {
    const mutation = fc.record({
      edits: fc.array(fc.tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
      cut: fc.option(fc.nat({ max: valid.length }), { nil: undefined }),
    });
    fc.assert(
      fc.property(mutation, ({ edits, cut }) => {
        const b = valid.slice(0, cut ?? valid.length);
        for (const [i, v] of edits) if (i < b.length) b[i] = v;
        onlyUserErrors(b);
      }),
      { numRuns: 300 },
    );
  });
});

describe('dictionary files', () => {
  const variants: [string, DictSpec][] = [
    ['PLT relu', { kind: 'plt', L: 2, D: 6, d: 4, activation: { kind: 'relu' } }],
    ['PLT jumprelu with W_skip', { kind: 'plt', L: 3, D: 5, d: 3, activation: { kind: 'jumprelu' }, skip: true }],
    ['PLT topk', { kind: 'plt', L: 2, D: 8, d: 2, activation: { kind: 'topk', k: 3 } }],
    ['CLT relu', { kind: 'clt', L: 3, D: 4, d: 3, activation: { kind: 'relu' } }],
    ['CLT jumprelu', { kind: 'clt', L: 3, D: 4, d: 3, activation: { kind: 'jumprelu' } }],
  ];
  it.each(variants)('%s round-trips with a stable fingerprint', async (_, spec) => {
    const dir = freshDir();
    const dict = makeDict(spec);
    await writeDictionary(dir, dict, { extra: { trainedOn: 'tinystories', steps: 100, nested: { ok: [1, 'a', null] } } });
    const { dictionary: back, config } = await loadDictionaryWithConfig(dir);
    expectSameLayers(dict, back);
    expect(back).toMatchObject({ name: path.basename(dir), path: dir, inputHook: 'hook_resid_mid', outputHook: 'hook_mlp_out', model: dict.model });
    expect(back.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(config.extra).toEqual({ trainedOn: 'tinystories', steps: 100, nested: { ok: [1, 'a', null] } });
    expect(config.formatVersion).toBe(1);
    expect((await loadDictionary(dir)).fingerprint).toBe(back.fingerprint);
    expect(dictionaryFingerprint(dictionaryFiles(dict, { extra: config.extra }))).toBe(back.fingerprint); // known before writing
    // Flip the lowest mantissa bit of the first stored value: still finite, but a different dictionary.
    const file = path.join(dir, spec.kind === 'plt' ? 'layer_0.safetensors' : 'W_dec_1.safetensors');
    const bytes = new Uint8Array(await readFile(file));
    bytes[readSafetensorsHeader(bytes, file).dataStart] ^= 1;
    await writeFile(file, bytes);
    expect((await loadDictionary(dir)).fingerprint).not.toBe(back.fingerprint);
    // Rewriting in place replaces the old dictionary and leaves no temp or backup directories behind.
    await writeDictionary(dir, dict);
    expect((await loadDictionary(dir)).fingerprint).not.toBe(back.fingerprint); // no `workbench:` extras this time
    expect((await readdir(root)).filter((n) => n.startsWith(path.basename(dir)))).toEqual([path.basename(dir)]);
  });
  it('writes F16 and BF16 within their precision (exact on representable values)', async () => {
    const dict = makeDict({ kind: 'plt', L: 1, D: 5, d: 3, activation: { kind: 'jumprelu' }, skip: true });
    for (const [dtype, tol] of [['F16', 2 ** -11], ['BF16', 2 ** -8]] as const) {
      const dir = freshDir();
      await writeDictionary(dir, dict, { dtype });
      expectSameLayers(dict, await loadDictionary(dir), 0); // the rnd grid (k/64, |k| ≤ 128) is exact in both
      const odd = makeDict({ kind: 'plt', L: 1, D: 5, d: 3, activation: { kind: 'relu' } });
      odd.layers[0].W_enc.data.forEach((v, i, a) => (a[i] = v * Math.PI + 1e-3));
      await writeDictionary(dir, odd, { dtype });
      expectSameLayers(odd, await loadDictionary(dir), tol);
    }
    const big = makeDict({ kind: 'plt', L: 1, D: 2, d: 2, activation: { kind: 'relu' } });
    big.layers[0].W_dec.data[1] = 1e5;
    expect(await userErrorAsync(writeDictionary(freshDir(), big, { dtype: 'F16' }))).toMatch(/too large for F16/);
  });
  it('fuzz: random small dictionaries round-trip', async () => {
    const spec = fc.record({
      kind: fc.constantFrom('plt' as const, 'clt' as const), L: fc.integer({ min: 1, max: 3 }), D: fc.integer({ min: 1, max: 5 }),
      d: fc.integer({ min: 1, max: 4 }), act: fc.constantFrom('relu', 'jumprelu', 'topk'), skip: fc.boolean(), seed: fc.nat(1000),
      dtype: fc.constantFrom('F32' as const, 'F16' as const, 'BF16' as const),
    });
    await fc.assert(
      fc.asyncProperty(spec, async (s) => {
        const clt = s.kind === 'clt';
        const activation: Activation = s.act === 'topk' && !clt ? { kind: 'topk', k: 1 + (s.seed % s.D) } : s.act === 'jumprelu' ? { kind: 'jumprelu' } : { kind: 'relu' };
        const dict = makeDict({ kind: s.kind, L: s.L, D: s.D, d: s.d, activation, skip: s.skip && !clt, seed: s.seed });
        const dir = freshDir();
        await writeDictionary(dir, dict, { dtype: s.dtype });
        expectSameLayers(dict, await loadDictionary(dir));
        await rm(dir, { recursive: true });
      }),
      { numRuns: 30 },
    );
  });
});

describe('dictionary validation', () => {
  const stories = { fingerprint: 'cd'.repeat(32), name: 'stories260K', dModel: 4, nLayers: 2 };
  async function pltDir(config: string, layers: Record<string, Uint8Array>): Promise<string> {
    const dir = freshDir();
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'config.yaml'), config);
    for (const [name, bytes] of Object.entries(layers)) await writeFile(path.join(dir, name), bytes);
    return dir;
  }
  const layer = (D: number, d: number, extra: [string, Tensor][] = []): Uint8Array =>
    writeSafetensors([['W_enc', rnd([D, d], 1)], ['W_dec', rnd([D, d], 2)], ['b_enc', rnd([D], 3)], ['b_dec', rnd([d], 4)], ...extra]);
  const cfg = 'model_kind: transcoder_set\nfeature_input_hook: blocks.{layer}.mlp.hook_in\nfeature_output_hook: hook_mlp_out\n';

  it('reads circuit-tracer files: prefixed hooks, I64 scalar k, threshold alias, legacy transcoders list', async () => {
    // circuit-tracer's to_safetensors stores TopK's k as an int64 scalar tensor and may omit it from config.yaml.
    const withK = rawTensors([
      ['W_enc', 'F32', [6, 4], f32Bytes(rnd([6, 4], 1))], ['W_dec', 'F32', [6, 4], f32Bytes(rnd([6, 4], 2))],
      ['b_enc', 'F32', [6], f32Bytes(rnd([6], 3))], ['b_dec', 'F32', [4], f32Bytes(rnd([4], 4))], ['k', 'I64', [], [2, 0, 0, 0, 0, 0, 0, 0]],
    ]);
    const dir = await pltDir(`${cfg}activation: topk\n`, { 'layer_0.safetensors': withK, 'layer_1.safetensors': withK });
    const d = await loadDictionary(dir, { expectModel: stories });
    expect([d.inputHook, d.outputHook, d.activation]).toEqual(['mlp.hook_in', 'hook_mlp_out', { kind: 'topk', k: 2 }]);
    const clash = await pltDir(`${cfg}activation: topk\nk: 3\n`, { 'layer_0.safetensors': withK });
    expect(await userErrorAsync(loadDictionary(clash))).toMatch(/k in layer_0\.safetensors is 2 but config\.yaml says 3/);
    const jr = await pltDir('feature_input_hook: hook_resid_mid\nfeature_output_hook: mlp.hook_out\ntranscoders:\n  - {id: a, layer: 1, filepath: sub/b.safetensors}\n  - {id: b, layer: 0, filepath: a.safetensors}\n', {
      'a.safetensors': layer(3, 4, [['threshold', rnd([3], 9)]]),
    });
    await mkdir(path.join(jr, 'sub'));
    await writeFile(path.join(jr, 'sub', 'b.safetensors'), layer(3, 4, [['threshold', rnd([3], 9)]]));
    const j = await loadDictionary(jr);
    expect([j.activation.kind, j.nLayers, j.layers[1].threshold?.shape]).toEqual(['jumprelu', 2, [3]]);
  });

  it.each([
    ['missing config.yaml', async () => { const d = freshDir(); await mkdir(d); return d; }, /no config\.yaml; a transcoder dictionary directory holds/],
    ['unknown model_kind', () => pltDir('model_kind: sae\n', {}), /unknown model_kind "sae" \(expected transcoder_set or cross_layer_transcoder\)/],
    ['YAML syntax error', () => pltDir('model_kind: [transcoder_set\n', {}), /config\.yaml: YAML syntax error: .* at line \d+, column \d+$/],
    ['duplicate YAML keys', () => pltDir(`${cfg}${cfg}`, {}), /YAML syntax error: Map keys must be unique/],
    ['non-object root', () => pltDir('- a\n- b\n', {}), /must be a YAML mapping/],
    ['alias bomb', () => pltDir(`a: &a [x,x,x,x,x,x,x,x]\nb: &b [${'*a,'.repeat(60)}*a]\nc: [${'*b,'.repeat(60)}*b]\n`, {}), /YAML syntax error/],
    ['__proto__ key', () => pltDir(`${cfg}workbench:\n  __proto__: {polluted: 1}\n`, {}), /key "__proto__" is not allowed/],
    ['missing hook', () => pltDir('model_kind: transcoder_set\nfeature_output_hook: hook_mlp_out\n', {}), /feature_input_hook is missing/],
    ['no layer files', () => pltDir(cfg, {}), /no layer_\{i\}\.safetensors files found/],
    ['non-contiguous layers', () => pltDir(cfg, { 'layer_0.safetensors': layer(6, 4), 'layer_2.safetensors': layer(6, 4) }), /layer_1\.safetensors is missing \(found layers 0, 2\)/],
    ['listed file missing', () => pltDir(`${cfg}transcoders: [layer_0.safetensors, nope.safetensors]\n`, { 'layer_0.safetensors': layer(6, 4) }), /nope\.safetensors: file not found/],
    ['escaping path', () => pltDir(`${cfg}transcoders: [../x.safetensors]\n`, {}), /must be a path relative to the dictionary directory/],
    ['hf URI', () => pltDir(`${cfg}transcoders: ["hf://org/repo/layer_0.safetensors"]\n`, {}), /download the file into the dictionary directory/],
    ['wrong tensor shape', () => pltDir(cfg, { 'layer_0.safetensors': writeSafetensors([['W_enc', rnd([6, 4], 1)], ['W_dec', rnd([6, 5], 2)], ['b_enc', rnd([6], 3)], ['b_dec', rnd([4], 4)]]) }),
      /W_dec in layer_0\.safetensors has shape \[6, 5\], expected \[6, 4\] \(D=6 features, d_model=4\)/],
    ['missing tensor', () => pltDir(cfg, { 'layer_0.safetensors': writeSafetensors([['W_enc', rnd([6, 4], 1)]]) }), /layer_0\.safetensors has no tensor W_dec \(expected W_enc, W_dec, b_enc, b_dec\)/],
    ['D differing between layers', () => pltDir(cfg, { 'layer_0.safetensors': layer(6, 4), 'layer_1.safetensors': layer(8, 4) }), /W_enc in layer_1\.safetensors has 8 features but W_enc in layer_0\.safetensors has 6/],
    ['unsupported dtype', () => pltDir(cfg, { 'layer_0.safetensors': rawFile('{"W_enc":{"dtype":"I32","shape":[1,1],"data_offsets":[0,4]}}', [1, 0, 0, 0]) }), /W_enc in layer_0\.safetensors has dtype I32; dictionary weights must be F32, F16, BF16 or F64/],
    ['topk without k', () => pltDir(`${cfg}activation: topk\n`, { 'layer_0.safetensors': layer(6, 4) }), /activation: topk but gives no k/],
    ['relu with thresholds', () => pltDir(`${cfg}activation: relu\n`, { 'layer_0.safetensors': layer(6, 4, [['activation_function.threshold', rnd([6], 5)]]) }), /has a threshold tensor but config\.yaml sets activation: relu/],
    ['NaN weight', () => pltDir(cfg, { 'layer_0.safetensors': layer(6, 4, [['W_skip', { data: new Float32Array(16).fill(NaN), shape: [4, 4] }]]) }), /W_skip in layer_0\.safetensors has a non-finite value \(NaN\) at flat index 0/],
    ['corrupt layer file', () => pltDir(cfg, { 'layer_0.safetensors': new Uint8Array([1, 2, 3]) }), /safetensors file .*layer_0\.safetensors: file is only 3 bytes/],
    ['CLT missing decoder', () => pltDir('model_kind: cross_layer_transcoder\n', { 'W_enc_0.safetensors': writeSafetensors([['W_enc_0', rnd([2, 4], 1)], ['b_enc_0', rnd([2], 1)], ['b_dec_0', rnd([4], 1)]]) }), /W_dec_0\.safetensors: file not found/],
    ['CLT decoder shape', () => pltDir('feature_input_hook: hook_resid_mid\nfeature_output_hook: hook_mlp_out\n', { 'W_enc_0.safetensors': writeSafetensors([['W_enc_0', rnd([2, 4], 1)], ['b_enc_0', rnd([2], 1)], ['b_dec_0', rnd([4], 1)]]), 'W_dec_0.safetensors': writeSafetensors([['W_dec_0', rnd([2, 2, 4], 1)]]) }),
      /W_dec_0 in W_dec_0\.safetensors has shape \[2, 2, 4\], expected \[2, 1, 4\]/],
  ] as [string, () => Promise<string>, RegExp][])('rejects %s', async (_, make, re) => {
    const msg = await userErrorAsync(loadDictionary(await make()));
    expect(msg).toMatch(re);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses a dictionary for another model', async () => {
    const dict = makeDict({ kind: 'plt', L: 2, D: 6, d: 8, activation: { kind: 'relu' } });
    const dir = freshDir();
    await writeDictionary(dir, dict);
    expect(await userErrorAsync(loadDictionary(dir, { expectModel: stories }))).toBe(
      `dictionary ${dir} was trained for model stories260K (sha256 abababababab…), not stories260K (cdcdcdcdcdcd…); pass a dictionary trained for this model`,
    );
    const same = { ...stories, fingerprint: 'AB'.repeat(32) };
    expect(await userErrorAsync(loadDictionary(dir, { expectModel: same }))).toBe(`dictionary ${dir} has d_model 8 but the model stories260K has 4`);
    expect(await userErrorAsync(loadDictionary(dir, { expectModel: { ...same, dModel: 8, nLayers: 5 } }))).toBe(`dictionary ${dir} has 2 layers but the model stories260K has 5`);
    expect((await loadDictionary(dir, { expectModel: { ...same, dModel: 8 } })).nLayers).toBe(2);
  });

  it('writes atomically and refuses to replace a directory that is not a dictionary', async () => {
    const dir = freshDir();
    await mkdir(dir);
    await writeFile(path.join(dir, 'notes.txt'), 'keep me');
    const dict = makeDict({ kind: 'plt', L: 1, D: 2, d: 2, activation: { kind: 'relu' } });
    expect(await userErrorAsync(writeDictionary(dir, dict))).toMatch(/is not a dictionary directory \(no config\.yaml\)/);
    expect(await readdir(dir)).toEqual(['notes.txt']);
    const bad = { ...dict, layers: [{ ...dict.layers[0], b_dec: rnd([3], 1) }] };
    const target = freshDir();
    expect(await userErrorAsync(writeDictionary(target, bad))).toBe('cannot write dictionary mem: layer 0 b_dec has shape [3], expected [2] (D=2 features, d_model=2)');
    expect((await readdir(root)).some((n) => n.startsWith(path.basename(target)))).toBe(false);
    expect(userError(() => parseDictionaryConfig('feature_input_hook: a\nfeature_output_hook: b\nformat_version: 2\n', 'c.yaml'))).toMatch(/newer Circuit Workbench/);
    await writeDictionary(target, dict);
    expect((await readdir(target)).sort()).toEqual(['config.yaml', 'layer_0.safetensors']);
    expect((await readDictionaryConfig(target)).activation).toBe('relu');
    expect(dictionaryFingerprint([{ name: 'b', bytes: new Uint8Array([1]) }, { name: 'a', bytes: new Uint8Array() }])).toBe(
      dictionaryFingerprint([{ name: 'a', bytes: new Uint8Array() }, { name: 'b', bytes: new Uint8Array([1]) }]),
    );
  });
});
