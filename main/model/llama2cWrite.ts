/**
 * Writers for llama2.c checkpoints (layouts in ./llama2c.ts, shared with the reader so the two cannot drift).
 * Used by tests and by features such as "requantize to Q8_0". Byte-compatible with llama2.c's export.py:
 * v0 = legacy_export, v1 = version1_export, v2 = version2_export (Q8_0, see ./q80.ts).
 */
import { UserError } from '../errors';
import { weightNames, type ModelSpec } from '../../shared/model';
import { numel } from '../../shared/tensor';
import {
  blockName, blockNumel, expectedBytes, HEADER_BYTES, IS_LITTLE_ENDIAN, layoutBlocks, LLAMA2C_MAGIC,
  V0_HEADER_BYTES, type Block, type Llama2cHeader,
} from './llama2c';
import { defaultQ80GroupSize, knownQ80GroupSize, quantizeQ80 } from './q80';

/** Checks that llama2.c's fixed choices (run.c hard-codes them) describe this model, and builds its header. */
function headerFor(spec: ModelSpec, version: 0 | 1 | 2, groupSize: number): Llama2cHeader {
  const c = spec.config;
  const fail = (why: string): UserError => new UserError(`cannot write ${spec.name} as a llama2.c checkpoint: ${why}`);
  if (c.rope?.kind !== 'interleaved' || c.rope.theta !== 10000) {
    throw fail('llama2.c needs interleaved RoPE with theta 10000');
  }
  if (c.normEps !== 1e-5) throw fail(`llama2.c uses RMSNorm eps 1e-5, the model has ${c.normEps}`);
  if (c.headDim * c.nHeads !== c.dModel) throw fail(`llama2.c needs head_dim × n_heads = dim (${c.headDim} × ${c.nHeads} != ${c.dModel})`);
  if (c.headDim % 2 !== 0) throw fail(`head_dim ${c.headDim} is odd`);
  if (c.nKvHeads <= 0 || c.nHeads % c.nKvHeads !== 0) throw fail(`n_heads ${c.nHeads} is not a multiple of n_kv_heads ${c.nKvHeads}`);
  return {
    version, dim: c.dModel, hiddenDim: c.dMlp, nLayers: c.nLayers, nHeads: c.nHeads, nKvHeads: c.nKvHeads,
    vocabSize: c.vocabSize, seqLen: c.maxSeqLen, shared: c.tiedEmbeddings, groupSize,
  };
}

function weightData(spec: ModelSpec, name: string, shape: readonly number[]): Float32Array {
  const t = spec.weights.get(name);
  if (!t) throw new UserError(`cannot write ${spec.name} as a llama2.c checkpoint: weight ${name} is missing`);
  const ok = t.shape.length === shape.length && t.shape.every((s, i) => s === shape[i]) && t.data.length === numel(shape);
  if (!ok) {
    throw new UserError(`cannot write ${spec.name} as a llama2.c checkpoint: weight ${name} has shape [${t.shape.join(', ')}], the config needs [${shape.join(', ')}]`);
  }
  return t.data;
}

/**
 * run.c's legacy RoPE tables, computed step by step in float32 like model.py's precompute_freqs_cis:
 * freq_i = 1 / theta^(2i / head_size), real[pos][i] = cos(pos · freq_i), imag = sin. Readers ignore them. Our cos/sin
 * are double-precision values rounded to float32; PyTorch's float32 cos/sin (presumably its vectorized SLEEF 1-ULP
 * kernels) differ in the last bit for ~5% of stories260K's entries (199 of 4096), so only these tables of a
 * torch-exported file may differ, by 1 ULP, from what we write. Porting SLEEF to match them was not worth it.
 */
function freqTable(h: Llama2cHeader, part: 'real' | 'imag', theta: number): Float32Array {
  const hs = h.dim / h.nHeads;
  const half = hs / 2;
  const out = new Float32Array(h.seqLen * half);
  const f = Math.fround;
  for (let i = 0; i < half; i++) {
    const freq = f(1 / f(Math.pow(theta, f((2 * i) / hs))));
    for (let pos = 0; pos < h.seqLen; pos++) {
      const angle = f(pos * freq);
      out[pos * half + i] = part === 'real' ? Math.cos(angle) : Math.sin(angle);
    }
  }
  return out;
}

function putF32(out: Uint8Array, off: number, data: Float32Array): void {
  if (IS_LITTLE_ENDIAN) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), off);
  } else {
    const dv = new DataView(out.buffer, out.byteOffset + off, data.byteLength);
    for (let i = 0; i < data.length; i++) dv.setFloat32(4 * i, data[i], true);
  }
}

function writeHeader(out: Uint8Array, h: Llama2cHeader): number {
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let p = 0;
  if (h.version !== 0) {
    dv.setUint32(0, LLAMA2C_MAGIC, true);
    dv.setInt32(4, h.version, true);
    p = 8;
  }
  // legacy files flag an untied classifier with a negative vocab_size
  const vocab = h.version === 0 && !h.shared ? -h.vocabSize : h.vocabSize;
  [h.dim, h.hiddenDim, h.nLayers, h.nHeads, h.nKvHeads, vocab, h.seqLen].forEach((v, i) => dv.setInt32(p + 4 * i, v, true));
  if (h.version === 0) return V0_HEADER_BYTES;
  out[36] = h.shared ? 1 : 0;
  // struct.pack writes each field separately, so group_size sits unaligned right after the flag byte
  if (h.version === 2) dv.setInt32(37, h.groupSize, true);
  return HEADER_BYTES; // the rest of the header stays zero padding
}

function writeF32Blocks(out: Uint8Array, off: number, blocks: Block[], spec: ModelSpec, h: Llama2cHeader): number {
  for (const b of blocks) {
    for (let l = 0; l < b.count; l++) {
      const data = b.kind === 'freq' ? freqTable(h, b.part, spec.config.rope?.theta ?? 10000) : weightData(spec, blockName(b, l), b.shape);
      putF32(out, off, data);
      off += data.byteLength;
    }
  }
  return off;
}

function defaultV2GroupSize(spec: ModelSpec): number {
  const embed = spec.weights.get(weightNames.embed);
  return (embed && knownQ80GroupSize(embed.data)) ?? defaultQ80GroupSize(spec.config.dModel);
}

function writeFloat(spec: ModelSpec, version: 0 | 1): Uint8Array {
  const h = headerFor(spec, version, 0);
  const out = new Uint8Array(expectedBytes(h));
  const off = writeF32Blocks(out, writeHeader(out, h), layoutBlocks(h).f32, spec, h);
  if (off !== out.length) throw new Error(`llama2.c writer bug: wrote ${off} of ${out.length} bytes`);
  return out;
}

/** Legacy run.c layout ("version 0"), with recomputed RoPE tables. */
export function writeLlama2cV0(spec: ModelSpec): Uint8Array {
  return writeFloat(spec, 0);
}

/** export.py version1_export layout (fp32, 256-byte header). */
export function writeLlama2cV1(spec: ModelSpec): Uint8Array {
  return writeFloat(spec, 1);
}

/**
 * export.py version2_export layout: fp32 norms, Q8_0 matrices. The default group size is the one the embedding was
 * dequantized with (a parsed Q8_0 checkpoint), else export.py's (64, halved until it divides dim). Re-writing a parsed
 * Q8_0 checkpoint with its own group size reproduces its bytes (see q80.ts).
 */
export function writeLlama2cV2(spec: ModelSpec, groupSize: number = defaultV2GroupSize(spec)): Uint8Array {
  const h = headerFor(spec, 2, groupSize);
  const { f32, q8 } = layoutBlocks(h);
  if (!Number.isInteger(groupSize) || groupSize <= 0) {
    throw new UserError(`cannot write ${spec.name} as Q8_0: group size ${groupSize} must be a positive integer`);
  }
  for (const b of q8) {
    if (blockNumel(b) % groupSize !== 0) {
      throw new UserError(`cannot write ${spec.name} as Q8_0: group size ${groupSize} does not divide the ${blockNumel(b)} values of ${blockName(b, 0)} (try ${defaultQ80GroupSize(spec.config.dModel)})`);
    }
  }
  const out = new Uint8Array(expectedBytes(h));
  let off = writeF32Blocks(out, writeHeader(out, h), f32, spec, h);
  for (const b of q8) {
    for (let l = 0; l < b.count; l++) {
      const { q, scales } = quantizeQ80(weightData(spec, blockName(b, l), b.shape), groupSize);
      out.set(new Uint8Array(q.buffer, q.byteOffset, q.length), off);
      putF32(out, off + q.length, scales);
      off += q.length + scales.byteLength;
    }
  }
  if (off !== out.length) throw new Error(`llama2.c writer bug: wrote ${off} of ${out.length} bytes`);
  return out;
}
