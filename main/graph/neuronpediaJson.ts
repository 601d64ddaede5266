/**
 * The frontend graph JSON of circuit-tracer / Neuronpedia (method brief §5.4): export of an AttributionGraph plus
 * its pruning result, re-export of an imported graph, and the canonical stringify. Import lives in
 * neuronpediaImport.ts and is re-exported here so that callers need one module.
 *
 * Export follows circuit-tracer's create_graph_files: nodes in node order (features → errors → tokens → logits),
 * links in row-major order of the adjacency (target ascending, then source ascending).
 */
import { graphLayout, NodeKind, type AttributionGraph } from '../../shared/graph';
import { UserError } from '../errors';
import {
  cantorPair,
  errorJsNodeId,
  FEATURE_TYPE,
  logitClerp,
  WORKBENCH_KEY,
  type GraphJson,
  type GraphJsonLink,
  type GraphJsonNode,
  type GraphJsonNodeFields,
  type ImportedGraph,
  type ParsedNode,
  type QParamsInput,
  type WorkbenchGraphInfo,
} from './graphJsonTypes';
import { RESERVED_KEYS, stringifyCanonical, type JsonObject, type JsonValue } from './safeJson';

export * from './graphJsonTypes';
export { importGraphJson, importGraphJsonFile, GRAPH_JSON_LIMITS, validateGraphJsonSchema } from './neuronpediaImport';

export interface PrunedGraph {
  /** N entries; nonzero = node kept. Token and logit nodes are emitted whatever their mask says. */
  readonly nodeMask: Uint8Array;
  /** Whether edge (target t ← source s) survived pruning. Only asked about nonzero adjacency entries. */
  readonly edgeKept: (t: number, s: number) => boolean;
  /** N entries: cumulative influence fraction (§3.3), written as `influence`. */
  readonly cumulativeScores: Float32Array;
}

export interface GeneratorInfo {
  readonly name: string;
  readonly version: string;
  readonly url?: string;
  /** Left out unless given, so that exporting the same graph twice gives the same bytes. */
  readonly createTimeMs?: number;
}

export interface ExportGraphOptions {
  readonly slug: string;
  /** Transcoder-set / model identifier (Neuronpedia uses it as the model id). */
  readonly scan: string;
  readonly nodeThreshold: number;
  readonly edgeThreshold?: number;
  /** Clerps by graph node index or by JSON node_id (index wins). Ignored for logits, whose clerp is fixed. */
  readonly labels?: ReadonlyMap<string | number, string>;
  readonly qParams?: QParamsInput;
  readonly info?: GeneratorInfo;
}

const EMPTY: JsonObject = Object.freeze({});

function finite(x: number, what: string): number {
  if (!Number.isFinite(x)) throw new UserError(`cannot export the graph: ${what} is ${x}`);
  return x === 0 ? 0 : x; // -0 would print as 0 and then not deep-equal itself after a round trip
}

export function buildQParams(q: QParamsInput = {}): JsonObject {
  const out: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries(q.extra ?? {})) {
    if (RESERVED_KEYS.has(k)) throw new UserError(`qParams key ${JSON.stringify(k)} is not allowed`);
    out[k] = v;
  }
  out.pinnedIds = [...(q.pinnedIds ?? [])];
  out.supernodes = (q.supernodes ?? []).map((s) => [...s]);
  out.linkType = q.linkType ?? 'both';
  out.clickedId = q.clickedId ?? '';
  out.sg_pos = q.sg_pos ?? '';
  if (q.pruningThreshold !== undefined) out.pruningThreshold = finite(q.pruningThreshold, 'qParams.pruningThreshold');
  if (q.clerps !== undefined) out.clerps = typeof q.clerps === 'string' ? q.clerps : JSON.stringify([...q.clerps]);
  return out;
}

function metadataFor(g: AttributionGraph, opts: ExportGraphOptions): JsonObject {
  const s = g.settings;
  const generation: Record<string, JsonValue> = { max_n_logits: s.maxLogits, desired_logit_prob: s.desiredLogitProb, batch_size: s.batchSize };
  if (s.maxFeatureNodes !== null) generation.max_feature_nodes = s.maxFeatureNodes; // the schema wants an integer, not null
  const pruning: Record<string, JsonValue> = { node_threshold: opts.nodeThreshold };
  if (opts.edgeThreshold !== undefined) pruning.edge_threshold = opts.edgeThreshold;
  const workbench: WorkbenchGraphInfo = {
    formatVersion: 1,
    model: { name: g.model.name, fingerprint: g.model.fingerprint },
    dictionary: { name: g.dictionary.name, fingerprint: g.dictionary.fingerprint, kind: g.dictionary.kind },
    settings: { ...s },
    tokens: [...g.tokens],
    nLayers: g.nLayers,
    nPos: g.nPos,
    vocabSize: g.vocabSize,
    activeFeatureCount: g.activeFeatureCount,
    featureCount: g.features.layer.length,
    nodeThreshold: opts.nodeThreshold,
    edgeThreshold: opts.edgeThreshold ?? null,
  };
  const meta: Record<string, JsonValue> = {
    slug: opts.slug,
    scan: opts.scan,
    transcoder_list: [],
    prompt_tokens: [...g.tokenTexts],
    prompt: g.prompt,
    node_threshold: finite(opts.nodeThreshold, 'the node threshold'),
    schema_version: 1,
    generation_settings: generation,
    pruning_settings: pruning,
    [WORKBENCH_KEY]: workbench as unknown as JsonObject,
  };
  if (opts.info) {
    const gen: Record<string, JsonValue> = { name: opts.info.name, version: opts.info.version };
    if (opts.info.url !== undefined) gen.url = opts.info.url;
    const info: Record<string, JsonValue> = { generator: gen };
    if (opts.info.createTimeMs !== undefined) info.create_time_ms = opts.info.createTimeMs;
    meta.info = info;
  }
  return meta;
}

function checkShapes(g: AttributionGraph, p: PrunedGraph, N: number): void {
  const bad = (what: string, got: number, want: number) => {
    if (got !== want) throw new UserError(`cannot export the graph: ${what} has ${got} entries but the graph has ${want}`);
  };
  bad('the adjacency', g.adjacency.length, N * N);
  bad('the node mask', p.nodeMask.length, N);
  bad('the cumulative scores', p.cumulativeScores.length, N);
  bad('tokenTexts', g.tokenTexts.length, g.nPos);
  bad('tokens', g.tokens.length, g.nPos);
  const F = g.features.layer.length;
  bad('features.pos', g.features.pos.length, F);
  bad('features.index', g.features.index.length, F);
  bad('features.activation', g.features.activation.length, F);
}

/** The graph JSON object for a pruned graph (see the module comment and §5.4 for every field). */
export function exportGraphJson(graph: AttributionGraph, pruned: PrunedGraph, opts: ExportGraphOptions): GraphJson {
  const lay = graphLayout(graph);
  const { N, L, T, F } = lay;
  checkShapes(graph, pruned, N);
  const A = graph.adjacency;
  // Candidates: kept nodes plus every token and logit node (always emitted, §5.4).
  const candidates: number[] = [];
  for (let n = 0; n < N; n++) if (n >= lay.tokenStart || pruned.nodeMask[n]) candidates.push(n);
  const used = new Uint8Array(N);
  const edges: number[] = []; // flat (t, s) pairs
  for (const t of candidates) {
    const row = t * N;
    for (const s of candidates) {
      // Zero entries are no edge at all (error/token rows, logit columns), whatever edgeKept says.
      if (A[row + s] !== 0 && pruned.edgeKept(t, s)) {
        edges.push(t, s);
        used[t] = used[s] = 1;
      }
    }
  }
  const ids: string[] = new Array<string>(N);
  const nodes: GraphJsonNode[] = [];
  const clerpOf = (n: number, id: string) => opts.labels?.get(n) ?? opts.labels?.get(id) ?? '';
  const node = (n: number, f: Omit<GraphJsonNodeFields, 'token_prob' | 'is_target_logit' | 'run_idx' | 'reverse_ctx_idx' | 'clerp' | 'influence'>, extra: Partial<GraphJsonNodeFields> = {}) => {
    ids[n] = f.node_id;
    const influence = lay.kindOf(n) === NodeKind.logit ? null : finite(pruned.cumulativeScores[n], `the cumulative score of node ${n}`);
    nodes.push({ ...f, token_prob: 0, is_target_logit: false, run_idx: 0, reverse_ctx_idx: 0, clerp: clerpOf(n, f.node_id), influence, ...extra });
  };
  for (const n of candidates) {
    const kind = lay.kindOf(n);
    if (kind === NodeKind.feature && used[n]) {
      const layer = graph.features.layer[n];
      const idx = graph.features.index[n];
      const pos = graph.features.pos[n];
      const feature = cantorPair(layer, idx);
      if (!Number.isSafeInteger(feature)) throw new UserError(`cannot export the graph: cantor id of layer ${layer}, feature ${idx} is not an exact integer`);
      node(n, {
        node_id: `${layer}_${idx}_${pos}`, feature, layer: String(layer), ctx_idx: pos, feature_type: FEATURE_TYPE.feature,
        jsNodeId: `${layer}_${idx}-0`, activation: finite(graph.features.activation[n], `the activation of feature node ${n}`),
      });
    } else if (kind === NodeKind.error && used[n]) {
      const layer = Math.floor((n - F) / T);
      const pos = (n - F) % T;
      node(n, { node_id: `${layer}_-1_${pos}`, feature: -1, layer: String(layer), ctx_idx: pos, feature_type: FEATURE_TYPE.error, jsNodeId: errorJsNodeId(layer, pos), activation: null });
    } else if (kind === NodeKind.token) {
      const pos = n - lay.tokenStart;
      const tok = graph.tokens[pos];
      node(n, { node_id: `E_${tok}_${pos}`, feature: pos, layer: 'E', ctx_idx: pos, feature_type: FEATURE_TYPE.token, jsNodeId: `E_${tok}-${pos}`, activation: null });
    } else if (kind === NodeKind.logit) {
      const k = n - lay.logitStart;
      const t = graph.targets[k];
      const p = finite(t.weight, `the weight of target ${k}`);
      node(
        n,
        { node_id: `${L + 1}_${t.vocabIdx}_${T - 1}`, feature: t.vocabIdx, layer: String(L + 1), ctx_idx: T - 1, feature_type: FEATURE_TYPE.logit, jsNodeId: `L_${t.vocabIdx}-${T - 1}`, activation: null },
        { token_prob: p, is_target_logit: k === 0, clerp: logitClerp(t.label, p) },
      );
    }
  }
  const seen = new Set<string>();
  for (const nd of nodes) {
    if (seen.has(nd.node_id)) throw new UserError(`cannot export the graph: two nodes have the id ${JSON.stringify(nd.node_id)} (duplicate feature or target)`);
    seen.add(nd.node_id);
  }
  const links: GraphJsonLink[] = [];
  for (let i = 0; i < edges.length; i += 2) {
    const t = edges[i];
    const s = edges[i + 1];
    links.push({ source: ids[s], target: ids[t], weight: finite(A[t * N + s], `edge ${t} ← ${s}`) });
  }
  return { metadata: metadataFor(graph, opts), qParams: buildQParams(opts.qParams), nodes, links };
}

function nodeToJson(n: ParsedNode): GraphJsonNode {
  return {
    ...n.extra,
    node_id: n.nodeId,
    feature: n.feature,
    layer: n.layerLabel,
    ctx_idx: n.pos,
    feature_type: n.featureType,
    token_prob: n.tokenProb,
    is_target_logit: n.isTargetLogit,
    run_idx: n.runIdx,
    reverse_ctx_idx: n.reverseCtxIdx,
    jsNodeId: n.jsNodeId,
    clerp: n.clerp,
    influence: n.influence,
    activation: n.activation,
  };
}

/**
 * An imported graph as JSON again. Every key of the input is kept; optional node fields that were absent come back
 * with their circuit-tracer defaults (token_prob 0, is_target_logit false, run_idx/reverse_ctx_idx 0, null
 * influence/activation), and metadata keys that were absent stay absent.
 */
export function exportImportedGraphJson(g: ImportedGraph): GraphJson {
  const m = g.metadata;
  const metadata: Record<string, JsonValue> = { ...m.extra, slug: m.slug, scan: m.scan, prompt_tokens: [...m.promptTokens], prompt: m.prompt };
  if (m.transcoderList !== null) metadata.transcoder_list = [...m.transcoderList];
  if (m.nodeThreshold !== null) metadata.node_threshold = m.nodeThreshold;
  if (m.schemaVersion !== null) metadata.schema_version = m.schemaVersion;
  return {
    ...g.extra,
    metadata,
    qParams: g.qParams,
    nodes: g.nodes.map(nodeToJson),
    links: g.links.map((l) => (l.extra === EMPTY || Object.keys(l.extra).length === 0 ? { source: l.source, target: l.target, weight: l.weight } : { ...l.extra, source: l.source, target: l.target, weight: l.weight })),
  };
}

/** Canonical text of a graph JSON object: sorted keys, no whitespace (see stringifyCanonical). */
export function stringifyGraphJson(obj: GraphJson | JsonObject): string {
  return stringifyCanonical(obj);
}
