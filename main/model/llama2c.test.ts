import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { weightNames, type ModelSpec } from '../../shared/model';
import type { Tensor } from '../../shared/tensor';
import { UserError } from '../errors';
import { loadLlama2cCheckpoint, parseLlama2cCheckpoint } from './llama2c';
import { writeLlama2cV0, writeLlama2cV1, writeLlama2cV2 } from './llama2cWrite';
import { defaultQ80GroupSize, dequantizeQ80, quantizeQ80, roundHalfEven } from './q80';

const REAL = fileURLToPath(new URL('../../assets/models/stories260K/stories260K.bin', import.meta.url));
const REAL_SHA = 'b0a507e7ad0f626624f17112325e66691f9076d622e1d3274d103d00299f2696';
const realBytes = new Uint8Array(readFileSync(REAL));
const meta = { path: 'x.bin', name: 'x', fingerprint: 'f' };
const parse = (b: Uint8Array): ModelSpec => parseLlama2cCheckpoint(b, meta);

function parseError(b: Uint8Array): string {
  try {
    parse(b);
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    const msg = (e as Error).message;
    expect(msg).not.toContain('\n');
    expect(msg.startsWith('checkpoint x.bin: ')).toBe(true);
    return msg;
  }
  throw new Error('expected a UserError');
}

const bitsEqual = (a: Float32Array, b: Float32Array): boolean =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

function expectSameWeights(a: ModelSpec, b: ModelSpec): void {
  expect([...b.weights.keys()].sort()).toEqual([...a.weights.keys()].sort());
  for (const [name, t] of a.weights) {
    const u = b.weights.get(name) as Tensor;
    expect(u.shape, name).toEqual(t.shape);
    expect(bitsEqual(t.data, u.data), name).toBe(true);
  }
}

/** A small random model; `tied` decides whether unembed is the embed tensor itself. */
function makeSpec(tied: boolean, seed = 1): ModelSpec {
  let s = seed;
  const rnd = (): number => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  const t = (shape: number[]): Tensor => ({ data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, rnd), shape });
  const [d, hid, L, nh, nkv, V, S] = [16, 24, 2, 4, 2, 32, 8];
  const kv = (d * nkv) / nh;
  const w = new Map<string, Tensor>();
  w.set(weightNames.embed, t([V, d]));
  w.set(weightNames.unembed, tied ? (w.get(weightNames.embed) as Tensor) : t([V, d]));
  w.set(weightNames.lnFinal, t([d]));
  for (let l = 0; l < L; l++) {
    w.set(weightNames.ln1(l), t([d]));
    w.set(weightNames.ln2(l), t([d]));
    w.set(weightNames.wq(l), t([d, d]));
    w.set(weightNames.wk(l), t([kv, d]));
    w.set(weightNames.wv(l), t([kv, d]));
    w.set(weightNames.wo(l), t([d, d]));
    w.set(weightNames.wGate(l), t([hid, d]));
    w.set(weightNames.wIn(l), t([hid, d]));
    w.set(weightNames.wOut(l), t([d, hid]));
  }
  return {
    name: 'tiny', format: 'llama2c-v1', path: 'tiny.bin', fingerprint: '',
    config: {
      family: 'llama2c', norm: 'rms', mlp: 'gated-silu', rope: { kind: 'interleaved', theta: 10000 }, tiedEmbeddings: tied,
      dModel: d, nLayers: L, nHeads: nh, nKvHeads: nkv, headDim: d / nh, dMlp: hid, vocabSize: V, maxSeqLen: S,
      normEps: 1e-5, bosId: 1, eosId: 2,
    },
    weights: w,
  };
}

const setI32 = (b: Uint8Array, off: number, v: number): void => new DataView(b.buffer, b.byteOffset).setInt32(off, v, true);
const setF32 = (b: Uint8Array, off: number, v: number): void => new DataView(b.buffer, b.byteOffset).setFloat32(off, v, true);

describe('stories260K (legacy v0)', () => {
  it('loads with the documented config, sha256 and a tied classifier', async () => {
    const spec = await loadLlama2cCheckpoint(REAL);
    expect(spec.format).toBe('llama2c-v0');
    expect(spec.name).toBe('stories260K');
    expect(spec.fingerprint).toBe(REAL_SHA);
    expect(spec.config).toMatchObject({
      family: 'llama2c', dModel: 64, dMlp: 172, nLayers: 5, nHeads: 8, nKvHeads: 4, vocabSize: 512, maxSeqLen: 512,
      headDim: 8, tiedEmbeddings: true, rope: { kind: 'interleaved', theta: 10000 }, normEps: 1e-5, bosId: 1, eosId: 2,
    });
    expect(spec.weights.get(weightNames.unembed)).toBe(spec.weights.get(weightNames.embed));
    expect(spec.weights.size).toBe(3 + 9 * 5);
    expect(spec.weights.get(weightNames.wk(4))?.shape).toEqual([32, 64]);
    expect(spec.weights.get(weightNames.wOut(0))?.shape).toEqual([64, 172]);
    // first float after the 28-byte header is embed[0][0]
    expect(spec.weights.get(weightNames.embed)?.data[0]).toBe(new DataView(realBytes.buffer).getFloat32(28, true));
  });

  it('parse copies the caller bytes: the spec does not alias them', () => {
    const copy = realBytes.slice();
    const spec = parse(copy);
    copy.fill(0);
    expect(spec.weights.get(weightNames.embed)?.data[0]).not.toBe(0);
  });

  it('v0 round trip: identical tensors; bytes identical except the RoPE tables, which are within 1 ULP', () => {
    const spec = parse(realBytes);
    const out = writeLlama2cV0(spec);
    expect(out.length).toBe(realBytes.length);
    expectSameWeights(spec, parse(out));
    // RoPE tables: after rms_final, 2 × seq_len × head_size/2 floats; everything else must be byte-identical.
    const freqStart = realBytes.length - 2 * 512 * 4 * 4;
    expect(Buffer.from(out.subarray(0, freqStart)).equals(Buffer.from(realBytes.subarray(0, freqStart)))).toBe(true);
    const a = new Int32Array(out.slice(freqStart).buffer);
    const b = new Int32Array(realBytes.slice(freqStart).buffer);
    let differing = 0;
    for (let i = 0; i < a.length; i++) {
      expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(1); // same sign, at most 1 ULP apart
      if (a[i] !== b[i]) differing++;
    }
    expect(differing / a.length).toBeLessThan(0.1); // PyTorch's SLEEF cos/sin, see llama2cWrite.ts
  });

  it('v1 round trip gives identical tensors and bytes', () => {
    const spec = parse(realBytes);
    const v1 = writeLlama2cV1(spec);
    const back = parse(v1);
    expect(back.format).toBe('llama2c-v1');
    expect(back.weights.get(weightNames.unembed)).toBe(back.weights.get(weightNames.embed));
    expectSameWeights(spec, back);
    expect(Buffer.from(writeLlama2cV1(back)).equals(Buffer.from(v1))).toBe(true);
  });

  it('v2 round trip: weights within scale/2, norms exact, re-writing reproduces the bytes', () => {
    const spec = parse(realBytes);
    const v2 = writeLlama2cV2(spec);
    expect(new DataView(v2.buffer).getInt32(37, true)).toBe(64);
    const back = parse(v2);
    expect(back.format).toBe('llama2c-v2-q8_0');
    expect(back.weights.get(weightNames.unembed)).toBe(back.weights.get(weightNames.embed));
    for (const [name, t] of spec.weights) {
      const u = (back.weights.get(name) as Tensor).data;
      if (t.shape.length === 1) {
        expect(bitsEqual(t.data, u), name).toBe(true);
        continue;
      }
      let worst = 0; // error / (scale/2), over all elements; expect() per element would be slow
      for (let g = 0; g < t.data.length; g += 64) {
        const group = t.data.subarray(g, g + 64);
        const half = group.reduce((m, v) => Math.max(m, Math.abs(v)), 0) / 127 / 2;
        for (let i = 0; i < 64; i++) worst = Math.max(worst, Math.abs(u[g + i] - group[i]) / half);
      }
      expect(worst, name).toBeLessThanOrEqual(1 + 1e-6);
      expect(worst, name).toBeGreaterThan(0.5); // really quantized
    }
    expect(Buffer.from(writeLlama2cV2(back)).equals(Buffer.from(v2))).toBe(true);
    // scales that re-quantizing from scratch would not reproduce (max |q| < 127 in a group) survive a re-write
    const odd = v2.slice();
    const embedQ = 256 + 4 * (2 * 5 * 64 + 64);
    odd.fill(5, embedQ, embedQ + 64);
    setF32(odd, embedQ + 512 * 64, 0.0123);
    expect(Buffer.from(writeLlama2cV2(parse(odd))).equals(Buffer.from(odd))).toBe(true);
    // a non-default group size is remembered and re-used too
    const v2g16 = writeLlama2cV2(spec, 16);
    expect(Buffer.from(writeLlama2cV2(parse(v2g16))).equals(Buffer.from(v2g16))).toBe(true);
  });
});

describe('untied checkpoints', () => {
  it('v0 (negative vocab_size), v1 and v2 keep a separate classifier', () => {
    const spec = makeSpec(false);
    const v0 = writeLlama2cV0(spec);
    expect(new DataView(v0.buffer).getInt32(20, true)).toBe(-32);
    const v1 = writeLlama2cV1(spec);
    expect(v1[36]).toBe(0);
    for (const bytes of [v0, v1]) {
      const back = parse(bytes);
      expect(back.config.tiedEmbeddings).toBe(false);
      expect(back.weights.get(weightNames.unembed)).not.toBe(back.weights.get(weightNames.embed));
      expectSameWeights(spec, back);
    }
    const q = parse(writeLlama2cV2(spec));
    expect(q.config.tiedEmbeddings).toBe(false);
    expect(q.weights.get(weightNames.unembed)).not.toBe(q.weights.get(weightNames.embed));
    expect(defaultQ80GroupSize(16)).toBe(16);
  });
});

describe('Q8_0', () => {
  it('quantizes like export.py: scale = max|w|/127, round half to even, zero groups', () => {
    expect([0.5, 1.5, 2.5, -0.5, -2.5, -3.5, 2.4].map(roundHalfEven)).toEqual([0, 2, 2, -0, -2, -4, 2]);
    const { q, scales } = quantizeQ80(new Float32Array([127, -63.5, 0.5, 1.5, 0, 0, 0, 0]), 4);
    expect([...q]).toEqual([127, -64, 0, 2, 0, 0, 0, 0]);
    expect([...scales]).toEqual([1, 0]);
    expect([...dequantizeQ80(q, scales, 4)]).toEqual([127, -64, 0, 2, 0, 0, 0, 0]);
    expect([defaultQ80GroupSize(4096), defaultQ80GroupSize(288), defaultQ80GroupSize(48), defaultQ80GroupSize(7)]).toEqual([64, 32, 16, 1]);
  });

  it('re-quantizing edited dequantized data quantizes the edited group afresh', () => {
    const data = dequantizeQ80(new Int8Array([127, 3, -127, 5]), new Float32Array([0.1, 0.2]), 2);
    data[3] = 50;
    const { q, scales } = quantizeQ80(data, 2);
    expect(scales[0]).toBe(Math.fround(0.1));
    expect(scales[1]).toBe(Math.fround(50 / 127));
    expect([...q]).toEqual([127, 3, -65, 127]);
  });
});

describe('malformed checkpoints', () => {
  it('rejects a truncated file and trailing bytes with expected vs actual sizes', () => {
    expect(parseError(realBytes.subarray(0, realBytes.length - 1))).toMatch(/implies 1056540 bytes but the file has 1056539: the file is truncated/);
    const extra = new Uint8Array(realBytes.length + 1);
    extra.set(realBytes);
    expect(parseError(extra)).toMatch(/the file has 1 trailing bytes/);
    expect(parseError(new Uint8Array(10))).toMatch(/file is 10 bytes, too short for a llama2\.c legacy header \(28 bytes\)/);
  });

  it('rejects an unknown version and bad header fields', () => {
    const v1 = writeLlama2cV1(makeSpec(true));
    const bad = v1.slice();
    setI32(bad, 4, 7);
    expect(parseError(bad)).toBe('checkpoint x.bin: unsupported llama2.c version 7 (supported: legacy, 1, 2)');
    expect(parseError(v1.subarray(0, 100))).toMatch(/too short for a llama2\.c version 1\/2 header \(256 bytes\)/);
    const flag = v1.slice();
    flag[36] = 9;
    expect(parseError(flag)).toMatch(/shared_classifier flag is 9/);
    const b = realBytes.slice();
    setI32(b, 0, 32); // dim inconsistent with the file size
    expect(parseError(b)).toMatch(/header \(dim 32, .*\) implies \d+ bytes but the file has 1056540/);
    const z = realBytes.slice();
    setI32(z, 12, 0);
    expect(parseError(z)).toMatch(/header n_heads = 0 is out of range/);
    const kv = realBytes.slice();
    setI32(kv, 16, 3);
    expect(parseError(kv)).toMatch(/n_heads 8 is not divisible by n_kv_heads 3/);
    const odd = realBytes.slice();
    setI32(odd, 12, 64); // head size 1
    setI32(odd, 16, 64);
    expect(parseError(odd)).toMatch(/head size 1 is odd/);
  });

  it('rejects huge dims without allocating', () => {
    const b = realBytes.slice(0, 4096);
    setI32(b, 0, 1 << 30);
    expect(parseError(b)).toMatch(/header dim = 1073741824 is out of range \(1\.\.1048576\)/);
    const big = realBytes.slice(0, 4096);
    [1 << 20, 1 << 20, 1 << 20, 1 << 10, 1 << 10, 1 << 20, 1 << 20].forEach((v, i) => setI32(big, 4 * i, v));
    const t0 = performance.now();
    expect(parseError(big)).toMatch(/implies \d+(e\+\d+)? bytes but the file has 4096: the file is truncated/);
    expect(performance.now() - t0).toBeLessThan(100);
  });

  it('rejects NaN / Inf weights and scales, naming the weight and index', () => {
    const spec = makeSpec(true);
    const v1 = writeLlama2cV1(spec);
    // v1 order: ln1 ×2, ln2 ×2, final, embed, wq ×2 → blocks.1.attn.W_Q starts after 5·16 + 32·16 + 16·16 floats
    const off = 256 + 4 * (5 * 16 + 32 * 16 + 16 * 16 + 17);
    const nan = v1.slice();
    setF32(nan, off, NaN);
    expect(parseError(nan)).toMatch(/^checkpoint x\.bin: weight blocks\.1\.attn\.W_Q contains NaN at index 17; /);
    const inf = v1.slice();
    setF32(inf, off, -Infinity);
    expect(parseError(inf)).toMatch(/weight blocks\.1\.attn\.W_Q contains -Inf at index 17/);

    const v2 = writeLlama2cV2(spec);
    const scale = v2.slice();
    setF32(scale, 256 + 4 * 5 * 16 + 32 * 16 + 4, NaN); // embed int8 values, then its scales: group 1
    expect(parseError(scale)).toMatch(/Q8_0 scales of weight embed\.W_E contains NaN at group 1/);
    const huge = v2.slice();
    setF32(huge, 256 + 4 * 5 * 16 + 32 * 16, 3e38); // finite scale, but q·scale overflows float32
    expect(parseError(huge)).toMatch(/weight embed\.W_E contains (-)?Inf at index/);
  });

  it('rejects a bad Q8_0 group size, in files and when writing', () => {
    const v2 = writeLlama2cV2(makeSpec(true));
    const zero = v2.slice();
    setI32(zero, 37, 0);
    expect(parseError(zero)).toMatch(/Q8_0 group_size 0 must be positive/);
    const odd = v2.slice();
    setI32(odd, 37, 48);
    expect(parseError(odd)).toMatch(/Q8_0 group_size 48 does not divide the 512 values of embed\.W_E/);
    expect(() => writeLlama2cV2(makeSpec(true), 48)).toThrow(UserError);
  });

  it('reports a missing file as a UserError', async () => {
    await expect(loadLlama2cCheckpoint('/nonexistent/m.bin')).rejects.toThrow(
      new UserError('checkpoint /nonexistent/m.bin: file not found (check the path)'),
    );
    await expect(loadLlama2cCheckpoint(fileURLToPath(new URL('.', import.meta.url)))).rejects.toThrow(/is a directory/);
  });
});

describe('fuzz: any bytes give a spec or a UserError', () => {
  const check = (b: Uint8Array): void => {
    try {
      parse(b);
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      if (e.message.includes('\n')) throw new Error(`multi-line message: ${e.message}`);
    }
  };
  const v2 = writeLlama2cV2(makeSpec(false));

  it('random truncations', () => {
    fc.assert(fc.property(fc.nat({ max: realBytes.length }), (n) => check(realBytes.subarray(0, n))), { numRuns: 200 });
    fc.assert(fc.property(fc.nat({ max: v2.length }), (n) => check(v2.subarray(0, n))), { numRuns: 200 });
  });

  it('byte flips in the first 64 bytes (header and first weights)', () => {
    const flips = fc.array(fc.tuple(fc.nat({ max: 63 }), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 });
    for (const base of [realBytes, v2]) {
      const b = base.slice();
      fc.assert(fc.property(flips, (fl) => {
        for (const [i, x] of fl) b[i] ^= x;
        try {
          check(b);
        } finally {
          for (const [i, x] of fl.reverse()) b[i] ^= x;
        }
      }), { numRuns: 200 });
    }
  });

  it('arbitrary small byte arrays, also at odd offsets', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), fc.nat({ max: 3 }), (arr, shift) => {
      check(arr);
      const shifted = new Uint8Array(arr.length + shift);
      shifted.set(arr, shift);
      check(shifted.subarray(shift));
      if (arr.length >= 4) {
        const magic = arr.slice();
        new DataView(magic.buffer).setUint32(0, 0x616b3432, true);
        check(magic);
      }
    }), { numRuns: 200 });
  });
});
