/**
 * Reads any circuit-tracer / Neuronpedia graph JSON (method brief §5.4) into typed nodes that can be exported again
 * (exportImportedGraphJson). Order of checks: size, nesting depth and reserved keys (safeJson.ts), the published
 * JSON Schema (ajv, draft-07), then what the schema leaves open (node kinds, id formats, fields the schema does not
 * list, positions within the prompt, duplicate ids, links to missing nodes). Every failure is a one-line UserError.
 *
 * Older formats, and what is inferred from them:
 * - Error ids: both `{layer}_-1_{pos}` (2026, PR #102) and the legacy `0_{layer}_{pos}` are read; the node kind comes
 *   from `feature_type` and the layer/position from `layer`/`ctx_idx`, so the id format never decides anything.
 *   (With legacy ids a layer-0 feature can collide with an error node; such a file is refused as ambiguous.)
 * - Feature ids: `schema_version` ≥ 1 means cantor(layer, featIdx), checked against `layer` and `node_id`. When it
 *   is 0 or absent, ids were `featIdx + layer·10^k` with 10^k = 10^ceil(log10 D) and D unknown here: k is inferred as
 *   the one exponent with floor(feature / 10^k) = layer for every feature node of layer ≥ 1. If no single k fits
 *   (e.g. a generator that wrote raw indices), the feature index comes from `node_id` = `{layer}_{featIdx}_{pos}`.
 */
import { readFile, stat } from 'node:fs/promises';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { z } from 'zod';
import schema from '../../shared/schemas/neuronpedia-graph-schema.json';
import { UserError } from '../errors';
import { cantorUnpair, FEATURE_TYPE, WORKBENCH_KEY, type GraphNodeKind, type ImportedGraph, type ParsedLink, type ParsedNode, type WorkbenchGraphInfo } from './graphJsonTypes';
import { formatBytes, parseJsonSafely, quoteForMessage as q, type JsonLimits, type JsonObject, type JsonValue } from './safeJson';

/** 200 MB: far above real graphs (~2 MB for a short prompt), low enough to refuse a runaway file before parsing. */
export const GRAPH_JSON_LIMITS: JsonLimits = { maxBytes: 200 * 1024 * 1024, maxDepth: 64 };

let validator: ValidateFunction | null = null;

/**
 * Schema errors as `<JSON pointer>: <message>`, empty when valid. `strict: false` because the schema uses the
 * 2020-12 keyword `prefixItems` and a top-level `version`, which draft-07 does not know (they are ignored).
 */
export function validateGraphJsonSchema(value: unknown): string[] {
  validator ??= new Ajv({ allErrors: true, strict: false }).compile(schema);
  if (validator(value)) return [];
  return (validator.errors ?? []).map((e: ErrorObject) => `${e.instancePath || '/'}: ${e.message ?? e.keyword}`);
}

const EMPTY: JsonObject = Object.freeze({});
const NODE_KEYS = new Set(['node_id', 'feature', 'layer', 'ctx_idx', 'feature_type', 'token_prob', 'is_target_logit', 'run_idx', 'reverse_ctx_idx', 'jsNodeId', 'clerp', 'influence', 'activation']);
const LINK_KEYS = new Set(['source', 'target', 'weight']);
const META_KEYS = new Set(['slug', 'scan', 'transcoder_list', 'prompt_tokens', 'prompt', 'node_threshold', 'schema_version']);
const TOP_KEYS = new Set(['metadata', 'qParams', 'nodes', 'links']);
const KIND_BY_TYPE = new Map<string, GraphNodeKind>(Object.entries(FEATURE_TYPE).map(([k, v]) => [v, k as GraphNodeKind]));

/** What the schema guarantees once validation passed (fields it does not list stay JsonValue). */
type RawNode = JsonObject & { node_id: string; feature: number | null; layer: string | number; ctx_idx: number; feature_type: string; jsNodeId: string; clerp: string };
type RawLink = JsonObject & { source: string; target: string; weight: number };
interface RawDoc {
  metadata: JsonObject & { slug: string; scan: string; prompt_tokens: string[]; prompt: string };
  qParams: JsonObject;
  nodes: RawNode[];
  links: RawLink[];
}

function extraKeys(o: JsonObject, known: ReadonlySet<string>): JsonObject {
  let extra: Record<string, JsonValue> | null = null;
  for (const k of Object.keys(o)) if (!known.has(k)) (extra ??= {})[k] = o[k];
  return extra ?? EMPTY;
}

const nat = z.number().int().nonnegative();
const workbenchSchema = z.object({
  formatVersion: z.literal(1),
  model: z.object({ name: z.string(), fingerprint: z.string() }),
  dictionary: z.object({ name: z.string(), fingerprint: z.string(), kind: z.enum(['plt', 'clt']) }),
  settings: z.object({ maxFeatureNodes: nat.nullable(), batchSize: nat, maxLogits: nat, desiredLogitProb: z.number(), targetMode: z.enum(['salient', 'tokens', 'contrast', 'custom']) }),
  tokens: z.array(nat),
  nLayers: nat,
  nPos: nat,
  vocabSize: nat,
  activeFeatureCount: nat,
  featureCount: nat,
  nodeThreshold: z.number(),
  edgeThreshold: z.number().nullable(),
});

function layerNumber(v: string | number): number | null {
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? v : null;
  return /^\d{1,9}$/.test(v) ? Number(v) : null;
}

/** Schema 0: the one 10^k with floor(feature / 10^k) = layer for every feature node of layer ≥ 1, else null. */
function inferFeatureScale(raw: readonly RawNode[], kinds: readonly GraphNodeKind[]): number | null {
  let k: number | null = null;
  for (let i = 0; i < raw.length; i++) {
    const layer = layerNumber(raw[i].layer);
    const f = raw[i].feature;
    if (kinds[i] !== 'feature' || layer === null || layer < 1 || f === null) continue;
    let fit: number | null = null;
    for (let e = 1; e <= 15 && fit === null; e++) if (Math.floor(f / 10 ** e) === layer) fit = e;
    if (fit === null || (k !== null && fit !== k)) return null;
    k = fit;
  }
  return k === null ? null : 10 ** k;
}

interface Ctx {
  readonly what: string;
  readonly schemaVersion: 0 | 1;
  readonly scale: number | null;
  readonly nTokens: number;
  legacyErrorIds: number;
}

function parseNode(r: RawNode, i: number, kind: GraphNodeKind, ctx: Ctx): ParsedNode {
  const fail = (msg: string) => new UserError(`${ctx.what}: node ${i} (${q(r.node_id)}): ${msg}`);
  const pos = r.ctx_idx;
  if (pos < 0 || pos >= ctx.nTokens) throw fail(`ctx_idx ${pos} is outside the prompt's ${ctx.nTokens} tokens`);
  const opt = <T extends JsonValue>(key: string, ok: (v: JsonValue) => v is T, dflt: NoInfer<T>, want: string): T => {
    const v = r[key];
    if (v === undefined) return dflt;
    if (!ok(v)) throw fail(`${key} must be ${want}`);
    return v;
  };
  const isNum = (v: JsonValue): v is number => typeof v === 'number';
  const isInt = (v: JsonValue): v is number => Number.isSafeInteger(v);
  const isBool = (v: JsonValue): v is boolean => typeof v === 'boolean';
  const isNumOrNull = (v: JsonValue): v is number | null => v === null || typeof v === 'number';
  const f = r.feature;
  if (f !== null && !Number.isSafeInteger(f)) throw fail(`feature ${f} is not an exact integer`);
  const layer = kind === 'token' ? null : layerNumber(r.layer);
  if (kind !== 'token' && layer === null) throw fail(`layer ${q(String(r.layer))} is not a non-negative integer`);
  let featureIdx: number | null = null;
  let tokenId: number | null = null;
  let vocabIdx: number | null = null;
  const idParts = /^(\d{1,9})_(\d{1,15})_(\d{1,9})$/.exec(r.node_id);
  if (kind === 'feature') {
    const fromId = idParts && Number(idParts[1]) === layer && Number(idParts[3]) === pos ? Number(idParts[2]) : null;
    let decoded: number | null = null;
    if (f !== null && ctx.schemaVersion === 1) {
      const u = cantorUnpair(f);
      if (u === null) throw fail(`feature ${f} is not a cantor-paired id (schema_version 1)`);
      if (u.layer !== layer) throw fail(`feature ${f} decodes to layer ${u.layer}, but the node's layer is ${layer}`);
      decoded = u.featIdx;
    } else if (f !== null && (layer === 0 || ctx.scale !== null)) {
      decoded = f - (layer as number) * (ctx.scale ?? 0);
      if (decoded < 0 || (ctx.scale !== null && decoded >= ctx.scale)) throw fail(`schema-0 feature id ${f} does not fit layer ${layer}`);
    }
    if (decoded !== null && fromId !== null && decoded !== fromId) throw fail(`feature ${f} means feature index ${decoded}, but node_id says ${fromId}`);
    featureIdx = decoded ?? fromId;
    if (featureIdx === null) throw fail('cannot tell the feature index: node_id is not "{layer}_{featIdx}_{pos}" and feature cannot be decoded');
  } else if (kind === 'error') {
    if (r.node_id === `0_${layer}_${pos}` && layer !== 0) ctx.legacyErrorIds++; // "0_0_p" is ambiguous; count it as new
  } else if (kind === 'token') {
    const m = /^E_(\d{1,15})_(\d{1,9})$/.exec(r.node_id);
    if (!m || Number(m[2]) !== pos) throw fail(`an embedding node's id must be "E_{tokenId}_{ctx_idx}"`);
    tokenId = Number(m[1]);
  } else {
    vocabIdx = f !== null && f >= 0 ? f : idParts ? Number(idParts[2]) : null;
    if (vocabIdx === null) throw fail('a logit node needs its vocabulary index in feature (or node_id "{layer}_{vocabIdx}_{pos}")');
  }
  return {
    kind, nodeId: r.node_id, jsNodeId: r.jsNodeId, feature: f, layerLabel: r.layer, layer, pos, featureIdx, tokenId, vocabIdx,
    featureType: r.feature_type,
    tokenProb: opt('token_prob', isNum, 0, 'a number'),
    isTargetLogit: opt('is_target_logit', isBool, false, 'true or false'),
    runIdx: opt('run_idx', isInt, 0, 'an integer'),
    reverseCtxIdx: opt('reverse_ctx_idx', isInt, 0, 'an integer'),
    clerp: r.clerp,
    influence: opt('influence', isNumOrNull, null, 'a number or null'),
    activation: opt('activation', isNumOrNull, null, 'a number or null'),
    extra: extraKeys(r, NODE_KEYS),
  };
}

function readMetadata(m: RawDoc['metadata'], what: string) {
  const extra: Record<string, JsonValue> = { ...extraKeys(m, META_KEYS) };
  const tl = m.transcoder_list;
  if (tl !== undefined && !(Array.isArray(tl) && tl.every((s) => typeof s === 'string'))) throw new UserError(`${what}: metadata.transcoder_list must be a list of strings`);
  // A present-but-null value stays in `extra`, so that re-export writes it back as it was.
  const nt = m.node_threshold;
  if (nt === null) extra.node_threshold = null;
  const sv = m.schema_version;
  if (sv === null) extra.schema_version = null;
  else if (sv !== undefined && !(sv === 0 || sv === 1)) {
    throw new UserError(`${what}: metadata.schema_version ${JSON.stringify(sv)} is not supported (this reader knows 0 and 1)`);
  }
  return {
    slug: m.slug, scan: m.scan, transcoderList: tl === undefined ? null : (tl as string[]), promptTokens: m.prompt_tokens, prompt: m.prompt,
    nodeThreshold: typeof nt === 'number' ? nt : null, schemaVersion: typeof sv === 'number' ? sv : null, extra,
  };
}

function readWorkbench(v: JsonValue | undefined, what: string): WorkbenchGraphInfo | null {
  if (v === undefined) return null;
  const r = workbenchSchema.safeParse(v);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new UserError(`${what}: metadata.${WORKBENCH_KEY}.${issue.path.join('.')}: ${issue.message}`);
  }
  return r.data;
}

/** Parses and validates graph JSON text (see the module comment). `source` names the input in messages. */
export function importGraphJson(text: string, source: string, limits: Partial<JsonLimits> = {}): ImportedGraph {
  const what = `graph JSON ${source}`;
  const root = parseJsonSafely(text, what, { ...GRAPH_JSON_LIMITS, ...limits });
  const errors = validateGraphJsonSchema(root);
  if (errors.length > 0) {
    const more = errors.length > 3 ? ` (and ${errors.length - 3} more)` : '';
    throw new UserError(`${what} does not match the graph schema: ${errors.slice(0, 3).join('; ')}${more}`);
  }
  const doc = root as unknown as RawDoc;
  const metadata = readMetadata(doc.metadata, what);
  const kinds = doc.nodes.map((n, i) => {
    const k = KIND_BY_TYPE.get(n.feature_type);
    if (k === undefined) {
      throw new UserError(`${what}: node ${i} (${q(n.node_id)}) has unknown feature_type ${q(n.feature_type)} (expected one of ${[...KIND_BY_TYPE.keys()].map((s) => `"${s}"`).join(', ')})`);
    }
    return k;
  });
  const schemaVersion: 0 | 1 = metadata.schemaVersion === 1 ? 1 : 0;
  const scale = schemaVersion === 0 ? inferFeatureScale(doc.nodes, kinds) : null;
  const ctx: Ctx = { what, schemaVersion, scale, nTokens: metadata.promptTokens.length, legacyErrorIds: 0 };
  const nodes = doc.nodes.map((n, i) => parseNode(n, i, kinds[i], ctx));
  const byId = new Set<string>();
  for (const n of nodes) {
    if (byId.has(n.nodeId)) throw new UserError(`${what}: two nodes have the id ${q(n.nodeId)}, so links to it are ambiguous (old files can collide a layer-0 feature with a legacy error id)`);
    byId.add(n.nodeId);
  }
  const links: ParsedLink[] = doc.links.map((l, i) => {
    for (const end of [l.source, l.target]) if (!byId.has(end)) throw new UserError(`${what}: link ${i} refers to a missing node ${q(end)}`);
    return { source: l.source, target: l.target, weight: l.weight, extra: extraKeys(l, LINK_KEYS) };
  });
  return {
    source, metadata, qParams: doc.qParams, nodes, links,
    extra: extraKeys(root as JsonObject, TOP_KEYS),
    workbench: readWorkbench(metadata.extra[WORKBENCH_KEY], what),
    legacy: { featureIdSchema: schemaVersion, featureIdScale: scale, legacyErrorIds: ctx.legacyErrorIds },
  };
}

/** Reads a graph JSON file: the size limit is checked on the file before anything is read. */
export async function importGraphJsonFile(file: string, limits: Partial<JsonLimits> = {}): Promise<ImportedGraph> {
  const lim = { ...GRAPH_JSON_LIMITS, ...limits };
  let bytes: Uint8Array;
  try {
    const st = await stat(file);
    if (!st.isFile()) throw new UserError(`graph JSON ${file} is not a file`);
    if (st.size > lim.maxBytes) throw new UserError(`graph JSON ${file} is ${formatBytes(st.size)}, over the ${formatBytes(lim.maxBytes)} limit`);
    bytes = await readFile(file);
  } catch (e) {
    if (e instanceof UserError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`cannot read graph JSON ${file}: ${code === 'ENOENT' ? 'no such file' : (code ?? String(e))}`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes); // also drops a leading BOM
  } catch {
    throw new UserError(`graph JSON ${file} is not valid UTF-8`);
  }
  return importGraphJson(text, file, lim);
}
