/**
 * safetensors reader and writer (https://github.com/huggingface/safetensors): an 8-byte little-endian header
 * length N, N bytes of JSON header `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {..}}`,
 * then the tensor bytes, offsets relative to the start of the data section.
 *
 * Every malformed input gives a one-line UserError naming the file; no RangeError/TypeError/SyntaxError escapes.
 * Deliberate leniencies, matching what files in the wild contain: gaps between tensors and trailing bytes after the
 * last tensor are accepted (the Rust reference requires the data section to be covered exactly), and a key repeated
 * in the JSON header is not detected (JSON.parse keeps the last one). Tensor names and metadata keys go into Maps,
 * never into plain objects, and `__proto__` / `constructor` / `prototype` are refused outright so that no consumer
 * can be tricked into prototype pollution by a tensor name.
 */
import type { Tensor } from '../../shared/tensor';
import { UserError } from '../errors';
import { decodeBF16, decodeF16, encodeHalf } from './halfFloat';

/** Element size in bytes of every dtype the safetensors format defines (sub-byte F4/F6 types are not supported). */
const DTYPE_BYTES = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, F8_E8M0: 1,
  I16: 2, U16: 2, F16: 2, BF16: 2,
  I32: 4, U32: 4, F32: 4,
  I64: 8, U64: 8, F64: 8, C64: 8,
} as const;

export type SafetensorsDtype = keyof typeof DTYPE_BYTES;
/** Dtypes this module can write. */
export type FloatDtype = 'F32' | 'F16' | 'BF16';

/** The same limit as the Rust reference: bigger headers are corrupt files, not real checkpoints. */
export const MAX_HEADER_BYTES = 100_000_000;
const RESERVED_NAMES = new Set(['__proto__', 'constructor', 'prototype']);
// Typed arrays use host byte order; the file is little-endian, so direct views are only taken on such hosts.
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const DECODABLE: readonly SafetensorsDtype[] = ['F64', 'F32', 'F16', 'BF16', 'I64', 'I32', 'I16', 'I8', 'U64', 'U32', 'U16', 'U8', 'BOOL'];

export interface SafetensorsEntry {
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  /** Absolute byte offsets in the file (data section start already added). */
  readonly begin: number;
  readonly end: number;
}

export interface SafetensorsHeader {
  /** Offset of the data section: 8 + header length. */
  readonly dataStart: number;
  readonly tensors: ReadonlyMap<string, SafetensorsEntry>;
  readonly metadata: ReadonlyMap<string, string>;
}

/** A decoded tensor: the data of every supported dtype is widened/narrowed to float32. */
export interface SafetensorsTensor {
  readonly dtype: SafetensorsDtype;
  readonly shape: number[];
  readonly data: Float32Array;
}

type Fail = (msg: string) => UserError;

/** A name or value quoted for an error message: JSON-escaped (so one line) and cut to a readable length. */
export function quote(s: string): string {
  const q = JSON.stringify(s);
  return q.length > 80 ? `${q.slice(0, 77)}…"` : q;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isDtype = (s: unknown): s is SafetensorsDtype => typeof s === 'string' && Object.hasOwn(DTYPE_BYTES, s);

function parseHeaderJson(text: string, fail: Fail): Record<string, unknown> {
  // The spec requires the header to be a JSON object; checking the first byte also rejects deeply nested arrays early.
  if (!text.startsWith('{')) throw fail('header is not a JSON object (not a safetensors file?)');
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (e) {
    if (e instanceof RangeError) throw fail('header JSON is nested too deeply (corrupt file)');
    const why = e instanceof Error ? e.message.replace(/\s+/g, ' ').slice(0, 120) : String(e);
    throw fail(`header is not valid JSON (${why})`);
  }
  if (!isRecord(root)) throw fail('header is not a JSON object (not a safetensors file?)');
  return root;
}

/** shape → element count, or -1 above `limit` (so that count × dtype size stays an exact integer). */
function numelWithin(shape: readonly number[], limit: number): number {
  if (shape.includes(0)) return 0;
  let n = 1;
  for (const s of shape) {
    n *= s;
    if (n > limit) return -1;
  }
  return n;
}

function readEntry(name: string, v: unknown, dataLength: number, dataStart: number, fail: Fail): SafetensorsEntry {
  const t = `tensor ${quote(name)}`;
  if (!isRecord(v)) throw fail(`${t}: header entry is not an object`);
  const { dtype, shape, data_offsets: offsets } = v;
  if (!isDtype(dtype)) {
    if (dtype === undefined) throw fail(`${t} has no dtype`);
    const got = typeof dtype === 'string' ? quote(dtype) : `of type ${typeof dtype}`;
    throw fail(`${t} has unknown dtype ${got} (expected one of ${Object.keys(DTYPE_BYTES).join(', ')})`);
  }
  if (!Array.isArray(shape) || !shape.every((s) => Number.isSafeInteger(s) && s >= 0)) {
    throw fail(`${t}: shape must be a list of non-negative integers`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
    throw fail(`${t}: data_offsets must be [begin, end] with non-negative integers`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) throw fail(`${t}: data_offsets [${begin}, ${end}] end before they begin`);
  if (end > dataLength) {
    throw fail(`${t}: data_offsets [${begin}, ${end}] run past the end of the data section (${dataLength} bytes); the file is truncated`);
  }
  const size = DTYPE_BYTES[dtype];
  const n = numelWithin(shape as number[], Math.floor(Number.MAX_SAFE_INTEGER / 8));
  if (n < 0 || n * size !== end - begin) {
    const need = n < 0 ? 'more bytes than any file can hold' : `${n * size} bytes`;
    throw fail(`${t}: dtype ${dtype} and shape [${shape.join(', ')}] need ${need} but data_offsets [${begin}, ${end}] span ${end - begin}`);
  }
  return { dtype, shape: [...(shape as number[])], begin: dataStart + begin, end: dataStart + end };
}

function readMetadata(v: unknown, fail: Fail): Map<string, string> {
  if (!isRecord(v)) throw fail('__metadata__ must be an object of strings');
  const out = new Map<string, string>();
  for (const [k, s] of Object.entries(v)) {
    if (RESERVED_NAMES.has(k)) throw fail(`__metadata__ key ${quote(k)} is not allowed`);
    if (typeof s !== 'string') throw fail(`__metadata__ value of ${quote(k)} must be a string`);
    out.set(k, s);
  }
  return out;
}

/**
 * Parses and validates the header. `bytes` may be only a prefix of the file (at least 8 + header length bytes)
 * when `fileSize` gives the full size, so a large file's header can be read without loading its tensors.
 */
export function readSafetensorsHeader(bytes: Uint8Array, source: string, fileSize: number = bytes.length): SafetensorsHeader {
  const fail: Fail = (msg) => new UserError(`safetensors file ${source}: ${msg}`);
  if (fileSize < 8 || bytes.length < 8) {
    throw fail(`file is only ${Math.min(fileSize, bytes.length)} bytes; it is truncated or not a safetensors file`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, 8);
  const lo = dv.getUint32(0, true);
  const hi = dv.getUint32(4, true);
  const n = hi * 2 ** 32 + lo;
  if (hi !== 0 || n > MAX_HEADER_BYTES) throw fail(`header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit (corrupt or not a safetensors file)`);
  if (8 + n > fileSize) throw fail(`header length ${n} is larger than the file (${fileSize} bytes); the file is truncated or not safetensors`);
  if (8 + n > bytes.length) throw fail(`only ${bytes.length} bytes were read but the header needs ${8 + n}`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    throw fail('header is not valid UTF-8 (corrupt or not a safetensors file)');
  }
  const root = parseHeaderJson(text, fail);
  const dataStart = 8 + n;
  const dataLength = fileSize - dataStart;
  const tensors = new Map<string, SafetensorsEntry>();
  let metadata = new Map<string, string>();
  for (const [name, v] of Object.entries(root)) {
    if (name === '__metadata__') metadata = readMetadata(v, fail);
    else if (RESERVED_NAMES.has(name)) throw fail(`tensor name ${quote(name)} is not allowed`);
    else tensors.set(name, readEntry(name, v, dataLength, dataStart, fail));
  }
  // Empty tensors occupy no bytes, so only non-empty ranges can collide.
  const ranges = [...tensors].filter(([, e]) => e.end > e.begin).sort((a, b) => a[1].begin - b[1].begin);
  for (let i = 1; i < ranges.length; i++) {
    const [pn, p] = ranges[i - 1];
    const [cn, c] = ranges[i];
    if (c.begin < p.end) {
      throw fail(`tensors ${quote(pn)} and ${quote(cn)} overlap (data_offsets [${p.begin - dataStart}, ${p.end - dataStart}] and [${c.begin - dataStart}, ${c.end - dataStart}])`);
    }
  }
  return { dataStart, tensors, metadata };
}

/**
 * Decodes one tensor's data to float32. `bytes` holds the file from absolute offset `base` on (0 for a whole file).
 * Integer dtypes are converted to the nearest float32 (exact below 2²⁴, e.g. a scalar `k`).
 */
export function decodeSafetensorsEntry(bytes: Uint8Array, entry: SafetensorsEntry, name: string, source: string, base = 0): Float32Array {
  const off = entry.begin - base;
  const n = (entry.end - entry.begin) / DTYPE_BYTES[entry.dtype];
  if (off < 0 || entry.end - base > bytes.length) {
    throw new UserError(`safetensors file ${source}: tensor ${quote(name)} lies outside the bytes that were read`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset + off, entry.end - entry.begin);
  const out = (get: (i: number) => number): Float32Array => {
    const r = new Float32Array(n);
    for (let i = 0; i < n; i++) r[i] = get(i);
    return r;
  };
  switch (entry.dtype) {
    case 'F32':
      // Copy into a fresh, 4-aligned buffer; the file's own offset need not be aligned. (Uint8Array's slice, not
      // Buffer's: a Node Buffer's slice() is a view into a possibly pooled buffer.)
      return littleEndian ? new Float32Array(Uint8Array.prototype.slice.call(bytes, off, off + 4 * n).buffer) : out((i) => dv.getFloat32(4 * i, true));
    case 'F16': return decodeF16(bytes, off, n);
    case 'BF16': return decodeBF16(bytes, off, n);
    case 'F64': return out((i) => dv.getFloat64(8 * i, true));
    case 'I64': return out((i) => Number(dv.getBigInt64(8 * i, true)));
    case 'U64': return out((i) => Number(dv.getBigUint64(8 * i, true)));
    case 'I32': return out((i) => dv.getInt32(4 * i, true));
    case 'U32': return out((i) => dv.getUint32(4 * i, true));
    case 'I16': return out((i) => dv.getInt16(2 * i, true));
    case 'U16': return out((i) => dv.getUint16(2 * i, true));
    case 'I8': return out((i) => dv.getInt8(i));
    case 'U8': return out((i) => dv.getUint8(i));
    case 'BOOL': return out((i) => (dv.getUint8(i) ? 1 : 0));
    default:
      throw new UserError(`safetensors file ${source}: tensor ${quote(name)} has dtype ${entry.dtype}, which cannot be decoded (supported: ${DECODABLE.join(', ')})`);
  }
}

/** Parses a whole safetensors file into float32 tensors (see the module comment for what is validated). */
export function parseSafetensors(bytes: Uint8Array, source: string): Map<string, SafetensorsTensor> {
  const header = readSafetensorsHeader(bytes, source);
  const out = new Map<string, SafetensorsTensor>();
  for (const [name, e] of header.tensors) {
    let data: Float32Array;
    try {
      data = decodeSafetensorsEntry(bytes, e, name, source);
    } catch (err) {
      if (err instanceof RangeError) throw new UserError(`safetensors file ${source}: tensor ${quote(name)} is too large to load into memory`);
      throw err;
    }
    out.set(name, { dtype: e.dtype, shape: [...e.shape], data });
  }
  return out;
}

/**
 * Serializes tensors: JSON header padded with spaces to a multiple of 8 (so the data section is 8-aligned, as the
 * Rust writer does), tensors laid out contiguously in name order, F16/BF16 rounded to nearest even.
 */
export function writeSafetensors(
  tensors: ReadonlyMap<string, Tensor> | readonly (readonly [string, Tensor])[],
  metadata?: Readonly<Record<string, string>>,
  dtype: FloatDtype = 'F32',
): Uint8Array {
  const fail: Fail = (msg) => new UserError(`cannot write safetensors: ${msg}`);
  if (dtype !== 'F32' && dtype !== 'F16' && dtype !== 'BF16') throw fail(`dtype ${quote(String(dtype))} is not one of F32, F16, BF16`);
  const list = [...tensors];
  const seen = new Set<string>();
  for (const [name, t] of list) {
    if (typeof name !== 'string') throw fail('tensor names must be strings');
    if (seen.has(name)) throw fail(`tensor name ${quote(name)} appears twice`);
    seen.add(name);
    if (name === '__metadata__' || RESERVED_NAMES.has(name)) throw fail(`tensor name ${quote(name)} is not allowed`);
    if (!t.shape.every((s) => Number.isSafeInteger(s) && s >= 0)) throw fail(`tensor ${quote(name)} has an invalid shape [${t.shape.join(', ')}]`);
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (t.data.length !== n) throw fail(`tensor ${quote(name)} has ${t.data.length} values but shape [${t.shape.join(', ')}] needs ${n}`);
  }
  list.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const size = DTYPE_BYTES[dtype];
  const parts: string[] = [];
  if (metadata) {
    const meta: string[] = [];
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw fail(`metadata value of ${quote(k)} must be a string`);
      if (RESERVED_NAMES.has(k)) throw fail(`metadata key ${quote(k)} is not allowed`);
      meta.push(`${JSON.stringify(k)}:${JSON.stringify(v)}`);
    }
    parts.push(`"__metadata__":{${meta.join(',')}}`);
  }
  // The header is assembled as text, never via a plain object, so no name can touch an object prototype.
  let offset = 0;
  for (const [name, t] of list) {
    const bytes = t.data.length * size;
    parts.push(`${JSON.stringify(name)}:{"dtype":"${dtype}","shape":[${t.shape.join(',')}],"data_offsets":[${offset},${offset + bytes}]}`);
    offset += bytes;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const headerLength = Math.ceil(json.length / 8) * 8;
  if (headerLength > MAX_HEADER_BYTES) throw fail(`header would be ${headerLength} bytes, over the ${MAX_HEADER_BYTES}-byte limit`);
  const out = new Uint8Array(8 + headerLength + offset);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, headerLength, true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let pos = 8 + headerLength;
  for (const [, t] of list) {
    if (dtype !== 'F32') encodeHalf(t.data, dtype, out, pos);
    else if (littleEndian) out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), pos);
    else for (let i = 0; i < t.data.length; i++) dv.setFloat32(pos + 4 * i, t.data[i], true);
    pos += t.data.length * size;
  }
  return out;
}
