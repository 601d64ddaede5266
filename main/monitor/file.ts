/**
 * Monitors files: validated load, atomic save, and resolution against the model and dictionary in use (probe
 * files loaded relative to the monitors file, token texts resolved to ids, layers and features range-checked).
 */
import path from 'node:path';
import type { Dictionary } from '../../shared/dictionary';
import type { ModelSpec } from '../../shared/model';
import type { ProbeFile } from '../../shared/probe';
import { monitorsFileSchema, type Monitor, type MonitorsFile } from '../../shared/monitor';
import { resolveToken } from '../attribution/targets';
import { UserError } from '../errors';
import { writeFileAtomic } from '../files';
import { loadProbe, parseWith, readSchemaFile } from '../probe/file';
import type { Tokenizer } from '../tokenizer/types';

export function parseMonitorsFile(json: unknown, where: string): MonitorsFile {
  return parseWith(monitorsFileSchema, json, `${where} is not a valid monitors file`);
}

export function loadMonitorsFile(file: string): MonitorsFile {
  return readSchemaFile(file, 'monitors file', monitorsFileSchema, 'a monitors file: {"format": "cwb-monitors", "version": 1, "monitors": [...]}');
}

export function saveMonitorsFile(file: string, m: MonitorsFile): void {
  writeFileAtomic(file, JSON.stringify(monitorsFileSchema.parse(m), null, 2) + '\n');
}

/** A monitor ready to score: probe loaded, token resolved. */
export type ResolvedMonitor =
  | Extract<Monitor, { kind: 'feature' | 'features' }>
  | (Extract<Monitor, { kind: 'probe' }> & { readonly probeFile: ProbeFile })
  | (Extract<Monitor, { kind: 'lens' }> & { readonly tokenId: number | null });

export interface ResolveContext {
  readonly spec: ModelSpec;
  readonly tokenizer: Tokenizer;
  readonly dict: Dictionary | null;
  /** Folder relative probe paths are resolved against (the monitors file's). */
  readonly baseDir: string;
  /** Resolves (and may restrict, e.g. to a workspace) a probe path. Default: path.resolve(baseDir, p). */
  readonly probePath?: (p: string) => string;
}

export const needsDictionary = (m: MonitorsFile | readonly Monitor[]) => ('monitors' in m ? m.monitors : m).some((x) => x.kind === 'feature' || x.kind === 'features');

export function resolveMonitors(file: MonitorsFile, ctx: ResolveContext): ResolvedMonitor[] {
  const { spec, dict } = ctx;
  const L = spec.config.nLayers;
  if (file.model && file.model.fingerprint !== spec.fingerprint) {
    throw new UserError(`the monitors were made for model ${file.model.name} (sha256 ${file.model.fingerprint.slice(0, 12)}…), not ${spec.name}: rebuild them for this model`);
  }
  if (needsDictionary(file)) {
    if (!dict) throw new UserError('feature monitors need a dictionary: pass --dict DIR (or open one in the app)');
    if (file.dictionary && file.dictionary.fingerprint !== dict.fingerprint) {
      throw new UserError(`the feature monitors were made with dictionary ${file.dictionary.name} (sha256 ${file.dictionary.fingerprint.slice(0, 12)}…), not ${dict.name}: pass that dictionary with --dict`);
    }
  }
  const checkFeature = (who: string, layer: number, feature: number) => {
    if (layer >= dict!.nLayers) throw new UserError(`monitor "${who}": layer ${layer} is out of range (the dictionary has layers 0–${dict!.nLayers - 1})`);
    if (feature >= dict!.nFeatures) throw new UserError(`monitor "${who}": feature ${feature} is out of range (layers have ${dict!.nFeatures} features)`);
  };
  return file.monitors.map((m): ResolvedMonitor => {
    switch (m.kind) {
      case 'feature':
        checkFeature(m.name, m.layer, m.feature);
        return m;
      case 'features':
        for (const f of m.features) checkFeature(m.name, f.layer, f.feature);
        return m;
      case 'probe': {
        const p = ctx.probePath ? ctx.probePath(m.probe) : path.resolve(ctx.baseDir, m.probe);
        return { ...m, probeFile: loadProbe(p, spec) };
      }
      case 'lens': {
        if (m.layer > L) throw new UserError(`monitor "${m.name}": lens layer ${m.layer} is out of range (0–${L}; ${L} is the final residual)`);
        if (m.measure === 'prob' && m.token === undefined) throw new UserError(`monitor "${m.name}": a lens probability needs "token"`);
        const tokenId = m.token === undefined ? null : resolveToken(ctx.tokenizer, spec.config.vocabSize, m.token);
        return { ...m, tokenId };
      }
    }
  });
}
