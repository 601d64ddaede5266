/**
 * The feature index on disk, in `<dictDir>/index/`:
 *
 *   manifest.json             what was indexed and how, and the names of the files below (the commit point)
 *   corpus.<gen>.bin          "CWBFIC01", u32 nSeq, u32 tokenBytes (2|4), u32 × (nSeq+1) token offsets, tokens
 *   layer_<l>.<gen>.bin       "CWBFIL01", u32 layer, u32 D, f64 × (D+1) byte offsets of the records, records
 *
 * (record layout in featureIndexCodec.ts). Opening reads the manifest and the offset tables only; a card is
 * one read of its record plus one small read per context for its token ids. Writing puts every data file
 * under a fresh generation name and then replaces manifest.json by rename: readers see the old index or the
 * new one, never a mix, and a crash mid-write leaves the old index intact.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { FeatureCard, FeatureContext } from '../../shared/featureCard';
import { UserError } from '../errors';
import type { Tokenizer } from '../tokenizer/types';
import { ByteReader, ByteWriter, CorruptRecord, decodeFeatureRecord, encodeFeatureRecord, type FeatureRecord } from './featureIndexCodec';
import type { FeatureIndex } from './featureIndex';

export const INDEX_DIR = 'index';
export const MANIFEST_FILE = 'manifest.json';
const LAYER_MAGIC = 'CWBFIL01';
const CORPUS_MAGIC = 'CWBFIC01';
const int = z.number().int().nonnegative();

const manifestSchema = z.object({
  format: z.literal('cwb-feature-index'),
  version: z.literal(1),
  generation: z.string().regex(/^[a-z0-9-]+$/),
  dictionary: z.object({ name: z.string(), fingerprint: z.string(), kind: z.enum(['plt', 'clt']), nLayers: int, nFeatures: int }),
  model: z.object({ name: z.string(), fingerprint: z.string(), vocabSize: int }),
  options: z.object({ topK: int, contextBefore: int, contextAfter: int, quantileSamples: int, bands: int, histogramBins: int, logitTop: int, seed: int, batchTokens: int }),
  bands: z.array(z.string()),
  tokens: int,
  corpusInfo: z.record(z.string(), z.union([z.string(), z.number()])),
  corpus: z.object({ file: z.string(), sequences: int, tokenBytes: z.union([z.literal(2), z.literal(4)]) }),
  layers: z.array(z.object({ file: z.string() })),
  buildSeconds: z.number(),
  createdAt: z.string(),
});
export type FeatureIndexManifest = z.infer<typeof manifestSchema>;

export interface CardMeta {
  readonly layer: number;
  readonly feature: number;
  readonly dictionary: { readonly name: string; readonly fingerprint: string };
  readonly tokens: number;
  readonly bands: readonly string[];
  readonly text: (id: number) => string;
}

/** Token texts by id, decoded once: BOS shows as "<s>" (the tokenizer prints nothing for it). */
export function tokenTexts(tokenizer: Tokenizer): (id: number) => string {
  const cache = new Map<number, string>();
  return (id) => {
    let t = cache.get(id);
    if (t === undefined) cache.set(id, (t = id === tokenizer.bosId ? '<s>' : tokenizer.decode([id])));
    return t;
  };
}

/** Shared by the in-memory and the stored index, so both give the same card. */
export function cardFromSummary(meta: CardMeta, r: FeatureRecord, tokensOf: (seq: number, start: number, len: number) => ArrayLike<number>): FeatureCard {
  const ctx = (c: FeatureRecord['top'][number]): FeatureContext => {
    const ids = tokensOf(c.sequence, c.start, c.acts.length);
    return {
      tokens: Array.from(c.acts, (act, i) => ({ id: ids[i], text: meta.text(ids[i]), act })),
      maxIndex: c.position - c.start,
      activation: c.activation,
      sequence: c.sequence,
      position: c.position,
    };
  };
  const bins = r.histogram.length;
  const effect = (e: { token: number; value: number }) => ({ token: e.token, text: meta.text(e.token), value: e.value });
  return {
    layer: meta.layer,
    feature: meta.feature,
    dictionary: { name: meta.dictionary.name, fingerprint: meta.dictionary.fingerprint },
    frequency: meta.tokens > 0 ? r.count / meta.tokens : 0,
    count: r.count,
    maxActivation: r.maxActivation,
    meanActivation: r.meanActivation,
    histogram: {
      edges: bins === 0 ? [] : Array.from({ length: bins + 1 }, (_, i) => (i === bins ? r.histHi : r.histLo + ((r.histHi - r.histLo) * i) / bins)),
      counts: Array.from(r.histogram),
    },
    topContexts: r.top.map(ctx),
    quantileContexts: r.bands.map((list, j) => ({ band: meta.bands[j], contexts: list.map(ctx) })),
    logitEffects: { top: r.logitTop.map(effect), bottom: r.logitBottom.map(effect) },
  };
}

function corpusBytes(seqs: readonly (readonly number[])[], tokenBytes: 2 | 4): Uint8Array {
  const w = new ByteWriter();
  w.bytes(new TextEncoder().encode(CORPUS_MAGIC));
  w.u32(seqs.length);
  w.u32(tokenBytes);
  let off = 0;
  w.u32(0);
  for (const s of seqs) w.u32((off += s.length));
  for (const s of seqs) {
    for (const id of s) {
      if (tokenBytes === 2) w.u16(id);
      else w.u32(id);
    }
  }
  return w.result();
}

function layerBytes(index: FeatureIndex, l: number): Uint8Array {
  const D = index.dictionary.nFeatures;
  const le = index.logitEffects[l];
  const pick = (f: number, tok: Int32Array, val: Float32Array) => Array.from({ length: le.k }, (_, i) => ({ token: tok[f * le.k + i], value: val[f * le.k + i] }));
  const records = index.features[l].map((s, f) => encodeFeatureRecord({ ...s, logitTop: pick(f, le.topToken, le.topValue), logitBottom: pick(f, le.bottomToken, le.bottomValue) }));
  const w = new ByteWriter();
  w.bytes(new TextEncoder().encode(LAYER_MAGIC));
  w.u32(l);
  w.u32(D);
  let off = 16 + 8 * (D + 1);
  w.f64(off);
  for (const r of records) w.f64((off += r.length));
  for (const r of records) w.bytes(r);
  return w.result();
}

/** Writes `index` into `<dictDir>/index/`; returns the index directory and its size in bytes. */
export async function writeFeatureIndex(dictDir: string, index: FeatureIndex): Promise<{ dir: string; bytes: number }> {
  const dir = path.join(path.resolve(dictDir), INDEX_DIR);
  const generation = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  const tokenBytes = index.model.vocabSize <= 65536 ? 2 : 4;
  const corpusFile = `corpus.${generation}.bin`;
  const layerFiles = index.features.map((_, l) => `layer_${l}.${generation}.bin`);
  const manifest: FeatureIndexManifest = {
    format: 'cwb-feature-index', version: 1, generation,
    dictionary: index.dictionary, model: index.model, options: index.options, bands: [...index.bands], tokens: index.tokens,
    corpusInfo: index.corpusInfo, corpus: { file: corpusFile, sequences: index.sequences.length, tokenBytes },
    layers: layerFiles.map((file) => ({ file })), buildSeconds: index.buildSeconds, createdAt: new Date().toISOString(),
  };
  const written: string[] = [];
  let bytes = 0;
  const put = async (name: string, data: Uint8Array | string) => {
    written.push(name);
    await writeFile(path.join(dir, name), data);
    bytes += typeof data === 'string' ? Buffer.byteLength(data) : data.length;
  };
  const tmpManifest = `${MANIFEST_FILE}.${generation}.tmp`;
  try {
    await mkdir(dir, { recursive: true });
    await put(corpusFile, corpusBytes(index.sequences, tokenBytes));
    for (let l = 0; l < layerFiles.length; l++) await put(layerFiles[l], layerBytes(index, l));
    await put(tmpManifest, JSON.stringify(manifest, null, 1) + '\n');
    await rename(path.join(dir, tmpManifest), path.join(dir, MANIFEST_FILE));
  } catch (e) {
    await Promise.all(written.map((n) => rm(path.join(dir, n), { force: true }).catch(() => undefined)));
    throw new UserError(`cannot write the feature index to ${dir}: ${e instanceof Error ? e.message : String(e)}`);
  }
  // Older generations are garbage now; a reader that still has them open keeps its file handles (POSIX).
  const keep = new Set([corpusFile, ...layerFiles, MANIFEST_FILE]);
  for (const name of await readdir(dir)) {
    if (!keep.has(name) && /^(corpus|layer_\d+)\.[a-z0-9-]+\.bin$/.test(name)) await rm(path.join(dir, name), { force: true }).catch(() => undefined);
  }
  return { dir, bytes };
}

export interface FeatureIndexHandle {
  readonly dir: string;
  readonly manifest: FeatureIndexManifest;
  /** Total size of the index files in bytes. */
  readonly bytes: number;
  card(layer: number, feature: number): FeatureCard;
  close(): void;
}

/** Opens `<dictDir>/index/`. Throws UserError when there is no index or it is damaged. */
export function openFeatureIndex(dictDir: string, tokenizer: Tokenizer): FeatureIndexHandle {
  const root = path.resolve(dictDir);
  const dir = path.join(root, INDEX_DIR);
  const damaged = (what: string) => new UserError(`the feature index in ${dir} is damaged (${what}); rebuild it with cwb dict index --dict ${root}`);
  let raw: string;
  try {
    raw = readFileSync(path.join(dir, MANIFEST_FILE), 'utf8');
  } catch {
    throw new UserError(`dictionary ${root} has no feature index; run cwb dict index --dict ${root}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw damaged(`${MANIFEST_FILE} is not valid JSON`);
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) throw damaged(`${MANIFEST_FILE}: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`);
  const m = parsed.data;
  const { nLayers: L, nFeatures: D } = m.dictionary;
  if (m.layers.length !== L || m.bands.length !== m.options.bands) throw damaged(`${MANIFEST_FILE} lists ${m.layers.length} layer files for ${L} layers`);
  if (tokenizer.vocabSize !== m.model.vocabSize) {
    throw new UserError(`the feature index in ${dir} was built for model ${m.model.name} (vocabulary ${m.model.vocabSize}), not this tokenizer's ${tokenizer.vocabSize} tokens`);
  }
  const fds: number[] = [];
  const readAt = (fd: number, offset: number, length: number, file: string): Uint8Array => {
    const buf = new Uint8Array(length);
    if (length > 0 && readSync(fd, buf, 0, length, offset) !== length) throw damaged(`${file} is truncated`);
    return buf;
  };
  const openFile = (file: string): { fd: number; size: number } => {
    if (file.includes('/') || file.includes('\\')) throw damaged(`bad file name ${file}`);
    try {
      const fd = openSync(path.join(dir, file), 'r');
      fds.push(fd);
      return { fd, size: fstatSync(fd).size };
    } catch (e) {
      throw damaged(`${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
  };
  const header = (bytes: Uint8Array, magic: string, file: string) => {
    if (new TextDecoder().decode(bytes.subarray(0, 8)) !== magic) throw damaged(`${file} is not a feature index file`);
    return new ByteReader(bytes.subarray(8));
  };
  try {
    // Corpus: offsets table in memory, token ids read per context.
    const cf = openFile(m.corpus.file);
    const nSeq = m.corpus.sequences;
    const tb = m.corpus.tokenBytes;
    const ch = header(readAt(cf.fd, 0, 16 + 4 * (nSeq + 1), m.corpus.file), CORPUS_MAGIC, m.corpus.file);
    if (ch.u32() !== nSeq || ch.u32() !== tb) throw damaged(`${m.corpus.file} header disagrees with the manifest`);
    const seqOff = Array.from({ length: nSeq + 1 }, () => ch.u32());
    const dataStart = 16 + 4 * (nSeq + 1);
    for (let i = 0; i < nSeq; i++) if (seqOff[i + 1] < seqOff[i]) throw damaged(`${m.corpus.file} offsets are not increasing`);
    if (seqOff[0] !== 0 || dataStart + seqOff[nSeq] * tb !== cf.size) throw damaged(`${m.corpus.file} has the wrong size`);
    const tokensOf = (seq: number, start: number, len: number): number[] => {
      const b = readAt(cf.fd, dataStart + (seqOff[seq] + start) * tb, len * tb, m.corpus.file);
      const v = new DataView(b.buffer);
      const ids = Array.from({ length: len }, (_, i) => (tb === 2 ? v.getUint16(2 * i, true) : v.getUint32(4 * i, true)));
      if (ids.some((id) => id >= m.model.vocabSize)) throw damaged(`${m.corpus.file} holds token ids outside the vocabulary`);
      return ids;
    };
    // Layers: record offsets in memory.
    const layers = m.layers.map(({ file }, l) => {
      const lf = openFile(file);
      const hr = header(readAt(lf.fd, 0, 16 + 8 * (D + 1), file), LAYER_MAGIC, file);
      if (hr.u32() !== l || hr.u32() !== D) throw damaged(`${file} header disagrees with the manifest`);
      const offsets = Float64Array.from({ length: D + 1 }, () => hr.f64());
      if (offsets[0] !== 16 + 8 * (D + 1) || offsets[D] !== lf.size) throw damaged(`${file} has the wrong size`);
      for (let f = 0; f < D; f++) if (!(offsets[f + 1] >= offsets[f])) throw damaged(`${file} offsets are not increasing`);
      return { fd: lf.fd, file, offsets };
    });
    const text = tokenTexts(tokenizer);
    const expect = {
      bins: m.options.histogramBins, bands: m.options.bands, vocabSize: m.model.vocabSize,
      sequenceLength: (s: number) => (s < nSeq ? seqOff[s + 1] - seqOff[s] : undefined),
    };
    let closed = false;
    return {
      dir,
      manifest: m,
      bytes: cf.size + layers.reduce((n, x) => n + x.offsets[D], 0) + Buffer.byteLength(raw),
      card(layer, feature) {
        if (closed) throw new Error('feature index handle is closed');
        if (!(Number.isInteger(layer) && layer >= 0 && layer < L)) throw new UserError(`layer ${layer} is out of range: the dictionary has layers 0–${L - 1}`);
        if (!(Number.isInteger(feature) && feature >= 0 && feature < D)) throw new UserError(`feature ${feature} is out of range: layer ${layer} has features 0–${D - 1}`);
        const { fd, file, offsets } = layers[layer];
        let record: FeatureRecord;
        try {
          record = decodeFeatureRecord(readAt(fd, offsets[feature], offsets[feature + 1] - offsets[feature], file), expect);
        } catch (e) {
          if (e instanceof CorruptRecord) throw damaged(`${file}, feature ${feature}: ${e.message}`);
          throw e;
        }
        return cardFromSummary({ layer, feature, dictionary: m.dictionary, tokens: m.tokens, bands: m.bands, text }, record, tokensOf);
      },
      close() {
        if (closed) return;
        closed = true;
        for (const fd of fds) closeSync(fd);
      },
    };
  } catch (e) {
    for (const fd of fds) closeSync(fd);
    throw e;
  }
}
