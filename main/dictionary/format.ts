/**
 * Transcoder dictionaries on disk, in circuit-tracer's directory formats (method brief §5.1–5.2):
 * - PLT: config.yaml (`model_kind: transcoder_set`) + `layer_{i}.safetensors` (or the files `transcoders:` lists);
 * - CLT: config.yaml (`model_kind: cross_layer_transcoder`) + `W_enc_{i}.safetensors` and `W_dec_{i}.safetensors`.
 * Files are read whole (each must be under 2 GiB); the fingerprint covers exactly the files that were read.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Dictionary } from '../../shared/dictionary';
import { UserError } from '../errors';
import { CONFIG_FILE, decodeConfig, FORMAT_VERSION, parseDictionaryConfig, readConfigBytes, stringifyDictionaryConfig, type DictionaryConfig } from './config';
import { buildCltLayers, buildPltLayers, checkDictionary, TensorFile } from './layers';
import { parseSafetensors, writeSafetensors, type FloatDtype } from './safetensors';
import { gemmaScope2Layer, gemmaScopeLayerSafetensors, isGemmaScope2Layer } from './import/gemmaScope';

export interface ExpectedModel {
  readonly fingerprint: string;
  readonly name: string;
  readonly dModel: number;
  readonly nLayers: number;
}

export interface LoadDictionaryOptions {
  /** The model the dictionary will be used with: refused when d_model, layer count or model_fingerprint disagree. */
  readonly expectModel?: ExpectedModel;
}

export interface LoadedDictionary {
  readonly dictionary: Dictionary;
  readonly config: DictionaryConfig;
}

export interface WriteDictionaryOptions {
  readonly dtype?: FloatDtype;
  /** Stored under `workbench:` in config.yaml (JSON-like values only). */
  readonly extra?: Record<string, unknown>;
}

export interface DictionaryFile {
  /** Path relative to the dictionary directory, '/'-separated. */
  readonly name: string;
  readonly bytes: Uint8Array;
}

/** sha256 over files in name order: for each, its name, NUL, its byte length in decimal, NUL, its bytes. */
export function dictionaryFingerprint(files: Iterable<DictionaryFile>): string {
  const h = createHash('sha256');
  const sorted = [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const f of sorted) h.update(f.name).update('\0').update(String(f.bytes.length)).update('\0').update(f.bytes);
  return h.digest('hex');
}

function describeIoError(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  if (code === 'ENOENT') return 'file not found';
  if (code === 'EISDIR') return 'is a directory, not a file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ERR_FS_FILE_TOO_LARGE') return 'file is too large to load (over 2 GiB)';
  if (code === 'ENOSPC') return 'no space left on the disk';
  return typeof code === 'string' ? code : String(e);
}

/** Indices i of files named `<prefix>{i}.safetensors`, which must run 0..L−1 without gaps. */
async function contiguousLayerFiles(dir: string, prefix: string, fail: (m: string) => UserError): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    throw fail(`cannot list the directory (${describeIoError(e)})`);
  }
  const re = new RegExp(`^${prefix}(0|[1-9][0-9]*)\\.safetensors$`);
  const found = names.map((n) => re.exec(n)?.[1]).filter((m) => m !== undefined).map(Number).sort((a, b) => a - b);
  if (found.length === 0) throw fail(`no ${prefix}{i}.safetensors files found`);
  const missing = found.findIndex((l, i) => l !== i);
  if (missing >= 0) {
    throw fail(`layer files are not contiguous: ${prefix}${missing}.safetensors is missing (found layers ${found.join(', ')})`);
  }
  return found.length;
}

function checkModel(dir: string, dict: Dictionary, config: DictionaryConfig, m: ExpectedModel): void {
  const want = m.fingerprint.toLowerCase();
  if (config.modelFingerprint !== undefined && want !== '' && config.modelFingerprint !== want) {
    const short = (s: string): string => `${s.slice(0, 12)}…`;
    throw new UserError(
      `dictionary ${dir} was trained for model ${config.modelName ?? 'unknown'} (sha256 ${short(config.modelFingerprint)}), ` +
        `not ${m.name} (${short(want)}); pass a dictionary trained for this model`,
    );
  }
  if (dict.dModel !== m.dModel) throw new UserError(`dictionary ${dir} has d_model ${dict.dModel} but the model ${m.name} has ${m.dModel}`);
  if (dict.nLayers !== m.nLayers) throw new UserError(`dictionary ${dir} has ${dict.nLayers} layers but the model ${m.name} has ${m.nLayers}`);
}

/** Loads a dictionary directory and returns it with its parsed config.yaml (our `workbench:` extras included). */
export async function loadDictionaryWithConfig(dir: string, opts: LoadDictionaryOptions = {}): Promise<LoadedDictionary> {
  const root = path.resolve(dir);
  const fail = (msg: string): UserError => new UserError(`dictionary ${root}: ${msg}`);
  const configFile = path.join(root, CONFIG_FILE);
  const configBytes = await readConfigBytes(configFile, root);
  const config = parseDictionaryConfig(decodeConfig(configBytes, configFile), configFile);
  const kind = config.modelKind === 'cross_layer_transcoder' || (config.modelKind === undefined && existsSync(path.join(root, 'W_enc_0.safetensors'))) ? 'clt' : 'plt';

  let names: string[];
  if (kind === 'clt') {
    const L = await contiguousLayerFiles(root, 'W_enc_', fail);
    names = Array.from({ length: L }, (_, i) => [`W_enc_${i}.safetensors`, `W_dec_${i}.safetensors`]).flat();
  } else {
    names = config.transcoders ? [...config.transcoders] : [];
    if (names.length === 0) {
      const L = await contiguousLayerFiles(root, 'layer_', fail);
      names = Array.from({ length: L }, (_, i) => `layer_${i}.safetensors`);
    }
  }
  const files = await Promise.all(
    names.map(async (name) => {
      const source = path.join(root, ...name.split('/'));
      try {
        const bytes = new Uint8Array(await readFile(source));
        // GemmaScope params.npz (W_enc stored (d, D)): converted to a circuit-tracer layer; fingerprinted as stored.
        if (name.endsWith('.npz')) return Object.assign(new TensorFile(name, source, gemmaScopeLayerSafetensors(bytes, source)), { stored: bytes });
        const file = new TensorFile(name, source, bytes);
        if (!isGemmaScope2Layer(file.header.tensors)) return file;
        // GemmaScope-2 layer (w_enc (d, D), affine_skip_connection): converted like the npz files.
        const tensors = new Map([...parseSafetensors(bytes, source)].map(([k, t]) => [k, { data: t.data, shape: t.shape }]));
        return Object.assign(new TensorFile(name, source, writeSafetensors(gemmaScope2Layer(tensors, source))), { stored: bytes });
      } catch (e) {
        if (e instanceof UserError) throw e;
        throw fail(`${name}: ${describeIoError(e)}`);
      }
    }),
  );
  const built = kind === 'clt' ? buildCltLayers(files.filter((_, i) => i % 2 === 0), files.filter((_, i) => i % 2 === 1), config, fail) : buildPltLayers(files, config, fail);

  const stored = files.map((f) => ({ name: f.name, bytes: (f as TensorFile & { stored?: Uint8Array }).stored ?? f.bytes }));
  const fingerprint = dictionaryFingerprint([{ name: CONFIG_FILE, bytes: configBytes }, ...stored]);
  const dictionary: Dictionary = {
    kind,
    name: path.basename(root),
    path: root,
    fingerprint,
    model: { ...(config.modelName !== undefined && { name: config.modelName }), ...(config.modelFingerprint !== undefined && { fingerprint: config.modelFingerprint }) },
    inputHook: config.inputHook,
    outputHook: config.outputHook,
    activation: built.activation,
    nLayers: built.layers.length,
    dModel: built.dModel,
    nFeatures: built.nFeatures,
    layers: built.layers,
  };
  if (opts.expectModel) checkModel(root, dictionary, config, opts.expectModel);
  return { dictionary, config };
}

/** Loads a dictionary directory (PLT or CLT, detected from config.yaml and the files present). */
export async function loadDictionary(dir: string, opts: LoadDictionaryOptions = {}): Promise<Dictionary> {
  return (await loadDictionaryWithConfig(dir, opts)).dictionary;
}

/** The files of a dictionary in circuit-tracer's layout (config.yaml last, as circuit-tracer's cache writes it). */
export function dictionaryFiles(dict: Dictionary, opts: WriteDictionaryOptions = {}): DictionaryFile[] {
  const fail = (msg: string): UserError => new UserError(`cannot write dictionary ${dict.name}: ${msg}`);
  checkDictionary(dict, fail);
  const dtype = opts.dtype ?? 'F32';
  // safetensors.torch.save_file's metadata; some Hugging Face tools expect it.
  const meta = { format: 'pt' };
  const encode = (tensors: [string, Dictionary['layers'][number]['W_enc']][], what: string): Uint8Array => {
    if (dtype === 'F16') {
      for (const [name, t] of tensors) {
        const i = t.data.findIndex((v) => Math.abs(v) >= 65520); // rounds to inf in F16
        if (i >= 0) throw fail(`${what} ${name} value ${t.data[i]} at flat index ${i} is too large for F16 (max 65504); write F32 or BF16`);
      }
    }
    return writeSafetensors(tensors, meta, dtype);
  };
  const files: DictionaryFile[] = [];
  dict.layers.forEach((layer, i) => {
    if (dict.kind === 'plt') {
      const t: [string, typeof layer.W_enc][] = [['W_enc', layer.W_enc], ['W_dec', layer.W_dec], ['b_enc', layer.b_enc], ['b_dec', layer.b_dec]];
      if (layer.threshold) t.push(['activation_function.threshold', layer.threshold]);
      if (layer.W_skip) t.push(['W_skip', layer.W_skip]);
      files.push({ name: `layer_${i}.safetensors`, bytes: encode(t, `layer ${i}`) });
    } else {
      const t: [string, typeof layer.W_enc][] = [[`W_enc_${i}`, layer.W_enc], [`b_enc_${i}`, layer.b_enc], [`b_dec_${i}`, layer.b_dec]];
      if (layer.threshold) t.push([`threshold_${i}`, layer.threshold]);
      files.push({ name: `W_enc_${i}.safetensors`, bytes: encode(t, `layer ${i}`) });
      files.push({ name: `W_dec_${i}.safetensors`, bytes: encode([[`W_dec_${i}`, layer.W_dec]], `layer ${i}`) });
    }
  });
  const config: DictionaryConfig = {
    modelKind: dict.kind === 'plt' ? 'transcoder_set' : 'cross_layer_transcoder',
    inputHook: dict.inputHook,
    outputHook: dict.outputHook,
    activation: dict.activation.kind,
    ...(dict.activation.kind === 'topk' && { k: dict.activation.k }),
    ...(dict.model.name !== undefined && { modelName: dict.model.name }),
    ...(dict.model.fingerprint !== undefined && { modelFingerprint: dict.model.fingerprint.toLowerCase() }),
    formatVersion: FORMAT_VERSION,
    ...(opts.extra !== undefined && { extra: opts.extra }),
  };
  files.push({ name: CONFIG_FILE, bytes: new TextEncoder().encode(stringifyDictionaryConfig(config)) });
  return files;
}

/**
 * Writes a dictionary atomically: everything goes into a temp sibling directory (config.yaml last), which is then
 * renamed into place. An existing dictionary at `dir` is moved aside first and deleted only after the rename, and
 * restored if the rename fails, so `dir` always holds either the old or the new complete dictionary.
 */
export async function writeDictionary(dir: string, dict: Dictionary, opts: WriteDictionaryOptions = {}): Promise<void> {
  const target = path.resolve(dir);
  const fail = (msg: string): UserError => new UserError(`cannot write dictionary to ${target}: ${msg}`);
  const files = dictionaryFiles(dict, opts); // validates before anything touches the disk
  let existing = false;
  try {
    const st = await stat(target);
    if (!st.isDirectory()) throw fail('it exists and is not a directory; choose another path');
    const entries = await readdir(target);
    // Never replace a directory that is not a dictionary: it may hold unrelated user files.
    if (entries.length > 0 && !entries.includes(CONFIG_FILE)) throw fail('it exists and is not a dictionary directory (no config.yaml); choose another path or empty it');
    existing = true;
  } catch (e) {
    if (e instanceof UserError) throw e;
    if ((e as { code?: unknown } | null)?.code !== 'ENOENT') throw fail(describeIoError(e));
  }
  const suffix = randomBytes(6).toString('hex');
  const tmp = `${target}.tmp-${suffix}`;
  try {
    await mkdir(path.dirname(target), { recursive: true });
    await mkdir(tmp);
    for (const f of files) await writeFile(path.join(tmp, f.name), f.bytes); // config.yaml is last in `files`
    if (existing) {
      const old = `${target}.old-${suffix}`;
      await rename(target, old);
      try {
        await rename(tmp, target);
      } catch (e) {
        await rename(old, target);
        throw e;
      }
      await rm(old, { recursive: true, force: true });
    } else {
      await rename(tmp, target);
    }
  } catch (e) {
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    if (e instanceof UserError) throw e;
    throw fail(describeIoError(e));
  }
}
