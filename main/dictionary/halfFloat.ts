/**
 * IEEE half (F16) and bfloat16 (BF16) ⇄ float32 conversions, as stored in safetensors files.
 * Encoding rounds to nearest, ties to even (what torch's `.half()` / `.bfloat16()` casts do), so a dictionary
 * written here matches one written by PyTorch bit for bit. Inputs to the encoders are float32 values.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Decodes one F16 bit pattern, including subnormals (m·2⁻²⁴), ±inf and NaN. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** Encodes a float32 value as F16 bits: round to nearest even, overflow → ±inf, NaN → quiet NaN. */
export function floatToHalf(v: number): number {
  f32[0] = v;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0); // inf, or NaN kept quiet
  const e = exp - 127 + 15; // rebias
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Half subnormal: value = M·2^(e−14−24+…); M < 2²⁴ so shifts above 24 always round to zero.
    const shift = 14 - e;
    if (shift > 24) return sign;
    return sign | roundShift(mant | 0x800000, shift);
  }
  // A carry out of the mantissa correctly bumps the exponent (and the largest finite value rounds to inf).
  return sign | ((e << 10) + roundShift(mant, 13));
}

/** m >> shift with round-half-to-even (shift in 1..24). */
function roundShift(m: number, shift: number): number {
  const q = m >>> shift;
  const rem = m & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  return q + (rem > half || (rem === half && q & 1) ? 1 : 0);
}

/** Decodes BF16 bits: they are the upper 16 bits of a float32. */
export function bf16ToFloat(b: number): number {
  u32[0] = (b & 0xffff) << 16;
  return f32[0];
}

/** Encodes a float32 value as BF16 bits, round to nearest even; NaN stays a (quiet) NaN. */
export function floatToBf16(v: number): number {
  f32[0] = v;
  const x = u32[0];
  if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) return (x >>> 16) | 0x40;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff; // overflow past the max rounds to inf, as it should
}

// A 64K-entry table makes bulk F16 decoding a single lookup per element (256 KiB, built on first use).
let halfTable: Float32Array | undefined;

/** Decodes `n` little-endian F16 values starting at `bytes[offset]`. */
export function decodeF16(bytes: Uint8Array, offset: number, n: number): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = halfToFloat(h);
  }
  const table = halfTable;
  const out = new Float32Array(n);
  for (let i = 0, o = offset; i < n; i++, o += 2) out[i] = table[bytes[o] | (bytes[o + 1] << 8)];
  return out;
}

/** Decodes `n` little-endian BF16 values starting at `bytes[offset]`. */
export function decodeBF16(bytes: Uint8Array, offset: number, n: number): Float32Array {
  const out = new Float32Array(n);
  const bits = new Uint32Array(out.buffer);
  // The Uint32Array and Float32Array views share host byte order, so this is endian-independent.
  for (let i = 0, o = offset; i < n; i++, o += 2) bits[i] = (bytes[o] | (bytes[o + 1] << 8)) << 16;
  return out;
}

/** Writes `data` as little-endian F16 or BF16 into `out` at `offset` (2 bytes per value). */
export function encodeHalf(data: Float32Array, kind: 'F16' | 'BF16', out: Uint8Array, offset: number): void {
  const enc = kind === 'F16' ? floatToHalf : floatToBf16;
  for (let i = 0, o = offset; i < data.length; i++, o += 2) {
    const h = enc(data[i]);
    out[o] = h & 0xff;
    out[o + 1] = h >>> 8;
  }
}
