/**
 * The graphs level: for chosen prompts, A's and B's attribution graphs — traced with the same dictionary, the
 * same logit targets (A's and B's top tokens) and the same pruning — aligned by circuit-tracer node id (stable
 * across models: layer_feature_position): nodes and edges gained and lost, edges re-weighted, influence shifts.
 */
import type { Dictionary } from '../../shared/dictionary';
import type { ModelSpec } from '../../shared/model';
import type { CompactGraph, GraphDiff } from '../../shared/diff';
import type { Tokenizer } from '../tokenizer/types';
import { prunedGraphJson } from '../explain/build';

export interface GraphSettings {
  readonly nodeThreshold: number;
  readonly edgeThreshold: number;
  readonly maxFeatureNodes: number | null;
}

export const DEFAULT_GRAPH_SETTINGS: GraphSettings = { nodeThreshold: 0.8, edgeThreshold: 0.98, maxFeatureNodes: null };
const LIST = 50;

interface JsonNode { node_id: string; layer: string; ctx_idx: number; feature_type: string; influence?: number | null; clerp?: string }
interface JsonLink { source: string; target: string; weight: number }

export function compactGraph(json: Record<string, unknown>): CompactGraph {
  // The JSON came from our own exporter (schema-valid graph JSON).
  const nodes = (json.nodes ?? []) as JsonNode[];
  const links = (json.links ?? []) as JsonLink[];
  return {
    nodes: nodes.map((n) => ({ id: n.node_id, layer: String(n.layer), pos: n.ctx_idx, type: n.feature_type, influence: typeof n.influence === 'number' ? n.influence : null, label: n.clerp ?? '' })),
    edges: links.map((l) => ({ source: l.source, target: l.target, weight: l.weight })),
  };
}

/** Aligns two compact graphs by node id. */
export function alignGraphs(ga: CompactGraph, gb: CompactGraph): Pick<GraphDiff, 'nodes' | 'edges' | 'influenceShift'> {
  const na = new Map(ga.nodes.map((n) => [n.id, n]));
  const nb = new Map(gb.nodes.map((n) => [n.id, n]));
  const key = (e: { source: string; target: string }) => `${e.source}\u0000${e.target}`;
  const ea = new Map(ga.edges.map((e) => [key(e), e]));
  const eb = new Map(gb.edges.map((e) => [key(e), e]));
  const reweighted = [...ea].filter(([k]) => eb.has(k)).map(([k, e]) => ({ source: e.source, target: e.target, a: e.weight, b: eb.get(k)!.weight }))
    .filter((e) => e.a !== e.b).sort((x, y) => Math.abs(y.b - y.a) - Math.abs(x.b - x.a)).slice(0, LIST);
  const influenceShift = [...na.values()].filter((n) => nb.has(n.id) && n.influence !== null && nb.get(n.id)!.influence !== null)
    .map((n) => ({ id: n.id, a: n.influence!, b: nb.get(n.id)!.influence! })).filter((x) => x.a !== x.b)
    .sort((x, y) => Math.abs(y.b - y.a) - Math.abs(x.b - x.a)).slice(0, LIST);
  return {
    nodes: { a: na.size, b: nb.size, common: [...na.keys()].filter((id) => nb.has(id)).length, gained: [...nb.keys()].filter((id) => !na.has(id)), lost: [...na.keys()].filter((id) => !nb.has(id)) },
    edges: { a: ea.size, b: eb.size, gained: [...eb.keys()].filter((k) => !ea.has(k)).length, lost: [...ea.keys()].filter((k) => !eb.has(k)).length, reweighted },
    influenceShift,
  };
}

export async function graphDiff(a: ModelSpec, b: ModelSpec, dict: Dictionary, tok: Tokenizer, prompt: { index: number; text: string; tokens: readonly number[] }, targets: readonly number[], s: GraphSettings = DEFAULT_GRAPH_SETTINGS): Promise<GraphDiff> {
  // The dictionary belongs to A; using it on B is the point of the comparison, so its model check is lifted.
  const d: Dictionary = { ...dict, model: {} };
  const t = [...new Set(targets)];
  const settings = { maxFeatureNodes: s.maxFeatureNodes, batchSize: 256, nodeThreshold: s.nodeThreshold, edgeThreshold: s.edgeThreshold };
  const ga = compactGraph(await prunedGraphJson(a, d, tok, prompt.text, prompt.tokens, { kind: 'tokens', tokens: t }, settings));
  const gb = compactGraph(await prunedGraphJson(b, d, tok, prompt.text, prompt.tokens, { kind: 'tokens', tokens: t }, settings));
  return {
    prompt: prompt.index,
    text: prompt.text,
    tokens: prompt.tokens.map((id) => tok.decode([id])),
    targets: t.map((id) => ({ id, text: tok.decode([id]) })),
    ...alignGraphs(ga, gb),
    graphA: ga,
    graphB: gb,
  };
}
