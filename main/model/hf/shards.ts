/**
 * The safetensors files of a Hugging Face folder: `model.safetensors`, or the shards listed by
 * `model.safetensors.index.json` (`weight_map`: tensor name → shard file). Only headers are read up front;
 * tensors are read one at a time, straight from the file into their float32 buffer (F32: one copy, from disk
 * into the buffer the engine uses) or through one reused staging buffer (F16/BF16, widened to float32).
 * Node has no portable mmap, so this lazy per-tensor read is how "not copied twice" is met.
 */
import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import type { Hash } from 'node:crypto';
import { z } from 'zod';
import { UserError } from '../../errors';
import { readJsonFile } from '../../files';
import { MAX_HEADER_BYTES, quote, readSafetensorsHeader, type SafetensorsEntry } from '../../dictionary/safetensors';
import { decodeBF16, decodeF16 } from '../../dictionary/halfFloat';

export interface ShardTensor {
  readonly file: string;
  readonly entry: SafetensorsEntry;
}

export interface ShardSet {
  readonly files: readonly string[];
  readonly tensors: ReadonlyMap<string, ShardTensor>;
  /** Total bytes of the tensor data. */
  readonly bytes: number;
}

const indexSchema = z.object({ weight_map: z.record(z.string(), z.string()) }).loose();

function readHeaderOf(file: string) {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw new UserError(`cannot open ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    const size = fstatSync(fd).size;
    const len = Buffer.alloc(8);
    readSync(fd, len, 0, 8, 0);
    // Never allocate more than the format allows: readSafetensorsHeader then reports the bad length.
    const n = Math.min(Number(len.readBigUInt64LE(0)), Math.max(0, size - 8), MAX_HEADER_BYTES);
    const head = Buffer.alloc(8 + n);
    readSync(fd, head, 0, 8 + n, 0);
    return readSafetensorsHeader(head, file, size);
  } finally {
    closeSync(fd);
  }
}

/** Finds and indexes the folder's weight files (headers only). */
export function openShards(dir: string): ShardSet {
  const single = path.join(dir, 'model.safetensors');
  const indexPath = path.join(dir, 'model.safetensors.index.json');
  let files: string[];
  let expected: Map<string, string> | null = null;
  if (existsSync(indexPath)) {
    const idx = indexSchema.safeParse(readJsonFile(indexPath));
    if (!idx.success) throw new UserError(`${indexPath}: missing or malformed "weight_map"`);
    expected = new Map(Object.entries(idx.data.weight_map));
    const names = [...new Set(expected.values())].sort();
    for (const f of names) {
      // Shard names come from the file: keep them inside the folder.
      if (f !== path.basename(f) || f.startsWith('.')) throw new UserError(`${indexPath}: shard name ${quote(f)} must be a plain file name in the folder`);
    }
    files = names.map((f) => path.join(dir, f));
  } else if (existsSync(single)) {
    files = [single];
  } else {
    throw new UserError(`${dir}: no model.safetensors or model.safetensors.index.json (PyTorch .bin checkpoints are not supported: convert them to safetensors)`);
  }
  const tensors = new Map<string, ShardTensor>();
  let bytes = 0;
  for (const file of files) {
    if (!existsSync(file)) throw new UserError(`${dir}: shard ${path.basename(file)} listed in the index is missing`);
    for (const [name, entry] of readHeaderOf(file).tensors) {
      if (tensors.has(name)) throw new UserError(`${dir}: tensor ${quote(name)} appears in two shards`);
      if (expected && expected.get(name) !== path.basename(file)) {
        throw new UserError(`${indexPath}: tensor ${quote(name)} is in ${path.basename(file)} but the index says ${quote(expected.get(name) ?? '(absent)')}`);
      }
      tensors.set(name, { file, entry });
      bytes += entry.end - entry.begin;
    }
  }
  if (expected) {
    for (const name of expected.keys()) if (!tensors.has(name)) throw new UserError(`${indexPath}: tensor ${quote(name)} is listed but no shard holds it`);
  }
  return { files, tensors, bytes };
}

const CHUNK = 1 << 30; // readSync moves at most ~2 GiB per call

function readFully(fd: number, into: Uint8Array, position: number, file: string): void {
  for (let done = 0; done < into.length; ) {
    const n = readSync(fd, into, done, Math.min(CHUNK, into.length - done), position + done);
    if (n <= 0) throw new UserError(`${file}: unexpected end of file (truncated download?)`);
    done += n;
  }
}

/**
 * Reads tensors in file order, calling `use` with each as float32. `hash`, when given, receives the raw bytes of
 * each tensor in that order (the model fingerprint).
 */
export function readShardTensors(set: ShardSet, names: readonly string[], use: (name: string, data: Float32Array) => void, hash?: Hash): void {
  const wanted = names.map((n) => {
    const t = set.tensors.get(n);
    if (!t) throw new Error(`readShardTensors: no tensor ${n}`);
    return [n, t] as const;
  });
  wanted.sort((a, b) => (a[1].file === b[1].file ? a[1].entry.begin - b[1].entry.begin : a[1].file < b[1].file ? -1 : 1));
  let staging = new Uint8Array(0);
  let fd = -1;
  let open = '';
  try {
    for (const [name, { file, entry }] of wanted) {
      if (file !== open) {
        if (fd >= 0) closeSync(fd);
        fd = openSync(file, 'r');
        open = file;
      }
      const size = entry.end - entry.begin;
      if (entry.dtype === 'F32') {
        const out = new Float32Array(size / 4);
        const view = new Uint8Array(out.buffer);
        readFully(fd, view, entry.begin, file);
        hash?.update(view);
        use(name, out);
      } else if (entry.dtype === 'BF16' || entry.dtype === 'F16') {
        if (staging.length < size) staging = new Uint8Array(size);
        const view = staging.subarray(0, size);
        readFully(fd, view, entry.begin, file);
        hash?.update(view);
        use(name, entry.dtype === 'BF16' ? decodeBF16(view, 0, size / 2) : decodeF16(view, 0, size / 2));
      } else {
        throw new UserError(`${file}: tensor ${quote(name)} has dtype ${entry.dtype}; model weights must be F32, F16 or BF16`);
      }
    }
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}
