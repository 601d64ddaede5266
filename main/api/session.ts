/**
 * The engine's open model and dictionary. Defaults: the embedded stories260K model and its embedded dictionary.
 * Opening another model keeps the dictionary only while it still fits (same width and depth, and the model
 * fingerprint it was trained for, when it names one); opening the embedded model again brings back the
 * embedded dictionary.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { DictionaryInfo, ModelInfo, SessionInfo } from '../../shared/api';
import { API_VERSION } from '../../shared/api';
import type { Dictionary } from '../../shared/dictionary';
import { parameterCount } from '../../shared/model';
import { UserError } from '../errors';
import { loadDictionary } from '../dictionary/format';
import { INDEX_DIR, MANIFEST_FILE } from '../dictionary/featureIndexStore';
import { loadModel, type LoadedModel } from '../model/load';
import { warmUpAttribution } from '../attribution/attribute';
import { embeddedDictionaryPath, embeddedModelPath, packageRoot } from '../paths';

export interface OpenModel extends LoadedModel {
  readonly info: ModelInfo;
}

export interface OpenDictionary {
  readonly dict: Dictionary;
  readonly info: DictionaryInfo;
}

const appVersion = (() => {
  try {
    return String((JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version?: unknown }).version ?? '0.0.0');
  } catch {
    return '0.0.0';
  }
})();

function modelInfo(m: LoadedModel): ModelInfo {
  const { spec } = m;
  return {
    name: spec.name,
    fingerprint: spec.fingerprint,
    path: spec.path,
    embedded: path.resolve(spec.path) === path.resolve(embeddedModelPath),
    parameters: parameterCount(spec),
    nLayers: spec.config.nLayers,
    dModel: spec.config.dModel,
    vocabSize: spec.config.vocabSize,
    maxSeqLen: spec.config.maxSeqLen,
  };
}

export function hasFeatureIndex(dictDir: string): boolean {
  return existsSync(path.join(dictDir, INDEX_DIR, MANIFEST_FILE));
}

function dictionaryInfo(dict: Dictionary): DictionaryInfo {
  return {
    name: dict.name,
    fingerprint: dict.fingerprint,
    path: dict.path,
    embedded: path.resolve(dict.path) === path.resolve(embeddedDictionaryPath),
    kind: dict.kind,
    featuresPerLayer: dict.nFeatures,
    hasFeatureIndex: hasFeatureIndex(dict.path),
  };
}

/** Whether `dict` can be used with `m` (what loadDictionary's expectModel check enforces). */
export function dictionaryFits(dict: Dictionary, m: LoadedModel): boolean {
  const want = dict.model.fingerprint?.toLowerCase();
  return (want === undefined || want === '' || want === m.spec.fingerprint.toLowerCase()) && dict.dModel === m.spec.config.dModel && dict.nLayers === m.spec.config.nLayers;
}

async function openDictionaryFor(dir: string, m: LoadedModel): Promise<OpenDictionary> {
  const { spec } = m;
  const dict = await loadDictionary(dir, { expectModel: { fingerprint: spec.fingerprint, name: spec.name, dModel: spec.config.dModel, nLayers: spec.config.nLayers } });
  return { dict, info: dictionaryInfo(dict) };
}

export class EngineSession {
  private warming: AbortController | null = null;

  private constructor(
    readonly workspace: string | null,
    public model: OpenModel,
    public dictionary: OpenDictionary | null,
  ) {}

  /**
   * Warms attribution for the open model + dictionary in the background, so the user's first trace runs at
   * steady-state speed (program builds, arenas, JIT: 3–5× on the first calls otherwise). Best effort: any
   * failure is ignored (a real trace reports it), and a real job stops it first (stopWarmUp) so the two never
   * compete for the cores.
   */
  startWarmUp(): void {
    this.stopWarmUp();
    const open = this.dictionary;
    if (!open) return;
    const ctl = new AbortController();
    this.warming = ctl;
    const { spec, tokenizer } = this.model;
    // Deferred a tick: the request that opened the model answers first.
    setTimeout(() => {
      if (ctl.signal.aborted) return;
      warmUpAttribution(spec, open.dict, tokenizer, { signal: ctl.signal })
        .catch(() => undefined)
        .finally(() => {
          if (this.warming === ctl) this.warming = null;
        });
    }, 0);
  }

  stopWarmUp(): void {
    this.warming?.abort();
    this.warming = null;
  }

  /** `model` / `dictionary`: explicit paths (errors propagate); by default the embedded ones (a default dictionary that does not fit is left closed). */
  static async create(workspace: string | null, opts: { model?: string; dictionary?: string } = {}): Promise<EngineSession> {
    const loaded = await loadModel({ model: opts.model });
    const model = { ...loaded, info: modelInfo(loaded) };
    const dictionary = opts.dictionary !== undefined ? await openDictionaryFor(opts.dictionary, model) : await openDictionaryFor(embeddedDictionaryPath, model).catch(() => null);
    return new EngineSession(workspace, model, dictionary);
  }

  async openModel(file: string, tokenizer?: string): Promise<void> {
    const loaded = await loadModel({ model: file, tokenizer });
    const model = { ...loaded, info: modelInfo(loaded) };
    let dictionary = this.dictionary && dictionaryFits(this.dictionary.dict, model) ? this.dictionary : null;
    if (!dictionary && model.info.embedded) dictionary = await openDictionaryFor(embeddedDictionaryPath, model).catch(() => null);
    this.model = model;
    this.dictionary = dictionary;
  }

  async openDictionary(dir: string): Promise<void> {
    const dictionary = await openDictionaryFor(dir, this.model);
    // The model may have changed meanwhile (another request): keep the dictionary only if it fits that one.
    if (!dictionaryFits(dictionary.dict, this.model)) throw new UserError(`the model changed while dictionary ${dictionary.dict.name} was opening; open it again`);
    this.dictionary = dictionary;
  }

  info(): SessionInfo {
    // hasFeatureIndex is re-checked: `cwb dict index` may have built one since the dictionary was opened.
    const dictionary = this.dictionary ? { ...this.dictionary.info, hasFeatureIndex: hasFeatureIndex(this.dictionary.dict.path) } : null;
    return { apiVersion: API_VERSION, appVersion, workspace: this.workspace, model: this.model.info, dictionary };
  }
}
