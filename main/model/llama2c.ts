/**
 * llama2.c checkpoints (Karpathy's llama2.c; all little-endian), read into a {@link ModelSpec}:
 * - legacy "version 0" (run.c): 7 int32 header, float32 weights, two RoPE tables (ignored); negative vocab_size = untied.
 * - "version 1" (export.py version1_export): 256-byte header (magic "ak42", version, 7 int32, uint8 shared flag), fp32.
 * - "version 2" (export.py version2_export): same header plus int32 group_size at byte 37; fp32 norms, then Q8_0 tensors.
 * Verified against llama2.c's export.py (commit d9862069) and runq.c (`init_quantized_tensors`): each Q8_0 tensor is its
 * numel int8 values immediately followed by its numel/group_size float32 scales, tensor after tensor, layer by layer.
 * (An early export.py, commit 09db52c, wrote all int8 blocks first and all scales after them. Such files have the
 * same size and cannot be told apart by their header; current runq.c cannot read them either: re-export them.)
 * Q8_0 weights are dequantized to float32 and the forward pass stays float32: unlike runq.c, activations are not
 * quantized, so logits differ slightly from runq.c's.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parse as parsePath } from 'node:path';
import { UserError } from '../errors';
import { weightNames, type ArchConfig, type ModelSpec } from '../../shared/model';
import type { Tensor } from '../../shared/tensor';
import { dequantizeQ80 } from './q80';

export const LLAMA2C_MAGIC = 0x616b3432; // "ak42" read as a little-endian uint32
export const V0_HEADER_BYTES = 28;
export const HEADER_BYTES = 256;
/** Any dimension beyond this is a corrupt header, not a model (and must not drive an allocation). */
const MAX_DIM = 1 << 20;
export const IS_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

export interface Llama2cHeader {
  readonly version: 0 | 1 | 2;
  readonly dim: number;
  readonly hiddenDim: number;
  readonly nLayers: number;
  readonly nHeads: number;
  readonly nKvHeads: number;
  /** Always positive (the v0 sign is folded into `shared`). */
  readonly vocabSize: number;
  readonly seqLen: number;
  readonly shared: boolean;
  /** Q8_0 group size (version 2 only; 0 otherwise). */
  readonly groupSize: number;
}

/** A run of `count` same-shape tensors in file order: per-layer weights, one global weight, or a v0 RoPE table. */
export type Block =
  | { readonly kind: 'weight'; readonly name: string | ((l: number) => string); readonly count: number; readonly shape: readonly number[] }
  | { readonly kind: 'freq'; readonly part: 'real' | 'imag'; readonly count: 1; readonly shape: readonly number[] };

/** The file layout after the header: `f32` blocks first, then `q8` (Q8_0) blocks. Shared by the reader and writers. */
export function layoutBlocks(h: Llama2cHeader): { f32: Block[]; q8: Block[] } {
  const { dim, hiddenDim: hid, nLayers: L } = h;
  const kv = (dim * h.nKvHeads) / h.nHeads;
  const n = weightNames;
  const per = (name: (l: number) => string, shape: number[]): Block => ({ kind: 'weight', name, count: L, shape });
  const one = (name: string, shape: number[]): Block => ({ kind: 'weight', name, count: 1, shape });
  const attn = [per(n.wq, [dim, dim]), per(n.wk, [kv, dim]), per(n.wv, [kv, dim]), per(n.wo, [dim, dim])];
  // llama2.c w1 = gate, w2 = down (out), w3 = up (in)
  const mlp = [per(n.wGate, [hid, dim]), per(n.wOut, [dim, hid]), per(n.wIn, [hid, dim])];
  const embed = one(n.embed, [h.vocabSize, dim]);
  const cls = h.shared ? [] : [one(n.unembed, [h.vocabSize, dim])];
  if (h.version === 0) {
    const half = [h.seqLen, dim / h.nHeads / 2];
    const freq = (part: 'real' | 'imag'): Block => ({ kind: 'freq', part, count: 1, shape: half });
    return {
      f32: [embed, per(n.ln1, [dim]), ...attn, per(n.ln2, [dim]), ...mlp, one(n.lnFinal, [dim]), freq('real'), freq('imag'), ...cls],
      q8: [],
    };
  }
  const norms = [per(n.ln1, [dim]), per(n.ln2, [dim]), one(n.lnFinal, [dim])];
  if (h.version === 1) return { f32: [...norms, embed, ...attn, ...mlp, ...cls], q8: [] };
  return { f32: norms, q8: [embed, ...attn, ...mlp, ...cls] };
}

export function blockNumel(b: Block): number {
  return b.shape.reduce((a, s) => a * s, 1);
}

export function blockName(b: Block, l: number): string {
  if (b.kind === 'freq') return `freq_cis_${b.part}`;
  return typeof b.name === 'function' ? b.name(l) : b.name;
}

/** Exact file size the header implies (plain double arithmetic: absurd headers just give a huge number). */
export function expectedBytes(h: Llama2cHeader): number {
  const { f32, q8 } = layoutBlocks(h);
  let bytes = h.version === 0 ? V0_HEADER_BYTES : HEADER_BYTES;
  for (const b of f32) bytes += 4 * b.count * blockNumel(b);
  for (const b of q8) bytes += b.count * (blockNumel(b) + (4 * blockNumel(b)) / h.groupSize);
  return bytes;
}

type Fail = (msg: string) => UserError;

function readHeader(bytes: Uint8Array, fail: Fail): Llama2cHeader {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // A legacy file cannot start with the magic: it would be dim = 1634415666, far beyond MAX_DIM.
  const versioned = bytes.length >= 4 && dv.getUint32(0, true) === LLAMA2C_MAGIC;
  const headerBytes = versioned ? HEADER_BYTES : V0_HEADER_BYTES;
  if (bytes.length < headerBytes) {
    throw fail(`file is ${bytes.length} bytes, too short for a llama2.c ${versioned ? 'version 1/2' : 'legacy'} header (${headerBytes} bytes); the file is truncated or not a llama2.c checkpoint`);
  }
  const version = versioned ? dv.getInt32(4, true) : 0;
  if (version !== 0 && version !== 1 && version !== 2) {
    throw fail(`unsupported llama2.c version ${version} (supported: legacy, 1, 2)`);
  }
  const p = versioned ? 8 : 0;
  const int = (i: number): number => dv.getInt32(p + 4 * i, true);
  const rawVocab = int(5);
  if (versioned && rawVocab <= 0) throw fail(`vocab_size ${rawVocab} must be positive in a version ${version} header`);
  const flag = versioned ? bytes[36] : 0;
  if (flag > 1) throw fail(`shared_classifier flag is ${flag}, expected 0 or 1; the header is corrupt`);
  return {
    version, dim: int(0), hiddenDim: int(1), nLayers: int(2), nHeads: int(3), nKvHeads: int(4),
    vocabSize: Math.abs(rawVocab), seqLen: int(6),
    shared: versioned ? flag === 1 : rawVocab > 0,
    groupSize: version === 2 ? dv.getInt32(37, true) : 0,
  };
}

function validateHeader(h: Llama2cHeader, fileBytes: number, fail: Fail): void {
  const dims: [string, number][] = [
    ['dim', h.dim], ['hidden_dim', h.hiddenDim], ['n_layers', h.nLayers], ['n_heads', h.nHeads],
    ['n_kv_heads', h.nKvHeads], ['vocab_size', h.vocabSize], ['seq_len', h.seqLen],
  ];
  for (const [name, v] of dims) {
    if (v <= 0 || v > MAX_DIM) throw fail(`header ${name} = ${v} is out of range (1..${MAX_DIM}); the file is corrupt or not a llama2.c checkpoint`);
  }
  if (h.dim % h.nHeads !== 0) throw fail(`dim ${h.dim} is not divisible by n_heads ${h.nHeads}; the header is corrupt`);
  if (h.nHeads % h.nKvHeads !== 0) throw fail(`n_heads ${h.nHeads} is not divisible by n_kv_heads ${h.nKvHeads}; the header is corrupt`);
  if ((h.dim / h.nHeads) % 2 !== 0) throw fail(`head size ${h.dim / h.nHeads} is odd, but RoPE rotates pairs; the header is corrupt`);
  if (h.version === 2) {
    if (h.groupSize <= 0) throw fail(`Q8_0 group_size ${h.groupSize} must be positive; the header is corrupt`);
    for (const b of layoutBlocks(h).q8) {
      if (blockNumel(b) % h.groupSize !== 0) {
        throw fail(`Q8_0 group_size ${h.groupSize} does not divide the ${blockNumel(b)} values of ${blockName(b, 0)}; the header is corrupt`);
      }
    }
  }
  const want = expectedBytes(h);
  if (want !== fileBytes) {
    const what = fileBytes < want ? 'the file is truncated (re-download or re-export it)' : `the file has ${fileBytes - want} trailing bytes (wrong header or not a llama2.c checkpoint)`;
    throw fail(`header (dim ${h.dim}, hidden_dim ${h.hiddenDim}, n_layers ${h.nLayers}, n_heads ${h.nHeads}, n_kv_heads ${h.nKvHeads}, vocab_size ${h.vocabSize}, seq_len ${h.seqLen}) implies ${want} bytes but the file has ${fileBytes}: ${what}`);
  }
}

/** float32 values at `off`: a zero-copy view when aligned little-endian, otherwise a decoded copy. */
function readF32(bytes: Uint8Array, off: number, n: number, allowView: boolean): Float32Array {
  const at = bytes.byteOffset + off;
  if (allowView && IS_LITTLE_ENDIAN && at % 4 === 0) return new Float32Array(bytes.buffer, at, n);
  const out = new Float32Array(n);
  if (IS_LITTLE_ENDIAN) {
    new Uint8Array(out.buffer).set(bytes.subarray(off, off + 4 * n));
  } else {
    const dv = new DataView(bytes.buffer, at, 4 * n);
    for (let i = 0; i < n; i++) out[i] = dv.getFloat32(4 * i, true);
  }
  return out;
}

function checkFinite(data: Float32Array, what: string, unit: string, fail: Fail): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!Number.isFinite(v)) {
      throw fail(`${what} contains ${Number.isNaN(v) ? 'NaN' : v > 0 ? 'Inf' : '-Inf'} at ${unit} ${i}; the file is corrupt (re-download or re-export it)`);
    }
  }
}

function buildConfig(h: Llama2cHeader): ArchConfig {
  return {
    family: 'llama2c', norm: 'rms', mlp: 'gated-silu', rope: { kind: 'interleaved', theta: 10000 },
    tiedEmbeddings: h.shared, dModel: h.dim, nLayers: h.nLayers, nHeads: h.nHeads, nKvHeads: h.nKvHeads,
    headDim: h.dim / h.nHeads, dMlp: h.hiddenDim, vocabSize: h.vocabSize, maxSeqLen: h.seqLen,
    normEps: 1e-5, bosId: 1, eosId: 2,
  };
}

export interface CheckpointMeta {
  readonly path: string;
  readonly name: string;
  readonly fingerprint: string;
}

function parseInternal(input: Uint8Array, meta: CheckpointMeta, adopt: boolean): ModelSpec {
  const fail: Fail = (msg) => new UserError(`checkpoint ${meta.path}: ${msg}`);
  const h = readHeader(input, fail);
  validateHeader(h, input.length, fail);
  // fp32 layouts become views over one aligned copy of the file (or the caller's buffer when it hands it over);
  // the v2 layout is dequantized into fresh arrays, so it needs no copy at all.
  const bytes = h.version !== 2 && !(adopt && input.byteOffset % 4 === 0) ? new Uint8Array(input) : input;
  const weights = new Map<string, Tensor>();
  const { f32, q8 } = layoutBlocks(h);
  let off = h.version === 0 ? V0_HEADER_BYTES : HEADER_BYTES;
  for (const b of f32) {
    const n = blockNumel(b);
    for (let l = 0; l < b.count; l++, off += 4 * n) {
      if (b.kind === 'freq') continue; // legacy RoPE tables: recomputed by the engine
      const name = blockName(b, l);
      const data = readF32(bytes, off, n, true);
      checkFinite(data, `weight ${name}`, 'index', fail);
      weights.set(name, { data, shape: [...b.shape] });
    }
  }
  for (const b of q8) {
    const n = blockNumel(b);
    for (let l = 0; l < b.count; l++) {
      const name = blockName(b, l);
      const q = new Int8Array(bytes.buffer, bytes.byteOffset + off, n);
      const scales = readF32(bytes, off + n, n / h.groupSize, false);
      off += n + 4 * scales.length;
      checkFinite(scales, `Q8_0 scales of weight ${name}`, 'group', fail);
      const data = dequantizeQ80(q, scales, h.groupSize);
      checkFinite(data, `weight ${name}`, 'index', fail); // a huge finite scale can still overflow float32
      weights.set(name, { data, shape: [...b.shape] });
    }
  }
  if (h.shared) weights.set(weightNames.unembed, weights.get(weightNames.embed) as Tensor);
  const format = h.version === 0 ? 'llama2c-v0' : h.version === 1 ? 'llama2c-v1' : 'llama2c-v2-q8_0';
  return { name: meta.name, format, path: meta.path, fingerprint: meta.fingerprint, config: buildConfig(h), weights };
}

/** Parses checkpoint bytes (copied once for the fp32 formats; the caller keeps ownership of `bytes`). */
export function parseLlama2cCheckpoint(bytes: Uint8Array, meta: CheckpointMeta): ModelSpec {
  return parseInternal(bytes, meta, false);
}

function describeReadError(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  if (code === 'ENOENT') return 'file not found (check the path)';
  if (code === 'EISDIR') return 'is a directory, not a checkpoint file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied (check the file permissions)';
  if (code === 'ERR_FS_FILE_TOO_LARGE') return 'file is too large to load (over 2 GiB)';
  return `cannot read the file (${typeof code === 'string' ? code : String(e)})`;
}

/** Reads, fingerprints (sha256) and parses a checkpoint file; name = file name without extension. */
export async function loadLlama2cCheckpoint(path: string): Promise<ModelSpec> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new UserError(`checkpoint ${path}: ${describeReadError(e)}`);
  }
  const fingerprint = createHash('sha256').update(bytes).digest('hex');
  // The freshly read buffer is ours alone, so the tensors may view it directly instead of a second copy.
  return parseInternal(bytes, { path, name: parsePath(path).name, fingerprint }, true);
}
