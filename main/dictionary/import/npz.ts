/**
 * NumPy `.npz` archives (a ZIP of `.npy` files, as `np.savez` / `np.savez_compressed` write them), read into
 * float32 tensors. Parsed defensively: every offset and size is bounds-checked against the buffer, only stored
 * (0) and deflate (8) entries are accepted, inflated sizes are capped by the declared size, and the `.npy`
 * header is parsed by a strict pattern (never evaluated). ZIP64 archives (members over 4 GiB) are refused.
 */
import { crc32, inflateRawSync } from 'node:zlib';
import type { Tensor } from '../../../shared/tensor';
import { UserError } from '../../errors';
import { decodeF16 } from '../halfFloat';

type Fail = (msg: string) => UserError;

const EOCD_SIG = 0x06054b50;
const CDIR_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;

interface Member {
  readonly name: string;
  readonly method: number;
  readonly compressed: number;
  readonly size: number;
  readonly localOffset: number;
}

function centralDirectory(buf: Uint8Array, fail: Fail): Member[] {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  // The end record is in the last 22 + 65535 (comment) bytes.
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 65535); i--) {
    if (dv.getUint32(i, true) === EOCD_SIG) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw fail('not a zip archive (no end-of-central-directory record)');
  const count = dv.getUint16(eocd + 10, true);
  const cdSize = dv.getUint32(eocd + 12, true);
  const cdOffset = dv.getUint32(eocd + 16, true);
  if (count === 0xffff || cdOffset === 0xffffffff) throw fail('ZIP64 archives are not supported');
  if (cdOffset + cdSize > eocd) throw fail('central directory lies outside the file (truncated?)');
  const members: Member[] = [];
  let p = cdOffset;
  for (let i = 0; i < count; i++) {
    if (p + 46 > eocd || dv.getUint32(p, true) !== CDIR_SIG) throw fail(`central directory entry ${i} is corrupt`);
    const method = dv.getUint16(p + 10, true);
    const compressed = dv.getUint32(p + 20, true);
    const size = dv.getUint32(p + 24, true);
    const nameLen = dv.getUint16(p + 28, true);
    const extraLen = dv.getUint16(p + 30, true);
    const commentLen = dv.getUint16(p + 32, true);
    const localOffset = dv.getUint32(p + 42, true);
    if (p + 46 + nameLen > eocd) throw fail(`central directory entry ${i} is corrupt`);
    const name = new TextDecoder().decode(buf.subarray(p + 46, p + 46 + nameLen));
    if (compressed === 0xffffffff || size === 0xffffffff || localOffset === 0xffffffff) throw fail(`${name}: ZIP64 members are not supported`);
    members.push({ name, method, compressed, size, localOffset });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return members;
}

function memberBytes(buf: Uint8Array, m: Member, fail: Fail): Uint8Array {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const o = m.localOffset;
  if (o + 30 > buf.length || dv.getUint32(o, true) !== LOCAL_SIG) throw fail(`${m.name}: local header is corrupt`);
  const start = o + 30 + dv.getUint16(o + 26, true) + dv.getUint16(o + 28, true);
  if (start + m.compressed > buf.length) throw fail(`${m.name}: data runs past the end of the file (truncated?)`);
  const raw = buf.subarray(start, start + m.compressed);
  if (m.method === 0) {
    if (m.compressed !== m.size) throw fail(`${m.name}: stored member with different sizes`);
    return raw;
  }
  if (m.method !== 8) throw fail(`${m.name}: compression method ${m.method} is not supported (stored or deflate)`);
  let out: Buffer;
  try {
    out = inflateRawSync(raw, { maxOutputLength: Math.max(1, m.size) });
  } catch {
    throw fail(`${m.name}: corrupt deflate data`);
  }
  if (out.length !== m.size) throw fail(`${m.name}: inflated to ${out.length} bytes, expected ${m.size}`);
  return out;
}

const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const HEADER_RE = /^\{\s*'descr'\s*:\s*'([<>|=]?[a-zA-Z]\d*)'\s*,\s*'fortran_order'\s*:\s*(True|False)\s*,\s*'shape'\s*:\s*\(([\d\s,]*)\)\s*,?\s*\}\s*$/;

/** One `.npy` array as float32 (dtypes f4, f2, f8; little-endian). Fortran order is transposed to C order. */
export function parseNpy(bytes: Uint8Array, what: string, fail: Fail): Tensor {
  if (bytes.length < 10 || NPY_MAGIC.some((b, i) => bytes[i] !== b)) throw fail(`${what}: not a .npy array`);
  const major = bytes[6];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hlen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  const hstart = major === 1 ? 10 : 12;
  if (major < 1 || major > 3 || hstart + hlen > bytes.length) throw fail(`${what}: unsupported or corrupt .npy header`);
  const header = new TextDecoder().decode(bytes.subarray(hstart, hstart + hlen));
  const m = HEADER_RE.exec(header.trim());
  if (!m) throw fail(`${what}: cannot read the .npy header ${JSON.stringify(header.trim().slice(0, 80))}`);
  const [, descr, fortran, shapeText] = m;
  const shape = shapeText.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (!shape.every((s) => Number.isSafeInteger(s) && s >= 0)) throw fail(`${what}: bad shape (${shapeText})`);
  const n = shape.reduce((a, b) => a * b, 1);
  const kind = descr.replace(/^[<|=]/, '');
  if (descr.startsWith('>')) throw fail(`${what}: big-endian arrays are not supported`);
  const size = kind === 'f4' ? 4 : kind === 'f2' ? 2 : kind === 'f8' ? 8 : 0;
  if (!size) throw fail(`${what}: dtype ${descr} is not supported (float16/32/64)`);
  const off = hstart + hlen;
  if (off + n * size > bytes.length) throw fail(`${what}: data is shorter than shape [${shape.join(', ')}] needs (truncated?)`);
  let data: Float32Array;
  if (kind === 'f4') data = new Float32Array(Uint8Array.prototype.slice.call(bytes, off, off + 4 * n).buffer);
  else if (kind === 'f2') data = decodeF16(bytes, off, n);
  else {
    const f64 = new Float64Array(Uint8Array.prototype.slice.call(bytes, off, off + 8 * n).buffer);
    data = Float32Array.from(f64);
  }
  if (fortran === 'True' && shape.length === 2) {
    // Column-major [r, c] is row-major [c, r]: transpose back.
    const [r, c] = shape;
    const t = new Float32Array(n);
    for (let i = 0; i < c; i++) for (let j = 0; j < r; j++) t[j * c + i] = data[i * r + j];
    data = t;
  } else if (fortran === 'True' && shape.length > 2) throw fail(`${what}: Fortran-order arrays above 2-D are not supported`);
  return { data, shape };
}

/** Every array of an `.npz` archive, by name without `.npy`. */
export function parseNpz(buf: Uint8Array, source: string): Map<string, Tensor> {
  const fail: Fail = (msg) => new UserError(`${source}: ${msg}`);
  const out = new Map<string, Tensor>();
  for (const m of centralDirectory(buf, fail)) {
    if (!m.name.endsWith('.npy')) continue;
    const key = m.name.slice(0, -4);
    if (key === '__proto__' || out.has(key)) throw fail(`array name ${JSON.stringify(key)} is repeated or not allowed`);
    out.set(key, parseNpy(memberBytes(buf, m, fail), m.name, fail));
  }
  return out;
}

/** `.npy` bytes (version 1.0, little-endian float32, C order) of a tensor. */
export function encodeNpy(t: Tensor): Uint8Array {
  const shape = t.shape.length === 1 ? `(${t.shape[0]},)` : `(${t.shape.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }`;
  // Magic + version + u16 length + header + '\n', padded with spaces to a multiple of 64 (numpy's rule).
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const out = new Uint8Array(total + t.data.byteLength);
  out.set(NPY_MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), total);
  return out;
}

/** An uncompressed `.npz` (what `np.savez` writes) of float32 arrays. */
export function writeNpz(arrays: ReadonlyMap<string, Tensor>): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const [key, t] of arrays) {
    const name = new TextEncoder().encode(`${key}.npy`);
    const data = encodeNpy(t);
    const crc = crc32(data);
    const local = new Uint8Array(30 + name.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, LOCAL_SIG, true);
    lv.setUint16(4, 20, true);
    lv.setUint32(14, crc, true);
    lv.setUint32(18, data.length, true);
    lv.setUint32(22, data.length, true);
    lv.setUint16(26, name.length, true);
    local.set(name, 30);
    const cd = new Uint8Array(46 + name.length);
    const cv = new DataView(cd.buffer);
    cv.setUint32(0, CDIR_SIG, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, data.length, true);
    cv.setUint32(24, data.length, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(42, offset, true);
    cd.set(name, 46);
    parts.push(local, data);
    central.push(cd);
    offset += local.length + data.length;
  }
  const cdSize = central.reduce((a, c) => a + c.length, 0);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, EOCD_SIG, true);
  ev.setUint16(8, central.length, true);
  ev.setUint16(10, central.length, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, offset, true);
  return Buffer.concat([...parts, ...central, end]);
}
