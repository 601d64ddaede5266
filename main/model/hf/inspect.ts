/**
 * What `cwb import` reports about a Hugging Face folder without loading its weights: architecture, size, stored
 * dtypes, tokenizer, a trace-memory estimate, and which transcoder directories nearby fit it.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ArchConfig } from '../../../shared/model';
import { hookUnavailable } from '../../../shared/hooks';
import { UserError } from '../../errors';
import { readDictionaryConfig } from '../../dictionary/config';
import { readSafetensorsHeader } from '../../dictionary/safetensors';
import { parseNpz } from '../../dictionary/import/npz';
import { inspectHfFolder } from './load';

export interface TraceMemoryEstimate {
  readonly promptTokens: number;
  readonly activePerTokenLayer: number;
  readonly weightsBytes: number;
  readonly contextBytes: number;
  readonly adjacencyBytes: number;
  readonly totalBytes: number;
}

/**
 * Rough peak memory of one trace (float32): the weights (widened to float32, plus the backward program's folded
 * copies of W_V and W_O), the frozen context (patterns, transcoder inputs/outputs/errors, pre-activations of a
 * D-wide dictionary), and the N × N adjacency with N = active features + L·T errors + T tokens + 10 logits,
 * assuming `active` features per token and layer (circuit-tracer graphs on Gemma-2-2B see tens to ~100).
 */
export function estimateTraceMemory(cfg: ArchConfig, parameters: number, T: number, dictWidth = 16384, active = 64): TraceMemoryEstimate {
  const { nLayers: L, dModel: d, nHeads: H, nKvHeads: K, headDim: dh } = cfg;
  const weightsBytes = 4 * (parameters + L * (K * dh * d + d * H * dh));
  const contextBytes = 4 * (L * H * T * T + 4 * L * T * d + L * T * dictWidth);
  const N = L * T * active + L * T + T + 10;
  const adjacencyBytes = 4 * N * N * 2; // rows store + packed adjacency at the packing peak
  return { promptTokens: T, activePerTokenLayer: active, weightsBytes, contextBytes, adjacencyBytes, totalBytes: weightsBytes + contextBytes + adjacencyBytes };
}

export interface DictionaryMatch {
  readonly path: string;
  readonly compatible: boolean;
  readonly reason: string;
}

/** d_model and layer count of a dictionary from its first layer file's header (or npz arrays). */
function dictionaryShape(dir: string, files: readonly string[]): { d: number; D: number } {
  const first = path.join(dir, files[0]);
  const bytes = readFileSync(first);
  if (first.endsWith('.npz')) {
    const enc = parseNpz(bytes, first).get('W_enc');
    if (!enc) throw new UserError(`${first} has no W_enc`);
    return { d: enc.shape[0], D: enc.shape[1] }; // GemmaScope: (d, D)
  }
  const e = readSafetensorsHeader(bytes, first).tensors.get('W_enc');
  if (!e) throw new UserError(`${first} has no W_enc`);
  return { D: e.shape[0], d: e.shape[e.shape.length - 1] };
}

async function checkDictionary(dir: string, cfg: ArchConfig): Promise<DictionaryMatch> {
  try {
    const c = await readDictionaryConfig(dir);
    const clt = c.modelKind === 'cross_layer_transcoder' || existsSync(path.join(dir, 'W_enc_0.safetensors'));
    const files = clt
      ? readdirSync(dir).filter((n) => /^W_enc_\d+\.safetensors$/.test(n)).sort((a, b) => parseInt(a.slice(6)) - parseInt(b.slice(6)))
      : (c.transcoders ?? readdirSync(dir).filter((n) => /^layer_\d+\.safetensors$/.test(n)).sort((a, b) => parseInt(a.slice(6)) - parseInt(b.slice(6))));
    if (files.length === 0) return { path: dir, compatible: false, reason: 'no layer files' };
    const { d, D } = dictionaryShape(dir, files);
    const problems: string[] = [];
    if (files.length !== cfg.nLayers) problems.push(`${files.length} layers, the model has ${cfg.nLayers}`);
    if (d !== cfg.dModel) problems.push(`d_model ${d}, the model has ${cfg.dModel}`);
    for (const h of [c.inputHook, c.outputHook]) {
      const why = hookUnavailable(`blocks.0.${h}`, cfg);
      if (why) problems.push(why);
    }
    const pinned = c.modelFingerprint ? ` (pinned to checkpoint sha256 ${c.modelFingerprint.slice(0, 12)}…, checked on load)` : '';
    const kind = `${clt ? 'CLT' : 'PLT'} ${D} features, reads ${c.inputHook}, writes ${c.outputHook}${c.modelName ? `, made for ${c.modelName}` : ''}${pinned}`;
    return { path: dir, compatible: problems.length === 0, reason: problems.length ? `${kind}: ${problems.join('; ')}` : kind };
  } catch (e) {
    return { path: dir, compatible: false, reason: e instanceof Error ? e.message : String(e) };
  }
}

/** Dictionary directories to try: the given ones, and those (with a config.yaml) inside and beside the model folder. */
export async function findDictionaries(modelDir: string, cfg: ArchConfig, given: readonly string[]): Promise<DictionaryMatch[]> {
  const candidates = new Set(given.map((g) => path.resolve(g)));
  for (const base of [modelDir, path.dirname(modelDir)]) {
    let names: string[] = [];
    try {
      names = readdirSync(base);
    } catch {
      continue;
    }
    for (const n of names) {
      const p = path.join(base, n);
      if (p !== modelDir && statSync(p, { throwIfNoEntry: false })?.isDirectory() && existsSync(path.join(p, 'config.yaml'))) candidates.add(p);
    }
  }
  return Promise.all([...candidates].map((c) => checkDictionary(c, cfg)));
}

export interface ImportReport {
  readonly path: string;
  readonly family: string;
  readonly architecture: ArchConfig;
  readonly parameters: number;
  readonly storedDtypes: readonly string[];
  readonly computeDtype: 'float32';
  readonly files: readonly string[];
  readonly fileBytes: number;
  readonly tokenizer: string;
  readonly traceMemory: TraceMemoryEstimate;
  readonly dictionaries: readonly DictionaryMatch[];
}

export async function importReport(dir: string, o: { promptTokens: number; dicts: readonly string[]; dictWidth?: number; active?: number }): Promise<ImportReport> {
  const folder = path.resolve(dir);
  if (!existsSync(folder) || !statSync(folder).isDirectory()) throw new UserError(`${folder} is not a folder (cwb import takes a Hugging Face model folder)`);
  const { config, shards, dtypes, parameters } = inspectHfFolder(folder);
  const has = (f: string) => existsSync(path.join(folder, f));
  const tokenizer = has('tokenizer.json') ? 'tokenizer.json' : has('vocab.json') && has('merges.txt') ? 'vocab.json + merges.txt' : 'none (use --ids, or --tokenizer FILE)';
  return {
    path: folder,
    family: config.family,
    architecture: config.arch,
    parameters,
    storedDtypes: dtypes,
    computeDtype: 'float32',
    files: shards.files.map((f) => path.basename(f)),
    fileBytes: shards.files.reduce((a, f) => a + statSync(f).size, 0),
    tokenizer,
    traceMemory: estimateTraceMemory(config.arch, parameters, o.promptTokens, o.dictWidth, o.active),
    dictionaries: await findDictionaries(folder, config.arch, o.dicts),
  };
}
