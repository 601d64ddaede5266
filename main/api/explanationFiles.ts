/**
 * explanation.save / .open / .recoverySave / .recoveryList / .recoveryDiscard (docs/explanations.md, "The
 * explanation API").
 *
 * Save writes `NAME.circuit.json` (main/explain/file.ts: validated, atomic): the graph JSON pruned at the given
 * thresholds with the user's labels as node clerps and pins/supernodes in `qParams` (Neuronpedia's subgraph
 * state), fingerprints, app version, work and tests. When the held graph is a full graph (a trace or a raw graph
 * file), the full graph is also written beside it as `NAME.raw.safetensors` (+ `.json` sidecar, main/graph/
 * rawGraph.ts) and `graph.rawPath` names it relative to the explanation, so the pair can be moved together and a
 * reopened explanation has every node and edge again (re-pruning, paths, interventions on the unpruned graph).
 * Open uses that raw graph when it is there and belongs to the file (same model, dictionary, tokens, and every
 * saved node present), else the embedded pruned graph, with a warning saying why.
 *
 * Recovery copies live in `<data root>/.cwb/recovery/` (the workspace in browser mode, the app's data folder in
 * Electron): `KEY.circuit.json` (an ordinary explanation file, opened with explanation.open), its raw graph, and
 * `KEY.recovery.json` naming the saved file it is a copy of. KEY is derived from the saved path, or from the engine
 * run and graph for an explanation never saved. A successful save removes the recovery copies it supersedes.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, statSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { ExplanationContent, ExplanationOpenResult, ExplanationSaveResult, FeatureLabels, RecoveryEntry } from '../../shared/apiExplain';
import { EXPLANATION_FORMAT_VERSION, type Explanation } from '../../shared/explanation';
import type { AttributionGraph } from '../../shared/graph';
import { UserError } from '../errors';
import { loadExplanation, saveExplanation } from '../explain/file';
import { statOrNull, writeFileAtomic } from '../files';
import { buildQParams, FEATURE_TYPE, importGraphJson, stringifyGraphJson, type GraphJson } from '../graph/neuronpediaJson';
import { RAW_GRAPH_FORMAT, readRawGraph, sidecarPath, writeRawGraph } from '../graph/rawGraph';
import { isJsonObject, parseJsonSafely, type JsonObject, type JsonValue } from '../graph/safeJson';
import { ApiFailure } from './errors';
import { graphTokens, settingsOf, targetChoiceOf, type ExplainDeps } from './explainCommon';
import { entryFromGraph, entryFromImported, type GraphEntry } from './graphEntry';
import { prunedGraphJson } from './graphFiles';
import { pruneAt } from './graphQueries';
import { readFeatureLabels } from './labels';
import { isInside } from './workspace';

export const EXPLANATION_SUFFIX = '.circuit.json';
export const RAW_SUFFIX = '.raw.safetensors';
const APP_NAME = 'circuit-workbench';
const RECOVERY_FORMAT = 'circuit-workbench-recovery';
const RECOVERY_META = '.recovery.json';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

// ---------------------------------------------------------------------------------------------- building

/** Neuronpedia's qParams keys the workbench writes itself (other keys of an imported graph are kept). */
const OWN_QPARAMS = new Set(['pinnedIds', 'supernodes', 'linkType', 'clickedId', 'sg_pos', 'pruningThreshold']);

/** Node clerps from the work's node labels, else the dictionary's feature labels; pins and supernodes in qParams. */
export function annotateGraphJson(json: GraphJson, work: Explanation['work'], featureLabels: FeatureLabels, nodeThreshold: number): GraphJson {
  const nodes = json.nodes.map((n) => {
    if (n.feature_type === FEATURE_TYPE.logit) return n;
    let label: string | undefined = work.nodeLabels[n.node_id];
    if (label === undefined && n.feature_type === FEATURE_TYPE.feature) {
      const m = /^(\d+)_(\d+)_\d+$/.exec(n.node_id);
      if (m) label = featureLabels[`${m[1]}_${m[2]}`];
    }
    return label === undefined ? n : { ...n, clerp: label };
  });
  const extra: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries(json.qParams)) if (!OWN_QPARAMS.has(k)) extra[k] = v;
  const qParams = buildQParams({
    pinnedIds: work.pinnedNodeIds,
    supernodes: work.supernodes.map((s) => [s.label, ...s.nodeIds]),
    pruningThreshold: nodeThreshold,
    extra,
  });
  return { ...json, nodes, qParams };
}

function dictionaryKind(entry: GraphEntry): 'plt' | 'clt' | null {
  return entry.full?.dictionary.kind ?? entry.imported?.workbench?.dictionary.kind ?? null;
}

/** The explanation for a held graph and the client's content (validated on save, not here). */
export function buildExplanation(entry: GraphEntry, deps: ExplainDeps, c: ExplanationContent, o: { slug: string; rawPath?: string }): Explanation {
  const { session } = deps;
  const s = entry.summary;
  const kind = dictionaryKind(entry);
  const settings = settingsOf(entry);
  if (!s.model || !s.dictionary || !kind || !settings) {
    throw new UserError(`graph ${s.graphId} does not say which model and dictionary it was traced with (a graph file from another tool), which an explanation must record: trace the prompt here`);
  }
  const vocab = entry.full?.vocabSize ?? entry.imported?.workbench?.vocabSize ?? session.model.spec.config.vocabSize;
  const targets = targetChoiceOf(entry, session.model.tokenizer, Math.min(vocab, session.model.spec.config.vocabSize));
  let labels: FeatureLabels = {};
  if (deps.dataRoot !== null) {
    try {
      labels = readFeatureLabels(deps.dataRoot, s.dictionary.fingerprint);
    } catch {
      labels = {}; // a broken labels file must not block saving; labels.get reports it
    }
  }
  const pruned = pruneAt(entry, c.nodeThreshold, c.edgeThreshold);
  const json = annotateGraphJson(prunedGraphJson(entry, pruned, { slug: o.slug, nodeThreshold: c.nodeThreshold, edgeThreshold: c.edgeThreshold }), c.work, labels, c.nodeThreshold);
  return {
    formatVersion: EXPLANATION_FORMAT_VERSION,
    app: { name: APP_NAME, version: session.info().appVersion },
    model: { name: s.model.name, fingerprint: s.model.fingerprint },
    dictionary: { name: s.dictionary.name, fingerprint: s.dictionary.fingerprint, kind },
    prompt: s.prompt,
    tokens: graphTokens(entry),
    targets,
    attribution: { maxFeatureNodes: settings.maxFeatureNodes, batchSize: settings.batchSize, nodeThreshold: c.nodeThreshold, edgeThreshold: c.edgeThreshold },
    // Canonical text parsed back: plain data that deep-equals what a load returns.
    graph: { json: JSON.parse(stringifyGraphJson(json)) as Record<string, unknown>, ...(o.rawPath !== undefined ? { rawPath: o.rawPath } : {}) },
    work: c.work,
    tests: c.tests,
  };
}

// ---------------------------------------------------------------------------------------------- writing

/** Whether `file` (+ sidecar) may be overwritten with a raw graph: absent, or a raw graph of ours. */
function rawGraphReplaceable(file: string): boolean {
  const a = statOrNull(file);
  const b = statOrNull(sidecarPath(file));
  if (!a && !b) return true;
  if (!b?.isFile() || (a && !a.isFile()) || b.size > 64 * 1024 * 1024) return false;
  try {
    const doc = parseJsonSafely(readFileSync(sidecarPath(file), 'utf8'), 'raw graph sidecar', { maxBytes: 64 * 1024 * 1024, maxDepth: 16 });
    return isJsonObject(doc) && doc.format === RAW_GRAPH_FORMAT;
  } catch {
    return false;
  }
}

/**
 * Writes raw graphs, skipping a write when the file on disk is the one this engine wrote for the same graph (an
 * autosave every few seconds must not rewrite tens of MB each time).
 */
export class RawGraphWriter {
  private readonly written = new Map<string, { graphId: string; mtimeMs: number; size: number }>();

  async write(file: string, graphId: string, g: AttributionGraph): Promise<void> {
    const st = statOrNull(file);
    const w = this.written.get(file);
    if (st && w && w.graphId === graphId && w.mtimeMs === st.mtimeMs && w.size === st.size && statOrNull(sidecarPath(file))) return;
    if (!rawGraphReplaceable(file)) throw new UserError(`refusing to overwrite ${path.basename(file)}: it exists and is not a Circuit Workbench raw graph`);
    await writeRawGraph(file, g);
    const after = statSync(file);
    this.written.set(file, { graphId, mtimeMs: after.mtimeMs, size: after.size });
  }

  forget(file: string): void {
    this.written.delete(file);
  }
}

/** Writes the explanation (and its raw graph) at `file`; returns what was written. */
async function writeExplanationFiles(entry: GraphEntry, deps: ExplainDeps, raw: RawGraphWriter, c: ExplanationContent, file: string, slug: string, signal: AbortSignal, progress: (phase: string) => void): Promise<ExplanationSaveResult> {
  const rawName = entry.full ? `${path.basename(file).slice(0, -EXPLANATION_SUFFIX.length)}${RAW_SUFFIX}` : undefined;
  progress('export');
  const e = buildExplanation(entry, deps, c, { slug, ...(rawName !== undefined ? { rawPath: rawName } : {}) });
  signal.throwIfAborted();
  let rawFile: string | null = null;
  if (entry.full && rawName !== undefined) {
    progress('raw');
    rawFile = path.join(path.dirname(file), rawName);
    await raw.write(rawFile, entry.summary.graphId, entry.full);
    signal.throwIfAborted();
  }
  progress('write');
  // The raw graph first: the explanation never names a raw file that is not there yet.
  saveExplanation(file, e);
  const json = e.graph.json as { nodes: unknown[]; links: unknown[] };
  return { path: file, rawPath: rawFile, nodes: json.nodes.length, links: json.links.length };
}

/** The save target: `*.circuit.json` in an existing folder, not a directory, and not a file of something else. */
export function checkExplanationTarget(file: string): void {
  if (!file.toLowerCase().endsWith(EXPLANATION_SUFFIX) || path.basename(file).length <= EXPLANATION_SUFFIX.length) throw new UserError(`save explanations as NAME${EXPLANATION_SUFFIX} (got ${path.basename(file)})`);
  if (!statOrNull(path.dirname(file))?.isDirectory()) throw new UserError(`cannot save: folder ${path.dirname(file)} does not exist`);
  const st = statOrNull(file);
  if (!st) return;
  if (!st.isFile()) throw new UserError(`cannot save: ${file} is not a file`);
  try {
    loadExplanation(file);
  } catch (e) {
    if (e instanceof UserError) throw new UserError(`refusing to overwrite ${path.basename(file)}: it is not an explanation file this version can read (${e.message})`);
    throw e;
  }
}

export async function saveExplanationApi(deps: ExplainDeps, raw: RawGraphWriter, p: ExplanationContent & { path: string }, signal: AbortSignal, progress: (phase: string) => void): Promise<ExplanationSaveResult> {
  const entry = deps.graphs.get(p.graphId);
  const file = deps.ws.resolve(p.path);
  checkExplanationTarget(file);
  const r = await writeExplanationFiles(entry, deps, raw, p, file, path.basename(file).slice(0, -EXPLANATION_SUFFIX.length), signal, progress);
  // The recovery copies this save supersedes.
  if (deps.dataRoot !== null) {
    for (const key of [recoveryKey(file, entry.summary.graphId, deps.runTag), recoveryKey(null, entry.summary.graphId, deps.runTag)]) removeRecovery(deps.dataRoot, key, raw);
  }
  return r;
}

// ---------------------------------------------------------------------------------------------- opening

function sameTokens(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Why a raw graph does not belong to an explanation, or null when it does. */
function rawMismatch(e: Explanation, g: AttributionGraph, rawIds: ReadonlySet<string>): string | null {
  if (g.model.fingerprint !== e.model.fingerprint) return `it was traced with model ${g.model.fingerprint.slice(0, 12)}, the explanation with ${e.model.fingerprint.slice(0, 12)}`;
  if (g.dictionary.fingerprint !== e.dictionary.fingerprint) return `it was traced with dictionary ${g.dictionary.fingerprint.slice(0, 12)}, the explanation with ${e.dictionary.fingerprint.slice(0, 12)}`;
  if (!sameTokens(g.tokens, e.tokens)) return 'its prompt tokens differ';
  const missing = ((e.graph.json.nodes ?? []) as { node_id: string }[]).find((n) => !rawIds.has(n.node_id));
  if (missing) return `the saved node ${missing.node_id} is not in it`;
  return null;
}

export async function openExplanationApi(deps: ExplainDeps, p: { path: string }, signal: AbortSignal, progress: (phase: string) => void): Promise<ExplanationOpenResult> {
  const { ws, graphs, session } = deps;
  const file = ws.resolve(p.path);
  progress('read');
  const e = loadExplanation(file);
  signal.throwIfAborted();
  const warnings: string[] = [];
  const id = graphs.newId();
  let entry: GraphEntry | null = null;
  if (e.graph.rawPath !== undefined) {
    progress('raw');
    let rawFile: string | null = null;
    try {
      rawFile = ws.resolve(path.resolve(path.dirname(file), e.graph.rawPath));
    } catch (err) {
      if (!(err instanceof ApiFailure)) throw err;
      warnings.push(`the raw graph ${e.graph.rawPath} is outside the workspace and was not read; the pruned graph saved in the file is used`);
    }
    if (rawFile !== null && !statOrNull(rawFile)) warnings.push(`the raw graph ${e.graph.rawPath} is missing; the pruned graph saved in the file is used (re-pruning shows only its nodes)`);
    else if (rawFile !== null) {
      try {
        const g = await readRawGraph(rawFile);
        const candidate = entryFromGraph(id, g, { kind: 'file', path: file }, null);
        const why = rawMismatch(e, g, new Set(candidate.nodeIds));
        if (why) warnings.push(`the raw graph ${e.graph.rawPath} does not belong to this explanation (${why}); the pruned graph saved in the file is used`);
        else entry = candidate;
      } catch (err) {
        if (!(err instanceof UserError)) throw err;
        warnings.push(`the raw graph ${e.graph.rawPath} cannot be used (${err.message}); the pruned graph saved in the file is used`);
      }
    }
    signal.throwIfAborted();
  }
  const graphFrom = entry ? 'raw' : 'embedded';
  if (!entry) entry = entryFromImported(id, importGraphJson(stringifyGraphJson(e.graph.json as JsonObject), `in ${file}`), file);
  entry.targetChoice = e.targets;
  graphs.add(entry);
  const m = session.model.spec;
  if (m.fingerprint !== e.model.fingerprint) warnings.push(`the explanation was made with model ${e.model.name} (${e.model.fingerprint.slice(0, 12)}); the open model is ${m.name} (${m.fingerprint.slice(0, 12)}): its tests may not hold (cwb verify checks them)`);
  const d = session.dictionary?.dict;
  if (!d) warnings.push(`the explanation's features are from dictionary ${e.dictionary.name} (${e.dictionary.fingerprint.slice(0, 12)}), and no dictionary is open: open it to run its tests and see feature cards`);
  else if (d.fingerprint !== e.dictionary.fingerprint) warnings.push(`the explanation's features are from dictionary ${e.dictionary.name} (${e.dictionary.fingerprint.slice(0, 12)}), not the open ${d.name} (${d.fingerprint.slice(0, 12)}): open that dictionary to run its tests and see feature cards`);
  return { path: file, explanation: e, graph: entry.summary, graphFrom, warnings };
}

// ---------------------------------------------------------------------------------------------- recovery

const recoveryMetaSchema = z.strictObject({
  format: z.literal(RECOVERY_FORMAT),
  formatVersion: z.literal(1),
  savedPath: z.string().max(4096).nullable(),
  graphId: z.string().max(64),
  prompt: z.string().max(1_000_000),
});

export const recoveryDir = (dataRoot: string): string => path.join(dataRoot, '.cwb', 'recovery');

/** A file-name-safe key: the saved path's hash, or the engine run and graph for an unsaved explanation. */
export function recoveryKey(savedPath: string | null, graphId: string, runTag: string): string {
  return savedPath !== null ? `saved-${sha(savedPath).slice(0, 24)}` : `untitled-${runTag}-${graphId.replace(/[^\w-]/g, '_')}`;
}

function needDataRoot(deps: ExplainDeps): string {
  if (deps.dataRoot === null) throw new UserError('recovery copies need a folder: the engine was started without a workspace or data folder');
  return deps.dataRoot;
}

function removeRecovery(dataRoot: string, key: string, raw: RawGraphWriter): void {
  const dir = recoveryDir(dataRoot);
  const rawFile = path.join(dir, `${key}${RAW_SUFFIX}`);
  raw.forget(rawFile);
  for (const f of [`${key}${EXPLANATION_SUFFIX}`, `${key}${RECOVERY_META}`, `${key}${RAW_SUFFIX}`, `${key}${RAW_SUFFIX}.json`]) rmSync(path.join(dir, f), { force: true });
}

export async function recoverySaveApi(deps: ExplainDeps, raw: RawGraphWriter, p: { path?: string; content: ExplanationContent }, signal: AbortSignal, progress: (phase: string) => void): Promise<{ path: string; savedPath: string | null }> {
  const dataRoot = needDataRoot(deps);
  const entry = deps.graphs.get(p.content.graphId);
  const savedPath = p.path === undefined ? null : deps.ws.resolve(p.path);
  const key = recoveryKey(savedPath, entry.summary.graphId, deps.runTag);
  const dir = recoveryDir(dataRoot);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${key}${EXPLANATION_SUFFIX}`);
  await writeExplanationFiles(entry, deps, raw, p.content, file, key, signal, progress);
  const meta = { format: RECOVERY_FORMAT, formatVersion: 1, savedPath, graphId: entry.summary.graphId, prompt: entry.summary.prompt };
  writeFileAtomic(path.join(dir, `${key}${RECOVERY_META}`), `${JSON.stringify(meta, null, 1)}\n`);
  return { path: file, savedPath };
}

/** Recovery copies newer than their saved file (or never saved), newest first. */
export function recoveryListApi(deps: ExplainDeps): { dir: string; entries: RecoveryEntry[] } {
  if (deps.dataRoot === null) return { dir: '', entries: [] };
  const dir = recoveryDir(deps.dataRoot);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return { dir, entries: [] };
  }
  const entries: RecoveryEntry[] = [];
  for (const name of names) {
    if (!name.endsWith(RECOVERY_META)) continue;
    const key = name.slice(0, -RECOVERY_META.length);
    const copy = statOrNull(path.join(dir, `${key}${EXPLANATION_SUFFIX}`));
    const metaStat = statOrNull(path.join(dir, name));
    if (!copy?.isFile() || !metaStat || metaStat.size > 16 * 1024 * 1024) continue;
    let meta: z.infer<typeof recoveryMetaSchema>;
    try {
      const r = recoveryMetaSchema.safeParse(parseJsonSafely(readFileSync(path.join(dir, name), 'utf8'), name, { maxBytes: 16 * 1024 * 1024, maxDepth: 4 }));
      if (!r.success) continue;
      meta = r.data;
    } catch {
      continue; // a torn or foreign file is not offered
    }
    const saved = meta.savedPath === null ? null : statOrNull(meta.savedPath);
    if (saved && saved.mtimeMs >= copy.mtimeMs) continue; // saved since: nothing to recover
    entries.push({
      path: path.join(dir, `${key}${EXPLANATION_SUFFIX}`),
      savedPath: meta.savedPath,
      prompt: meta.prompt,
      modifiedAt: copy.mtime.toISOString(),
      savedModifiedAt: saved ? saved.mtime.toISOString() : null,
    });
  }
  entries.sort((a, b) => b.modifiedAt.localeCompare(a.modifiedAt) || a.path.localeCompare(b.path));
  return { dir, entries };
}

export function recoveryDiscardApi(deps: ExplainDeps, raw: RawGraphWriter, p: { path: string }): { path: string } {
  const dataRoot = needDataRoot(deps);
  const file = deps.ws.resolve(p.path);
  const dir = recoveryDir(dataRoot);
  if (!isInside(dir, path.dirname(file)) || path.dirname(file) !== dir || !file.endsWith(EXPLANATION_SUFFIX)) {
    throw new ApiFailure('forbidden', `${p.path} is not a recovery copy (those are the ${EXPLANATION_SUFFIX} files in ${dir})`);
  }
  removeRecovery(dataRoot, path.basename(file).slice(0, -EXPLANATION_SUFFIX.length), raw);
  return { path: file };
}
