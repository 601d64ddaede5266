/**
 * circuit-tracer's `config.yaml` for a transcoder directory, plus our own keys (ignored by circuit-tracer):
 * `model_name`, `model_fingerprint` (sha256 of the model checkpoint), `format_version: 1` and an opaque
 * `workbench:` mapping. Parsing is strict: every problem is a one-line UserError naming the file.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { UserError } from '../errors';
import { quote } from './safetensors';

export const CONFIG_FILE = 'config.yaml';
export const FORMAT_VERSION = 1;

export type ModelKind = 'transcoder_set' | 'cross_layer_transcoder';
export type ActivationName = 'relu' | 'jumprelu' | 'topk';

export interface DictionaryConfig {
  /** Absent in legacy configs: the loader then tells PLT from CLT by the files present. */
  readonly modelKind?: ModelKind;
  /** Hook names with any `blocks.{l}.` prefix removed. */
  readonly inputHook: string;
  readonly outputHook: string;
  /** Absent: JumpReLU when the weights carry thresholds, else ReLU (circuit-tracer's rule). */
  readonly activation?: ActivationName;
  readonly k?: number;
  /** Layer files relative to the directory, index = layer (PLT only). */
  readonly transcoders?: readonly string[];
  readonly modelName?: string;
  /** Lower-case sha256 hex of the model checkpoint. */
  readonly modelFingerprint?: string;
  readonly formatVersion?: number;
  /** The `workbench:` mapping, kept as is. */
  readonly extra?: Record<string, unknown>;
}

type Fail = (msg: string) => UserError;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const get = (o: Record<string, unknown>, k: string): unknown => (Object.hasOwn(o, k) ? o[k] : undefined);

/** Refuses `__proto__` keys anywhere: a consumer copying `extra` with Object.assign would otherwise change a prototype. */
function checkKeys(root: unknown, fail: Fail): void {
  const stack: unknown[] = [root];
  const seen = new Set<object>();
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== 'object' || v === null || seen.has(v)) continue; // aliases may share (or cycle through) nodes
    seen.add(v);
    if (Array.isArray(v)) for (const x of v) stack.push(x); // not push(...v): a huge list would overflow the call stack
    else {
      for (const [k, x] of Object.entries(v)) {
        if (k === '__proto__') throw fail('key "__proto__" is not allowed');
        stack.push(x);
      }
    }
  }
}

/** circuit-tracer writes hook names without the block prefix; converters sometimes keep `blocks.{layer}.`. */
export function stripBlockPrefix(hook: string): string {
  return hook.replace(/^blocks\.(\{\w*\}|\d+)\./, '');
}

function hookName(root: Record<string, unknown>, key: string, fallback: string | undefined, fail: Fail): string {
  const v = get(root, key);
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'string' || v.trim() === '') throw fail(`${key} is missing or not a string (e.g. ${key}: hook_resid_mid)`);
  return stripBlockPrefix(v.trim());
}

/** A layer path must stay inside the dictionary directory: it is hashed and copied as part of the dictionary. */
function relativeLayerPath(p: unknown, i: number, fail: Fail): string {
  if (typeof p !== 'string' || p === '') throw fail(`transcoders[${i}] must be a file path`);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(p)) {
    throw fail(`transcoders[${i}] is the URI ${quote(p)}; download the file into the dictionary directory and list its relative path`);
  }
  const norm = path.posix.normalize(p.replaceAll('\\', '/'));
  if (path.posix.isAbsolute(norm) || path.win32.isAbsolute(p) || norm === '..' || norm.startsWith('../')) {
    throw fail(`transcoders[${i}] (${quote(p)}) must be a path relative to the dictionary directory, inside it`);
  }
  return norm;
}

/** The current list form (index = layer) or the 2025 legacy form `[{id, layer, filepath}]`. */
function transcoderList(v: unknown, fail: Fail): string[] {
  if (!Array.isArray(v) || v.length === 0) throw fail('transcoders must be a non-empty list of layer file paths');
  if (!v.every(isRecord)) return v.map((p, i) => relativeLayerPath(p, i, fail));
  const byLayer = new Map<number, string>();
  v.forEach((item, i) => {
    const layer = get(item, 'layer');
    if (!Number.isSafeInteger(layer) || (layer as number) < 0) throw fail(`transcoders[${i}].layer must be a non-negative integer`);
    if (byLayer.has(layer as number)) throw fail(`transcoders lists layer ${layer as number} twice`);
    byLayer.set(layer as number, relativeLayerPath(get(item, 'filepath'), i, fail));
  });
  return Array.from({ length: byLayer.size }, (_, l) => {
    const p = byLayer.get(l);
    if (p === undefined) throw fail(`transcoders has no entry for layer ${l}; layers must be contiguous from 0`);
    return p;
  });
}

function activationOf(root: Record<string, unknown>, fail: Fail): { activation?: ActivationName; k?: number } {
  const a = get(root, 'activation');
  if (a === undefined || a === null) return {};
  const name = typeof a === 'string' ? a.toLowerCase().replace('jump_relu', 'jumprelu') : a;
  if (name !== 'relu' && name !== 'jumprelu' && name !== 'topk') {
    throw fail(`activation ${typeof a === 'string' ? quote(a) : String(a)} is not supported (use relu, jumprelu or topk)`);
  }
  if (name !== 'topk') return { activation: name };
  const k = get(root, 'k');
  if (k === undefined) return { activation: name }; // may still come from a scalar `k` tensor in the weights
  if (!Number.isSafeInteger(k) || (k as number) < 1) throw fail('k must be a positive integer (the number of features kept per position)');
  return { activation: name, k: k as number };
}

/** Parses config.yaml text; `source` names the file in errors. */
export function parseDictionaryConfig(text: string, source: string): DictionaryConfig {
  const fail: Fail = (msg) => new UserError(`dictionary config ${source}: ${msg}`);
  let root: unknown;
  try {
    // maxAliasCount bounds "billion laughs" expansion; logLevel keeps unknown-tag warnings off stderr.
    root = parse(text, { maxAliasCount: 100, logLevel: 'error' });
  } catch (e) {
    const first = e instanceof Error ? e.message.split('\n')[0].replace(/:$/, '') : String(e);
    throw fail(`YAML syntax error: ${first.slice(0, 200)}`);
  }
  if (!isRecord(root)) throw fail('must be a YAML mapping (key: value lines), e.g. model_kind: transcoder_set');
  checkKeys(root, fail);
  const kind = get(root, 'model_kind');
  if (kind !== undefined && kind !== 'transcoder_set' && kind !== 'cross_layer_transcoder') {
    throw fail(`unknown model_kind ${typeof kind === 'string' ? quote(kind) : String(kind)} (expected transcoder_set or cross_layer_transcoder)`);
  }
  const version = get(root, 'format_version');
  if (version !== undefined && (!Number.isSafeInteger(version) || (version as number) < 1)) throw fail('format_version must be a positive integer');
  if (typeof version === 'number' && version > FORMAT_VERSION) {
    throw fail(`format_version ${version} was written by a newer Circuit Workbench (this one reads ${FORMAT_VERSION}); update the app`);
  }
  const modelName = get(root, 'model_name');
  if (modelName !== undefined && typeof modelName !== 'string') throw fail('model_name must be a string');
  const fp = get(root, 'model_fingerprint');
  if (fp !== undefined && (typeof fp !== 'string' || !/^[0-9a-f]{64}$/i.test(fp))) {
    throw fail('model_fingerprint must be the sha256 of the model checkpoint (64 hex digits)');
  }
  const extra = get(root, 'workbench');
  if (extra !== undefined && extra !== null && !isRecord(extra)) throw fail('workbench must be a mapping');
  const transcoders = get(root, 'transcoders');
  if (transcoders !== undefined && kind === 'cross_layer_transcoder') throw fail('transcoders is not used by cross_layer_transcoder dictionaries; remove it');
  // load_clt's defaults, so CLT configs that omit the hooks still load as circuit-tracer loads them.
  const clt = kind === 'cross_layer_transcoder';
  return {
    ...(kind !== undefined && { modelKind: kind }),
    inputHook: hookName(root, 'feature_input_hook', clt ? 'hook_resid_mid' : undefined, fail),
    outputHook: hookName(root, 'feature_output_hook', clt ? 'hook_mlp_out' : undefined, fail),
    ...activationOf(root, fail),
    ...(transcoders !== undefined && { transcoders: transcoderList(transcoders, fail) }),
    ...(modelName !== undefined && { modelName }),
    ...(typeof fp === 'string' && { modelFingerprint: fp.toLowerCase() }),
    ...(version !== undefined && { formatVersion: version as number }),
    ...(isRecord(extra) && { extra }),
  };
}

/** Reads `<dir>/config.yaml` (a missing file is a UserError saying what a dictionary directory holds). */
export async function readDictionaryConfig(dir: string): Promise<DictionaryConfig> {
  const file = path.join(dir, CONFIG_FILE);
  return parseDictionaryConfig(decodeConfig(await readConfigBytes(file, dir), file), file);
}

/** The raw bytes of config.yaml: they are part of the dictionary fingerprint. */
export async function readConfigBytes(file: string, dir: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(file));
  } catch (e) {
    const code = (e as { code?: unknown } | null)?.code;
    if (code === 'ENOENT') throw new UserError(`dictionary ${dir}: no config.yaml; a transcoder dictionary directory holds config.yaml plus layer_{i}.safetensors or W_enc_{i}/W_dec_{i}.safetensors`);
    if (code === 'ENOTDIR') throw new UserError(`dictionary ${dir}: not a directory; pass the transcoder dictionary directory`);
    throw new UserError(`dictionary ${dir}: cannot read config.yaml (${typeof code === 'string' ? code : String(e)})`);
  }
}

export function decodeConfig(bytes: Uint8Array, source: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new UserError(`dictionary config ${source}: not valid UTF-8 text`);
  }
}

/** JSON-like values only (what YAML round-trips faithfully); throws on anything else in `extra`. */
function checkPlain(v: unknown, where: string, depth = 0): void {
  const fail = (why: string): UserError => new UserError(`cannot write dictionary config: ${where} ${why}`);
  if (depth > 64) throw fail('is nested more than 64 levels deep');
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw fail('is not a finite number');
    return;
  }
  if (Array.isArray(v)) return v.forEach((x, i) => checkPlain(x, `${where}[${i}]`, depth + 1));
  if (isRecord(v) && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null)) {
    for (const [k, x] of Object.entries(v)) {
      if (k === '__proto__') throw fail('has a "__proto__" key');
      checkPlain(x, `${where}.${k}`, depth + 1);
    }
    return;
  }
  throw fail('must hold only strings, numbers, booleans, null, lists and plain objects');
}

/** Serializes a config in circuit-tracer's layout, our own keys after theirs. */
export function stringifyDictionaryConfig(c: DictionaryConfig): string {
  if (c.extra !== undefined) checkPlain(c.extra, 'workbench');
  // Entries are listed explicitly (a Map, not an object literal) so key order is fixed and nothing is prototype-bound.
  const doc = new Map<string, unknown>();
  doc.set('model_kind', c.modelKind ?? 'transcoder_set');
  if (c.modelName !== undefined) doc.set('model_name', c.modelName);
  doc.set('feature_input_hook', c.inputHook);
  doc.set('feature_output_hook', c.outputHook);
  if (c.activation !== undefined) doc.set('activation', c.activation);
  if (c.k !== undefined) doc.set('k', c.k);
  if (c.transcoders !== undefined) doc.set('transcoders', [...c.transcoders]);
  if (c.modelFingerprint !== undefined) doc.set('model_fingerprint', c.modelFingerprint);
  doc.set('format_version', c.formatVersion ?? FORMAT_VERSION);
  if (c.extra !== undefined) doc.set('workbench', c.extra);
  return stringify(doc, { aliasDuplicateObjects: false });
}
