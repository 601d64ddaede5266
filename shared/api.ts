/**
 * The one typed API between the renderer and the engine. Every transport (Electron IPC through the preload,
 * the local WebSocket server in browser mode, the engine host child process) carries the same envelope:
 * the client sends `call` / `cancel` messages, the engine answers with `progress`* then one `result` or
 * `error` for the same request id. Params are validated on the engine side with the zod schemas below, so a
 * malformed payload from any transport becomes a `bad-request` error, never an exception in the engine.
 */
import { z } from 'zod';
import type { FeatureCard } from './featureCard';
import { explainApiParams, type ExplainApiResults } from './apiExplain';
import { diffApiParams, type DiffApiResults } from './apiDiff';
import { monitorApiParams, type MonitorApiResults } from './apiMonitor';

export const API_VERSION = 1;

// ---------------------------------------------------------------------------------------------- info types

export interface ModelInfo {
  readonly name: string;
  readonly fingerprint: string;
  /** Absolute path on the engine's machine (display only). */
  readonly path: string;
  readonly embedded: boolean;
  readonly parameters: number;
  readonly nLayers: number;
  readonly dModel: number;
  readonly vocabSize: number;
  readonly maxSeqLen: number;
}

export interface DictionaryInfo {
  readonly name: string;
  readonly fingerprint: string;
  readonly path: string;
  readonly embedded: boolean;
  readonly kind: 'plt' | 'clt';
  readonly featuresPerLayer: number;
  /** Whether a feature index (cards: top contexts, histograms) exists for it. */
  readonly hasFeatureIndex: boolean;
}

export interface SessionInfo {
  readonly apiVersion: number;
  readonly appVersion: string;
  /** Browser mode: the only folder the engine reads or writes for the client. null: unrestricted (Electron). */
  readonly workspace: string | null;
  readonly model: ModelInfo;
  /** null when no dictionary matching the model is open (tracing is then unavailable). */
  readonly dictionary: DictionaryInfo | null;
}

export interface TokenInfo {
  readonly id: number;
  readonly text: string;
}

export interface Prediction extends TokenInfo {
  readonly prob: number;
}

export interface PromptAnalysis {
  /** BOS first. */
  readonly tokens: readonly TokenInfo[];
  /** Top next-token predictions at the last position, most probable first. */
  readonly top: readonly Prediction[];
}

// ---------------------------------------------------------------------------------------------- graphs

export type GraphNodeKind = 'feature' | 'error' | 'token' | 'logit';

export interface GraphNode {
  /** Index in the graph's node order (features → errors → tokens → logits). */
  readonly index: number;
  /** circuit-tracer / Neuronpedia node_id, e.g. "3_117_5" (layer_feature_pos), "E_26_0", "7_432_5". */
  readonly id: string;
  readonly kind: GraphNodeKind;
  /** Token: -1 (embedding); feature/error: transcoder layer; logit: nLayers. */
  readonly layer: number;
  readonly pos: number;
  /** Feature index within its layer (features only). */
  readonly feature: number | null;
  /** Feature activation (features only). */
  readonly activation: number | null;
  /** Logit targets: probability (or custom weight). */
  readonly prob: number | null;
  /** Influence on the targets in the unpruned graph, as a fraction of the total (0–1, larger = more important). */
  readonly influence: number;
  /** Short display label: token text, "L3 #117", "err L3", logit token text. */
  readonly label: string;
}

export interface GraphScoresInfo {
  readonly replacement: number;
  readonly completeness: number;
}

export interface GraphSummary {
  readonly graphId: string;
  /** Where it came from: a trace on this engine, or a file that was opened. */
  readonly source: { readonly kind: 'trace' } | { readonly kind: 'file'; readonly path: string };
  readonly prompt: string;
  readonly tokens: readonly TokenInfo[];
  readonly nLayers: number;
  readonly nPos: number;
  readonly nodes: readonly GraphNode[];
  readonly scores: GraphScoresInfo;
  /** Active features before selection, when known (traces). */
  readonly activeFeatureCount: number | null;
  readonly model: { readonly name: string; readonly fingerprint: string } | null;
  readonly dictionary: { readonly name: string; readonly fingerprint: string } | null;
  readonly attributionMs: number | null;
}

/** The graph after pruning: kept nodes and edges (parallel arrays; edge i goes edgeSource[i] → edgeTarget[i]). */
export interface PrunedView {
  readonly graphId: string;
  readonly nodeThreshold: number;
  readonly edgeThreshold: number;
  readonly nodes: readonly number[];
  readonly edgeSource: readonly number[];
  readonly edgeTarget: readonly number[];
  /** Raw adjacency value A[target, source] (direct effect). */
  readonly edgeWeight: readonly number[];
  /**
   * Edges kept at these thresholds. More than `edgeSource.length` when the request's `maxEdges` capped the
   * answer: then only the strongest `maxEdges` edges by |weight| are listed.
   */
  readonly edgeTotal: number;
  readonly ms: number;
}

export interface NodeLink {
  readonly node: number;
  readonly weight: number;
  /** |weight| as a fraction of the sum of |weights| into the target (inputs) / into each target (outputs). */
  readonly share: number;
}

export interface NodeDetail {
  readonly node: GraphNode;
  /** Strongest direct inputs and outputs in the unpruned graph, by |weight|, largest first. */
  readonly inputs: readonly NodeLink[];
  readonly outputs: readonly NodeLink[];
  /** The feature's card from the dictionary's feature index (features only, when an index exists). */
  readonly card: FeatureCard | null;
  /** Why there is no card for a feature node (no index, a graph from another dictionary, …). */
  readonly cardNote: string | null;
}

export interface PathInfo {
  /** Source → … → target, node indices. */
  readonly nodes: readonly number[];
  readonly score: number;
  readonly sign: 1 | -1;
  readonly edges: readonly { readonly source: number; readonly target: number; readonly weight: number; readonly share: number }[];
}

export interface FileEntry {
  readonly name: string;
  readonly path: string;
  readonly kind: 'file' | 'dir';
  readonly size: number;
}

// ---------------------------------------------------------------------------------------------- params

const tokenRef = z.union([z.string().min(1).max(200), z.number().int().nonnegative()]);
const threshold = z.number().min(0).max(1);
const filePath = z.string().min(1).max(4096);

export const targetSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('salient') }),
  z.object({ kind: z.literal('tokens'), tokens: z.array(tokenRef).min(1).max(32) }),
  z.object({ kind: z.literal('contrast'), a: tokenRef, b: tokenRef }),
]);
export type TargetChoice = z.infer<typeof targetSchema>;

export const apiParams = {
  'session.info': z.object({}).strict(),
  'model.open': z.object({ path: filePath, tokenizer: filePath.optional() }).strict(),
  'dictionary.open': z.object({ path: filePath }).strict(),
  'files.list': z.object({ dir: filePath.optional() }).strict(),
  'prompt.analyze': z.object({ prompt: z.string().max(100_000) }).strict(),
  'graph.trace': z
    .object({
      prompt: z.string().min(1).max(100_000),
      target: targetSchema,
      maxFeatureNodes: z.number().int().positive().max(1_000_000).nullable().optional(),
    })
    .strict(),
  'graph.open': z.object({ path: filePath }).strict(),
  'graph.prune': z
    .object({
      graphId: z.string().min(1).max(64),
      nodeThreshold: threshold,
      edgeThreshold: threshold,
      /** At most this many edges in the answer (the strongest by |weight|); the UI cannot draw more usefully. */
      maxEdges: z.number().int().positive().max(100_000_000).optional(),
    })
    .strict(),
  'graph.node': z.object({ graphId: z.string().min(1).max(64), node: z.number().int().nonnegative(), k: z.number().int().positive().max(200).optional() }).strict(),
  'graph.paths': z
    .object({
      graphId: z.string().min(1).max(64),
      to: z.number().int().nonnegative(),
      from: z.array(z.number().int().nonnegative()).max(1000).optional(),
      k: z.number().int().positive().max(100).optional(),
      /** Search only the edges kept at these thresholds (what the user sees). */
      pruned: z.object({ nodeThreshold: threshold, edgeThreshold: threshold }).strict().optional(),
    })
    .strict(),
  'graph.export': z.object({ graphId: z.string().min(1).max(64), path: filePath, nodeThreshold: threshold, edgeThreshold: threshold }).strict(),
  ...explainApiParams,
  ...diffApiParams,
  ...monitorApiParams,
} as const;

export type ApiMethod = keyof typeof apiParams;
export type ApiParams<M extends ApiMethod> = z.infer<(typeof apiParams)[M]>;

/** The explanation methods' results (shared/apiExplain.ts), the diff methods' (shared/apiDiff.ts) and the lens/monitor methods' (shared/apiMonitor.ts) are merged in. */
export interface ApiResults extends ExplainApiResults, DiffApiResults, MonitorApiResults {
  'session.info': SessionInfo;
  'model.open': SessionInfo;
  'dictionary.open': SessionInfo;
  'files.list': { readonly dir: string; readonly entries: readonly FileEntry[] };
  'prompt.analyze': PromptAnalysis;
  'graph.trace': GraphSummary;
  'graph.open': GraphSummary;
  'graph.prune': PrunedView;
  'graph.node': NodeDetail;
  'graph.paths': readonly PathInfo[];
  'graph.export': { readonly path: string; readonly nodes: number; readonly links: number };
}
export type ApiResult<M extends ApiMethod> = ApiResults[M];

export const isApiMethod = (m: string): m is ApiMethod => Object.prototype.hasOwnProperty.call(apiParams, m);

// ---------------------------------------------------------------------------------------------- envelope

export interface Progress {
  readonly phase: string;
  readonly done: number;
  readonly total: number;
}

export type ApiErrorCode = 'bad-request' | 'user' | 'cancelled' | 'not-found' | 'forbidden' | 'internal';
export interface ApiError {
  readonly code: ApiErrorCode;
  /** One actionable sentence for the user; never a stack trace. */
  readonly message: string;
}

export const clientMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('call'), id: z.string().min(1).max(64), method: z.string().min(1).max(64), params: z.unknown() }).strict(),
  z.object({ type: z.literal('cancel'), id: z.string().min(1).max(64) }).strict(),
]);
export type ClientMessage = z.infer<typeof clientMessageSchema>;

export type EngineMessage =
  | { readonly type: 'progress'; readonly id: string; readonly progress: Progress }
  | { readonly type: 'result'; readonly id: string; readonly result: unknown }
  | { readonly type: 'error'; readonly id: string; readonly error: ApiError };

/** A failed call as the client sees it. */
export class ApiCallError extends Error {
  constructor(readonly code: ApiErrorCode, message: string) {
    super(message);
    this.name = 'ApiCallError';
  }
}

export interface CallOptions {
  readonly onProgress?: (p: Progress) => void;
  readonly signal?: AbortSignal;
}

/** What the renderer holds; it never knows which transport is behind it. */
export interface ApiClient {
  call<M extends ApiMethod>(method: M, params: ApiParams<M>, opts?: CallOptions): Promise<ApiResult<M>>;
}

/** A raw duplex channel of envelopes (IPC bridge, WebSocket, child process). */
export interface MessageChannelLike {
  send(msg: ClientMessage): void;
  onMessage(listener: (msg: EngineMessage) => void): void;
}

/** The client side of the envelope protocol over any channel: request ids, progress, cancel via AbortSignal. */
export function createApiClient(channel: MessageChannelLike): ApiClient {
  let next = 0;
  const pending = new Map<string, { resolve: (v: unknown) => void; reject: (e: Error) => void; onProgress?: (p: Progress) => void }>();
  channel.onMessage((msg) => {
    const p = pending.get(msg.id);
    if (!p) return;
    if (msg.type === 'progress') return p.onProgress?.(msg.progress);
    pending.delete(msg.id);
    if (msg.type === 'result') p.resolve(msg.result);
    else p.reject(new ApiCallError(msg.error.code, msg.error.message));
  });
  return {
    call(method, params, opts = {}) {
      const id = `r${++next}`;
      return new Promise((resolve, reject) => {
        if (opts.signal?.aborted) return reject(new ApiCallError('cancelled', 'cancelled'));
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject, onProgress: opts.onProgress });
        opts.signal?.addEventListener('abort', () => channel.send({ type: 'cancel', id }), { once: true });
        channel.send({ type: 'call', id, method, params });
      });
    },
  };
}

// ---------------------------------------------------------------------------------------------- host bridge

/** `export`: graph JSON; `export-svg` / `export-png`: the view as a figure; `export-report`: the HTML evidence report. */
export type MenuAction = 'open' | 'save' | 'save-as' | 'export' | 'presentation' | 'export-svg' | 'export-png' | 'export-report';

export interface FileFilter {
  readonly name: string;
  readonly extensions: readonly string[];
}

/**
 * What the Electron preload exposes as `window.cwbBridge` (contextBridge). Browser mode has no bridge: the
 * renderer then talks WebSocket to the local server and uses its own workspace file browser.
 */
export interface HostBridge {
  send(msg: ClientMessage): void;
  /** Returns an unsubscribe function. */
  onMessage(listener: (msg: EngineMessage) => void): () => void;
  onMenu(listener: (action: MenuAction) => void): () => void;
  /** Native open (file or folder) / save dialog; null when the user cancels. */
  pickFile(opts: { readonly mode: 'open' | 'open-dir' | 'save'; readonly title: string; readonly filters?: readonly FileFilter[]; readonly defaultPath?: string }): Promise<string | null>;
}

/** Circuit-tracer's defaults: keep nodes up to 80% cumulative influence and edges up to 98%. */
export const DEFAULT_NODE_THRESHOLD = 0.8;
export const DEFAULT_EDGE_THRESHOLD = 0.98;
