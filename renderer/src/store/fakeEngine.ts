/**
 * A scriptable in-memory ApiClient for the store's unit tests: every method answers from a handler
 * (default: a tiny 6-node graph), and each call is recorded so tests can assert what the UI asked for.
 */
import { ApiCallError, type ApiClient, type ApiMethod, type ApiParams, type ApiResult, type CallOptions, type GraphNode, type GraphSummary, type SessionInfo } from '../../../shared/api';

export type Handler<M extends ApiMethod> = (params: ApiParams<M>, opts: CallOptions) => ApiResult<M> | Promise<ApiResult<M>>;
export type Handlers = { [M in ApiMethod]?: Handler<M> };

export const SESSION: SessionInfo = {
  apiVersion: 1,
  appVersion: '0.1.0',
  workspace: '/ws',
  model: { name: 'stories260K', fingerprint: 'sha256:abcdef0123456789', path: '/m.bin', embedded: true, parameters: 260_000, nLayers: 2, dModel: 64, vocabSize: 512, maxSeqLen: 512 },
  dictionary: { name: 'stories260K-plt', fingerprint: 'f', path: '/d', embedded: true, kind: 'plt', featuresPerLayer: 256, hasFeatureIndex: true },
};

const n = (index: number, p: Partial<GraphNode>): GraphNode => ({ index, id: `n${index}`, kind: 'feature', layer: 0, pos: 1, feature: index, activation: 1, prob: null, influence: 0.1, label: `L0 #${index}`, ...p });

export const TINY_GRAPH: GraphSummary = {
  graphId: 'g1',
  source: { kind: 'trace' },
  prompt: 'Once upon',
  tokens: [{ id: 1, text: '' }, { id: 403, text: 'Once' }, { id: 407, text: ' upon' }],
  nLayers: 2,
  nPos: 3,
  nodes: [
    n(0, { layer: 0, pos: 1 }),
    n(1, { layer: 1, pos: 2 }),
    n(2, { kind: 'error', layer: 0, pos: 1, feature: null, label: 'err L0' }),
    n(3, { kind: 'token', layer: -1, pos: 1, feature: null, label: 'Once', id: 'E_403_1' }),
    n(4, { kind: 'token', layer: -1, pos: 2, feature: null, label: ' upon', id: 'E_407_2' }),
    n(5, { kind: 'logit', layer: 2, pos: 2, feature: null, label: ' a', prob: 0.6, id: '2_10_2' }),
  ],
  scores: { replacement: 0.8, completeness: 0.9 },
  activeFeatureCount: 10,
  model: { name: 'stories260K', fingerprint: 'x' },
  dictionary: { name: 'plt', fingerprint: 'y' },
  attributionMs: 12,
};

export interface RecordedCall {
  readonly method: ApiMethod;
  readonly params: unknown;
}

export function fakeClient(handlers: Handlers = {}): ApiClient & { calls: RecordedCall[] } {
  const defaults: Handlers = {
    'session.info': () => SESSION,
    'prompt.analyze': (p) => ({ tokens: [{ id: 1, text: '' }, { id: 2, text: p.prompt }], top: [{ id: 10, text: ' a', prob: 0.6 }] }),
    'graph.trace': () => TINY_GRAPH,
    'graph.prune': (p) => ({ graphId: p.graphId, nodeThreshold: p.nodeThreshold, edgeThreshold: p.edgeThreshold, nodes: [0, 1, 3, 5], edgeSource: [3, 0, 1], edgeTarget: [0, 1, 5], edgeWeight: [1, 0.5, -0.2], ms: 1 }),
    'graph.node': (p) => ({ node: TINY_GRAPH.nodes[p.node], inputs: [], outputs: [], card: null, cardNote: 'no index' }),
    'graph.paths': (p) => [{ nodes: [3, 0, p.to], score: 0.5, sign: 1, edges: [] }],
  };
  const calls: RecordedCall[] = [];
  return {
    calls,
    async call<M extends ApiMethod>(method: M, params: ApiParams<M>, opts: CallOptions = {}): Promise<ApiResult<M>> {
      calls.push({ method, params });
      const h = (handlers[method] ?? defaults[method]) as Handler<M> | undefined;
      if (!h) throw new ApiCallError('not-found', `no fake for ${method}`);
      return h(params, opts);
    },
  };
}
