/**
 * The feature index: for every transcoder feature, where it fires over a corpus (top activations, random
 * samples per activation band, a histogram, its frequency) and which tokens its decoder promotes directly.
 * Built in memory here; `featureIndexStore.ts` writes it next to the dictionary and serves single cards.
 *
 * Encoding runs in batches of equal-length sequences: one forward run returns every layer's transcoder input,
 * whose rows are stacked and encoded by one encode call (the keep mask zeroes each sequence's BOS row, as
 * attribution does). The corpus is read twice — see featureIndexScan.ts for why.
 */
import type { Dictionary } from '../../shared/dictionary';
import type { FeatureCard } from '../../shared/featureCard';
import type { ModelSpec } from '../../shared/model';
import { runEncode } from '../../native/encodeRun';
import { runForward } from '../../native/forwardRun';
import type { Tokenizer } from '../tokenizer/types';
import { checkDictionaryFits } from './encode';
import { countNonzero, densifyActs, LayerScan, sparsifyActs, type ScanBatch, type SparseActs } from './featureIndexScan';
import { cardFromSummary, tokenTexts } from './featureIndexStore';
import type { FeatureSummary } from './featureIndexCodec';
import { computeLogitEffects, type LayerLogitEffects, type LogitBackend } from './logitEffects';

export { openFeatureIndex, writeFeatureIndex, type FeatureIndexHandle } from './featureIndexStore';
export type { StoredContext } from './featureIndexScan';

export interface FeatureIndexOptions {
  readonly topK?: number;
  readonly contextBefore?: number;
  readonly contextAfter?: number;
  /** Random contexts per band. */
  readonly quantileSamples?: number;
  /** Number of equal bands of (0, max]. */
  readonly bands?: number;
  readonly histogramBins?: number;
  readonly logitTop?: number;
  /** Seed of the band sampling. */
  readonly seed?: number;
  /** Rows (tokens) per encode call: bounds memory at rows·D·L·4 bytes. */
  readonly batchTokens?: number;
  readonly logitBackend?: LogitBackend;
  /** Keep activations or inputs between the passes when they fit (default); false recomputes everything. */
  readonly cacheBetweenPasses?: boolean;
  /** Where the corpus came from, recorded in the manifest (e.g. {source: 'sample', tokens, seed}). */
  readonly corpusInfo?: Record<string, string | number>;
  /** Tokens scanned so far over both passes, out of twice the corpus' tokens. */
  readonly onProgress?: (done: number, total: number) => void;
  readonly signal?: AbortSignal;
}

export type ResolvedIndexOptions = Required<Omit<FeatureIndexOptions, 'corpusInfo' | 'onProgress' | 'signal' | 'logitBackend' | 'cacheBetweenPasses'>>;

export type { FeatureSummary } from './featureIndexCodec';

export interface FeatureIndex {
  readonly dictionary: { readonly name: string; readonly fingerprint: string; readonly kind: 'plt' | 'clt'; readonly nLayers: number; readonly nFeatures: number };
  readonly model: { readonly name: string; readonly fingerprint: string; readonly vocabSize: number };
  readonly options: ResolvedIndexOptions;
  readonly bands: readonly string[];
  /** The sequences as indexed (cut to the model's context); contexts refer to them by index and position. */
  readonly sequences: readonly (readonly number[])[];
  /** Non-BOS tokens scanned: the denominator of every frequency. */
  readonly tokens: number;
  readonly corpusInfo: Record<string, string | number>;
  /** Per layer, per feature. */
  readonly features: readonly (readonly FeatureSummary[])[];
  readonly logitEffects: readonly LayerLogitEffects[];
  readonly buildSeconds: number;
}

const INPUT_CACHE_BYTES = 512 * 2 ** 20;
const ACT_CACHE_BYTES = 256 * 2 ** 20;

const DEFAULTS: ResolvedIndexOptions = {
  topK: 12, contextBefore: 12, contextAfter: 4, quantileSamples: 3, bands: 4, histogramBins: 24, logitTop: 10, seed: 1, batchTokens: 4096,
};

function resolveOptions(o: FeatureIndexOptions): ResolvedIndexOptions {
  const r: { -readonly [K in keyof ResolvedIndexOptions]: number } = { ...DEFAULTS };
  for (const key of Object.keys(DEFAULTS) as (keyof ResolvedIndexOptions)[]) {
    const v = o[key];
    if (v === undefined) continue;
    if (!(Number.isInteger(v) && v >= 0)) throw new RangeError(`feature index: ${key} must be a non-negative integer, got ${v}`);
    r[key] = v;
  }
  // The store keeps a token's index in its window in one byte, and counts in 16 bits.
  if (r.contextBefore + r.contextAfter + 1 > 255) throw new RangeError('feature index: contextBefore + contextAfter must be < 255');
  if (r.bands < 1 || r.histogramBins < 1 || r.batchTokens < 1) throw new RangeError('feature index: bands, histogramBins and batchTokens must be ≥ 1');
  for (const key of ['topK', 'quantileSamples', 'histogramBins', 'logitTop', 'bands'] as const) {
    if (r[key] > 65535) throw new RangeError(`feature index: ${key} must be ≤ 65535`);
  }
  return r;
}

export function bandLabels(n: number): string[] {
  const pct = (i: number) => `${Math.round((1000 * i) / n) / 10}`;
  return Array.from({ length: n }, (_, j) => n - 1 - j).map((i) => `${pct(i)}–${pct(i + 1)}%`);
}

export async function buildFeatureIndex(
  spec: ModelSpec,
  tokenizer: Tokenizer,
  dict: Dictionary,
  sequences: readonly (readonly number[])[],
  opts: FeatureIndexOptions = {},
): Promise<FeatureIndex> {
  const t0 = performance.now();
  checkDictionaryFits(spec, dict);
  // Cards are decoded with this tokenizer later; a mismatch would label every token wrongly.
  if (tokenizer.vocabSize !== spec.config.vocabSize) {
    throw new RangeError(`feature index: tokenizer has ${tokenizer.vocabSize} tokens, model ${spec.name} has ${spec.config.vocabSize}`);
  }
  const o = resolveOptions(opts);
  const { nLayers: L, nFeatures: D, dModel: d } = dict;
  // Longer sequences are cut to the model's context rather than split: a split half would lack its BOS.
  const seqs = sequences.map((s) => (s.length > spec.config.maxSeqLen ? s.slice(0, spec.config.maxSeqLen) : s));
  let tokens = 0;
  for (const s of seqs) tokens += Math.max(0, s.length - 1);
  const total = 2 * tokens;

  const groups = new Map<number, number[]>();
  seqs.forEach((s, i) => {
    if (s.length < 2) return; // a lone BOS has no features
    const g = groups.get(s.length);
    if (g) g.push(i);
    else groups.set(s.length, [i]);
  });
  const batches: number[][] = [];
  for (const [T, ids] of [...groups].sort((a, b) => a[0] - b[0])) {
    const per = Math.max(1, Math.floor(o.batchTokens / T));
    for (let i = 0; i < ids.length; i += per) batches.push(ids.slice(i, i + per));
  }

  const scans = Array.from({ length: L }, (_, l) => new LayerScan({
    D, topK: o.topK, before: o.contextBefore, after: o.contextAfter, bands: o.bands, perBand: o.quantileSamples, bins: o.histogramBins,
    seed: (o.seed * 1_000_003 + l) >>> 0,
  }));
  const inNames = Array.from({ length: L }, (_, l) => `blocks.${l}.${dict.inputHook}`);
  // Pass 2 avoids recomputation where memory allows: a batch's activations kept sparse (a sparse dictionary:
  // pass 2 is then a JS scan only), else its transcoder inputs (pass 2 runs only the encoder; 100k tokens of
  // stories260K take 128 MB), else nothing (forward and encode again).
  const caching = opts.cacheBetweenPasses ?? true;
  const cacheInputs = caching && tokens * d * L * 4 <= INPUT_CACHE_BYTES;
  const inputCache: (Float32Array[] | undefined)[] = [];
  const actCache: (SparseActs[] | undefined)[] = [];
  let actCacheBytes = caching ? 0 : -1;
  const load = async (i: number, pass: 1 | 2): Promise<Float32Array[]> => {
    const cached = pass === 2 ? actCache[i] : undefined;
    if (cached) return cached.map((s) => densifyActs(s, D));
    const ids = batches[i];
    const T = seqs[ids[0]].length;
    const rows = ids.length * T;
    let x = inputCache[i];
    if (!x) {
      const hooks = await runForward(spec, { tokens: ids.map((j) => [...seqs[j]]), outputs: inNames });
      x = inNames.map((n) => hooks.get(n)!.data);
      if (cacheInputs) inputCache[i] = x;
    }
    const keep = new Float32Array(rows).fill(1);
    for (let b = 0; b < ids.length; b++) keep[b * T] = 0;
    const enc = await runEncode(dict, { x: x.map((data) => ({ data, shape: [rows, d] })), zeroPositions: 0, keep });
    return enc.act.map((a) => a.data);
  };
  /** After pass 1 of batch i; stops trying once one batch does not fit (8 bytes per nonzero). */
  const keepSparse = (i: number, acts: Float32Array[]): void => {
    if (actCacheBytes < 0) return;
    const nnz = acts.map(countNonzero);
    const bytes = nnz.reduce((a, n) => a + 8 * n, 0) + acts.length * 4 * (acts[0].length / D + 1);
    if (actCacheBytes + bytes > ACT_CACHE_BYTES) {
      actCacheBytes = -1;
      return;
    }
    actCache[i] = acts.map((a, l) => sparsifyActs(a, D, nnz[l]));
    actCacheBytes += bytes;
    inputCache[i] = undefined;
  };
  let done = 0;
  for (const pass of [1, 2] as const) {
    // onnxruntime runs off the JS thread: batch i+1 is computed while batch i is scanned.
    let next: Promise<Float32Array[]> | undefined;
    try {
      for (let i = 0; i < batches.length; i++) {
        opts.signal?.throwIfAborted();
        const acts = await (next ?? load(i, pass));
        next = i + 1 < batches.length ? load(i + 1, pass) : undefined;
        const ids = batches[i];
        const T = seqs[ids[0]].length;
        for (let l = 0; l < L; l++) {
          const batch: ScanBatch = { act: acts[l], T, sequenceIds: ids };
          if (pass === 1) scans[l].pass1(batch);
          else scans[l].pass2(batch);
        }
        if (pass === 1) keepSparse(i, acts);
        else actCache[i] = inputCache[i] = undefined;
        done += ids.length * (T - 1);
        opts.onProgress?.(done, total);
      }
    } finally {
      // An abort or error leaves a batch in flight: its outcome no longer matters.
      next?.catch(() => undefined);
    }
  }
  const logitEffects = await computeLogitEffects(spec, dict, o.logitTop, opts.logitBackend, opts.signal);

  const bins = o.histogramBins;
  const features = scans.map((scan) => Array.from({ length: D }, (_, f): FeatureSummary => {
    const count = scan.count[f];
    const [histLo, histHi] = scan.histogramRange(f);
    return {
      count,
      maxActivation: count > 0 ? scan.max[f] : 0,
      meanActivation: count > 0 ? scan.sum[f] / count : 0,
      histLo,
      histHi,
      histogram: count > 0 ? scan.histogram.slice(f * bins, (f + 1) * bins) : new Uint32Array(0),
      top: scan.topContexts(f),
      bands: Array.from({ length: o.bands }, (_, j) => scan.bandContexts(f, o.bands - 1 - j)),
    };
  }));
  return {
    dictionary: { name: dict.name, fingerprint: dict.fingerprint, kind: dict.kind, nLayers: L, nFeatures: D },
    model: { name: spec.name, fingerprint: spec.fingerprint, vocabSize: spec.config.vocabSize },
    options: o,
    bands: bandLabels(o.bands),
    sequences: seqs,
    tokens,
    corpusInfo: opts.corpusInfo ?? {},
    features,
    logitEffects,
    buildSeconds: (performance.now() - t0) / 1000,
  };
}

/** The card of one feature straight from an in-memory index (what the stored index returns for it). */
export function indexCard(index: FeatureIndex, tokenizer: Tokenizer, layer: number, feature: number): FeatureCard {
  if (!(Number.isInteger(layer) && layer >= 0 && layer < index.dictionary.nLayers)) throw new RangeError(`layer ${layer} out of range`);
  if (!(Number.isInteger(feature) && feature >= 0 && feature < index.dictionary.nFeatures)) throw new RangeError(`feature ${feature} out of range`);
  const le = index.logitEffects[layer];
  const k = le.k;
  const pick = (tok: Int32Array, val: Float32Array) => Array.from({ length: k }, (_, i) => ({ token: tok[feature * k + i], value: val[feature * k + i] }));
  return cardFromSummary(
    { layer, feature, dictionary: index.dictionary, tokens: index.tokens, bands: index.bands, text: tokenTexts(tokenizer) },
    { ...index.features[layer][feature], logitTop: pick(le.topToken, le.topValue), logitBottom: pick(le.bottomToken, le.bottomValue) },
    (seq, start, len) => index.sequences[seq].slice(start, start + len),
  );
}
