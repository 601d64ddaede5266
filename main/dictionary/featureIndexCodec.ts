/**
 * Binary encoding of one feature's record in a layer file of the feature index (little-endian):
 *
 *   u32 crc32 of everything after it
 *   f64 count, f64 max, f64 mean, f64 histLo, f64 histHi
 *   u16 nBins, nBins × u32 counts                       (0 bins for a dead feature)
 *   u16 k, k × (u32 token, f32 value) top, k × (u32 token, f32 value) bottom
 *   u16 nTop, nTop × context
 *   u16 nBands, per band: u16 n, n × context
 *   context = u32 sequence, u32 position, f32 activation, u32 start, u8 length, u8 nnz, nnz × (u8 index, f32 act)
 *
 * Token ids of a context are not repeated here: they are read from the index's corpus file, and texts are
 * decoded at lookup. Per-token activations are stored sparsely (real features are zero on most tokens of a
 * window). Everything is f32/f64 exact, so a stored card equals the in-memory one bit for bit.
 */
import type { StoredContext } from './featureIndexScan';

export interface TokenValue {
  readonly token: number;
  readonly value: number;
}

/** What the corpus scan learns about one feature. */
export interface FeatureSummary {
  readonly count: number;
  readonly maxActivation: number;
  readonly meanActivation: number;
  /** Histogram over (lo, hi], `bins` equal-width bins (empty when count = 0). */
  readonly histLo: number;
  readonly histHi: number;
  readonly histogram: Uint32Array;
  readonly top: readonly StoredContext[];
  /** Per band, highest band first (labels in `FeatureIndex.bands`). */
  readonly bands: readonly (readonly StoredContext[])[];
}

/** A feature's stored record: its summary plus its direct logit effects. */
export interface FeatureRecord extends FeatureSummary {
  readonly logitTop: readonly TokenValue[];
  readonly logitBottom: readonly TokenValue[];
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE); in JS because zlib.crc32 needs Node ≥ 20.15 and the engines field allows 20.0. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export class ByteWriter {
  private buf = new Uint8Array(1024);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u8(x: number): void { this.ensure(1); this.view.setUint8(this.length, x); this.length += 1; }
  u16(x: number): void { this.ensure(2); this.view.setUint16(this.length, x, true); this.length += 2; }
  u32(x: number): void { this.ensure(4); this.view.setUint32(this.length, x, true); this.length += 4; }
  f32(x: number): void { this.ensure(4); this.view.setFloat32(this.length, x, true); this.length += 4; }
  f64(x: number): void { this.ensure(8); this.view.setFloat64(this.length, x, true); this.length += 8; }
  bytes(b: Uint8Array): void { this.ensure(b.length); this.buf.set(b, this.length); this.length += b.length; }
  /** Overwrites a u32 written earlier (e.g. a checksum slot). */
  patchU32(at: number, x: number): void { this.view.setUint32(at, x, true); }
  result(): Uint8Array { return this.buf.slice(0, this.length); }
}

/** Reads with bounds checks; any violation throws CorruptRecord so the caller can say which file is bad. */
export class CorruptRecord extends Error {}

export class ByteReader {
  private pos = 0;
  private readonly view: DataView;
  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  private take(n: number): number {
    if (this.pos + n > this.bytes.length) throw new CorruptRecord('record ends early');
    const at = this.pos;
    this.pos += n;
    return at;
  }
  u8(): number { return this.view.getUint8(this.take(1)); }
  u16(): number { return this.view.getUint16(this.take(2), true); }
  u32(): number { return this.view.getUint32(this.take(4), true); }
  f32(): number { return this.view.getFloat32(this.take(4), true); }
  f64(): number { return this.view.getFloat64(this.take(8), true); }
  get remaining(): number { return this.bytes.length - this.pos; }
}

function writeContext(w: ByteWriter, c: StoredContext): void {
  w.u32(c.sequence);
  w.u32(c.position);
  w.f32(c.activation);
  w.u32(c.start);
  w.u8(c.acts.length);
  let nnz = 0;
  for (const a of c.acts) if (a !== 0) nnz++;
  w.u8(nnz);
  c.acts.forEach((a, i) => {
    if (a === 0) return;
    w.u8(i);
    w.f32(a);
  });
}

function writeContexts(w: ByteWriter, list: readonly StoredContext[]): void {
  w.u16(list.length);
  for (const c of list) writeContext(w, c);
}

export function encodeFeatureRecord(r: FeatureRecord): Uint8Array {
  const w = new ByteWriter();
  w.u32(0); // crc, patched below
  for (const x of [r.count, r.maxActivation, r.meanActivation, r.histLo, r.histHi]) w.f64(x);
  w.u16(r.histogram.length);
  for (const c of r.histogram) w.u32(c);
  w.u16(r.logitTop.length);
  for (const list of [r.logitTop, r.logitBottom]) {
    for (const e of list) {
      w.u32(e.token);
      w.f32(e.value);
    }
  }
  writeContexts(w, r.top);
  w.u16(r.bands.length);
  for (const band of r.bands) writeContexts(w, band);
  const bytes = w.result();
  new DataView(bytes.buffer).setUint32(0, crc32(bytes.subarray(4)), true);
  return bytes;
}

/** What a record must agree with: the manifest's shape and the corpus (so contexts cannot point outside it). */
export interface RecordExpectations {
  readonly bins: number;
  readonly bands: number;
  readonly vocabSize: number;
  readonly sequenceLength: (seq: number) => number | undefined;
}

function readContext(r: ByteReader, e: RecordExpectations): StoredContext {
  const sequence = r.u32();
  const position = r.u32();
  const activation = r.f32();
  const start = r.u32();
  const length = r.u8();
  const nnz = r.u8();
  const T = e.sequenceLength(sequence);
  if (T === undefined || length === 0 || start + length > T || position < start || position >= start + length || nnz > length) {
    throw new CorruptRecord(`context (sequence ${sequence}, position ${position}) lies outside the corpus`);
  }
  const acts = new Float32Array(length);
  for (let i = 0; i < nnz; i++) {
    const idx = r.u8();
    if (idx >= length) throw new CorruptRecord('context token index out of range');
    acts[idx] = r.f32();
  }
  return { sequence, position, activation, start, acts };
}

function readContexts(r: ByteReader, e: RecordExpectations): StoredContext[] {
  const n = r.u16();
  return Array.from({ length: n }, () => readContext(r, e));
}

export function decodeFeatureRecord(bytes: Uint8Array, e: RecordExpectations): FeatureRecord {
  if (bytes.length < 4) throw new CorruptRecord('record too short');
  const stored = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true);
  if (crc32(bytes.subarray(4)) !== stored) throw new CorruptRecord('checksum mismatch');
  const r = new ByteReader(bytes.subarray(4));
  const [count, maxActivation, meanActivation, histLo, histHi] = [r.f64(), r.f64(), r.f64(), r.f64(), r.f64()];
  const nBins = r.u16();
  if (nBins !== (count > 0 ? e.bins : 0)) throw new CorruptRecord(`histogram has ${nBins} bins`);
  const histogram = new Uint32Array(nBins);
  for (let i = 0; i < nBins; i++) histogram[i] = r.u32();
  const k = r.u16();
  const lists = [0, 1].map(() =>
    Array.from({ length: k }, (): TokenValue => {
      const token = r.u32();
      if (token >= e.vocabSize) throw new CorruptRecord(`token id ${token} outside the vocabulary`);
      return { token, value: r.f32() };
    }),
  );
  const top = readContexts(r, e);
  const nBands = r.u16();
  if (nBands !== e.bands) throw new CorruptRecord(`${nBands} bands, manifest says ${e.bands}`);
  const bands = Array.from({ length: nBands }, () => readContexts(r, e));
  if (r.remaining !== 0) throw new CorruptRecord('trailing bytes after the record');
  return { count, maxActivation, meanActivation, histLo, histHi, histogram, top, bands, logitTop: lists[0], logitBottom: lists[1] };
}
