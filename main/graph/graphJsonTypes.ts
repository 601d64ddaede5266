/**
 * Types and id conventions of the circuit-tracer / Neuronpedia graph JSON (method brief §5.4), shared by the
 * exporter (neuronpediaJson.ts) and the importer (neuronpediaImport.ts).
 */
import type { AttributionSettings } from '../../shared/graph';
import type { JsonObject, JsonValue } from './safeJson';

export const FEATURE_TYPE = {
  feature: 'cross layer transcoder', // also for per-layer transcoders: the frontend knows no other name
  error: 'mlp reconstruction error',
  token: 'embedding',
  logit: 'logit',
} as const;
export type GraphNodeKind = keyof typeof FEATURE_TYPE;

/** Where the workbench keeps its own extras: the schema allows additional properties in `metadata`. */
export const WORKBENCH_KEY = 'circuit_workbench';

/** The fields circuit-tracer writes for every node (the schema requires only some of them). */
export interface GraphJsonNodeFields {
  node_id: string;
  feature: number | null;
  layer: string | number;
  ctx_idx: number;
  feature_type: string;
  token_prob: number;
  is_target_logit: boolean;
  run_idx: number;
  reverse_ctx_idx: number;
  jsNodeId: string;
  clerp: string;
  influence: number | null;
  activation: number | null;
}
export type GraphJsonNode = GraphJsonNodeFields & { [extra: string]: JsonValue };

export interface GraphJsonLink {
  source: string;
  target: string;
  weight: number;
  [extra: string]: JsonValue;
}

/** The whole document, as `JSON.parse` of a graph file would give it. */
export interface GraphJson {
  metadata: JsonObject;
  qParams: JsonObject;
  nodes: GraphJsonNode[];
  links: GraphJsonLink[];
  [extra: string]: JsonValue;
}

/** UI state saved with a graph. Defaults: no pins, no supernodes, linkType "both", nothing clicked. */
export interface QParamsInput {
  readonly pinnedIds?: readonly string[];
  /** Each supernode: `[name, nodeId, nodeId, …]`. */
  readonly supernodes?: readonly (readonly string[])[];
  readonly linkType?: string;
  readonly clickedId?: string;
  readonly sg_pos?: string;
  readonly pruningThreshold?: number;
  /** Label overrides; the frontend stores them as the JSON text of `[[featureId, label], …]`, so a Map is encoded so. */
  readonly clerps?: string | ReadonlyMap<string, string>;
  /** Any other keys, kept as given. */
  readonly extra?: JsonObject;
}

/** What the workbench writes under `metadata.circuit_workbench` (read back as `ImportedGraph.workbench`). */
export interface WorkbenchGraphInfo {
  readonly formatVersion: 1;
  readonly model: { readonly name: string; readonly fingerprint: string };
  readonly dictionary: { readonly name: string; readonly fingerprint: string; readonly kind: 'plt' | 'clt' };
  readonly settings: AttributionSettings;
  readonly tokens: readonly number[];
  readonly nLayers: number;
  readonly nPos: number;
  readonly vocabSize: number;
  readonly activeFeatureCount: number;
  readonly featureCount: number;
  readonly nodeThreshold: number;
  readonly edgeThreshold: number | null;
}

export interface ParsedNode {
  readonly kind: GraphNodeKind;
  /** `node_id` exactly as given (links refer to it). */
  readonly nodeId: string;
  readonly jsNodeId: string;
  /** `feature` exactly as given (cantor id, schema-0 id, -1, position or vocabulary index). */
  readonly feature: number | null;
  /** `layer` exactly as given (a string such as "3" or "E"; the schema also allows integers). */
  readonly layerLabel: string | number;
  /** Numeric layer: the transcoder layer for features/errors, L+1 for logits, null for embeddings. */
  readonly layer: number | null;
  /** `ctx_idx`. */
  readonly pos: number;
  /** Features: the index within the layer's dictionary. */
  readonly featureIdx: number | null;
  /** Embeddings: the prompt token id. */
  readonly tokenId: number | null;
  /** Logits: the vocabulary index (≥ vocab size for a custom target). */
  readonly vocabIdx: number | null;
  readonly featureType: string;
  readonly tokenProb: number;
  readonly isTargetLogit: boolean;
  readonly runIdx: number;
  readonly reverseCtxIdx: number;
  readonly clerp: string;
  /** Cumulative influence score (small = important), or null. */
  readonly influence: number | null;
  readonly activation: number | null;
  /** Keys this format does not define, kept as given so that a re-export loses nothing. */
  readonly extra: JsonObject;
}

export interface ParsedLink {
  readonly source: string;
  readonly target: string;
  /** Raw signed A[target, source]. */
  readonly weight: number;
  readonly extra: JsonObject;
}

export interface ImportedGraphMetadata {
  readonly slug: string;
  readonly scan: string;
  /** null when the file has no `transcoder_list` (it is written back only if it was there). */
  readonly transcoderList: readonly string[] | null;
  readonly promptTokens: readonly string[];
  readonly prompt: string;
  readonly nodeThreshold: number | null;
  /** As given; null when absent (which the importer reads as schema 0). */
  readonly schemaVersion: number | null;
  /** info, generation_settings, pruning_settings, feature_details, circuit_workbench, …: kept as given. */
  readonly extra: JsonObject;
}

export interface ImportedGraph {
  readonly source: string;
  readonly metadata: ImportedGraphMetadata;
  readonly qParams: JsonObject;
  readonly nodes: readonly ParsedNode[];
  readonly links: readonly ParsedLink[];
  /** Top-level keys other than metadata/qParams/nodes/links (e.g. `qk_only_nodes`), kept as given. */
  readonly extra: JsonObject;
  /** `metadata.circuit_workbench`, validated, when the graph was written by the workbench. */
  readonly workbench: WorkbenchGraphInfo | null;
  /** What was inferred while reading older formats. */
  readonly legacy: {
    /** The feature-id encoding used: 1 = cantor(layer, featIdx); 0 = featIdx + layer·scale. */
    readonly featureIdSchema: 0 | 1;
    /** Schema 0: the inferred 10^ceil(log10 D), or null when it could not be inferred (ids came from node_id). */
    readonly featureIdScale: number | null;
    /** How many error nodes used the pre-2026 id `0_{layer}_{pos}`. */
    readonly legacyErrorIds: number;
  };
}

/** Cantor pairing, as circuit-tracer's `cantor_pairing(layer, feat_idx)`: (l+f)(l+f+1)/2 + f. */
export function cantorPair(layer: number, featIdx: number): number {
  const s = layer + featIdx;
  return (s * (s + 1)) / 2 + featIdx;
}

/** Inverse of cantorPair for a non-negative safe integer, or null when the result would not be exact. */
export function cantorUnpair(z: number): { layer: number; featIdx: number } | null {
  if (!Number.isSafeInteger(z) || z < 0) return null;
  let w = Math.floor((Math.sqrt(8 * z + 1) - 1) / 2);
  // sqrt is inexact for large z: step w until T(w) ≤ z < T(w+1).
  while (w > 0 && (w * (w + 1)) / 2 > z) w--;
  while (((w + 1) * (w + 2)) / 2 <= z) w++;
  const featIdx = z - (w * (w + 1)) / 2;
  const layer = w - featIdx;
  if (!Number.isSafeInteger((w * (w + 1)) / 2)) return null;
  return { layer, featIdx };
}

/**
 * Error-node jsNodeId. The brief's table gives `{layer}_{pos}-0`, but that aliases the feature with featIdx = pos
 * at the same layer (both "1_1-0"; hovering one highlights the other in the frontend). circuit-tracer's follow-up
 * to PR #102 (tests/test_node_id_format.py) moved to `{layer}_-1-{pos}`, which can never alias: emit that.
 */
export const errorJsNodeId = (layer: number, pos: number): string => `${layer}_-1-${pos}`;

/**
 * The logit clerp the frontend parses: text between the quotes = token, number after `(p=` = probability. The
 * probability is printed like Python's `f"{p:.3f}"` (round half to even on the exact binary value); JS toFixed
 * rounds ties up instead, and ties do occur for exact sixteenths such as 0.0625.
 */
export function logitClerp(token: string, p: number): string {
  return `Output "${token}" (p=${formatFixed3(p)})`;
}

export function formatFixed3(x: number): string {
  const k = x * 1000;
  // Exact .5 ties at 3 decimals are the odd multiples of 1/16 (x·1000 is then exact in binary).
  if (Number.isFinite(k) && Math.abs(k) < 2 ** 52 && k - Math.floor(k) === 0.5) {
    const lo = Math.floor(k);
    const n = lo % 2 === 0 ? lo : lo + 1;
    const neg = n < 0 || (n === 0 && x < 0);
    const a = Math.abs(n);
    return `${neg ? '-' : ''}${Math.floor(a / 1000)}.${String(a % 1000).padStart(3, '0')}`;
  }
  return x.toFixed(3);
}
