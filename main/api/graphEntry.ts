/**
 * A graph the engine holds for the client: a full AttributionGraph (a trace, or a raw .safetensors graph) or a
 * graph JSON file (only its pruned nodes and links), prepared once for re-pruning, with the node list the API
 * sends (GraphNode) and the summary graph.trace / graph.open return.
 */
import type { GraphNode, GraphNodeKind, GraphSummary, TokenInfo } from '../../shared/api';
import type { AttributionGraph } from '../../shared/graph';
import type { Explanation } from '../../shared/explanation';
import { graphLayout, NodeKind } from '../../shared/graph';
import { UserError } from '../errors';
import { coreFromImported } from '../graph/fromJson';
import type { ImportedGraph } from '../graph/neuronpediaJson';
import { nodeIdsOf } from '../graph/nodeIds';
import type { GraphCore } from '../graph/influence';
import { preparePruning, type PreparedPruning, type PruneResult } from '../graph/prune';
import { graphScores } from '../graph/scores';

export interface GraphEntry {
  readonly summary: GraphSummary;
  readonly nodeIds: readonly string[];
  readonly prepared: PreparedPruning;
  /** The full graph (traces and raw graphs), null for graph JSON files. */
  readonly full: AttributionGraph | null;
  /** The graph JSON as read (files only). */
  readonly imported: ImportedGraph | null;
  /** Fingerprint of the dictionary the graph was traced with, when known. */
  readonly dictionaryFingerprint: string | null;
  readonly dictionaryName: string | null;
  /** How the logit targets were chosen, when known (traces, explanation files): what an explanation file saves. */
  targetChoice?: Explanation['targets'];
  /** The last re-prune (graph.paths with `pruned` and graph.export usually follow the slider's last value). */
  lastPrune: { readonly nodeThreshold: number; readonly edgeThreshold: number; readonly result: PruneResult } | null;
}

const KIND_NAME: Record<number, GraphNodeKind> = { [NodeKind.feature]: 'feature', [NodeKind.error]: 'error', [NodeKind.token]: 'token', [NodeKind.logit]: 'logit' };

function prepare(core: AttributionGraph | GraphCore, what: string): PreparedPruning {
  try {
    return preparePruning(core);
  } catch (e) {
    if (e instanceof RangeError) throw new UserError(`cannot use ${what}: ${e.message}`);
    throw e;
  }
}

function scoresOf(p: PreparedPruning): GraphSummary['scores'] {
  const s = graphScores(p);
  // A graph without token or error influence (no targets) has no defined ratio: report 0.
  return { replacement: Number.isFinite(s.replacement) ? s.replacement : 0, completeness: Number.isFinite(s.completeness) ? s.completeness : 0 };
}

/** Influence as a fraction of the total (logits: 0). */
function influenceShares(p: PreparedPruning): Float64Array {
  let total = 0;
  for (let n = 0; n < p.N; n++) if (p.kinds[n] !== NodeKind.logit) total += p.influence[n];
  const out = new Float64Array(p.N);
  if (total > 0) for (let n = 0; n < p.N; n++) if (p.kinds[n] !== NodeKind.logit) out[n] = p.influence[n] / total;
  return out;
}

export function entryFromGraph(graphId: string, g: AttributionGraph, source: GraphSummary['source'], attributionMs: number | null): GraphEntry {
  const prepared = prepare(g, 'the graph');
  const lay = graphLayout(g);
  const ids = nodeIdsOf(g);
  const share = influenceShares(prepared);
  const nodes: GraphNode[] = new Array<GraphNode>(lay.N);
  for (let n = 0; n < lay.N; n++) {
    const kind = KIND_NAME[lay.kindOf(n)];
    const base = { index: n, id: ids[n], kind, influence: share[n], feature: null, activation: null, prob: null };
    if (n < lay.errorStart) {
      const layer = g.features.layer[n];
      nodes[n] = { ...base, layer, pos: g.features.pos[n], feature: g.features.index[n], activation: g.features.activation[n], label: `L${layer} #${g.features.index[n]}` };
    } else if (n < lay.tokenStart) {
      const layer = Math.floor((n - lay.errorStart) / lay.T);
      nodes[n] = { ...base, layer, pos: (n - lay.errorStart) % lay.T, label: `err L${layer}` };
    } else if (n < lay.logitStart) {
      const pos = n - lay.tokenStart;
      nodes[n] = { ...base, layer: -1, pos, label: g.tokenTexts[pos] };
    } else {
      const t = g.targets[n - lay.logitStart];
      nodes[n] = { ...base, layer: lay.L, pos: lay.T - 1, prob: t.weight, label: t.label };
    }
  }
  const tokens: TokenInfo[] = g.tokens.map((id, i) => ({ id, text: g.tokenTexts[i] }));
  const summary: GraphSummary = {
    graphId,
    source,
    prompt: g.prompt,
    tokens,
    nLayers: g.nLayers,
    nPos: g.nPos,
    nodes,
    scores: scoresOf(prepared),
    activeFeatureCount: g.activeFeatureCount,
    model: { name: g.model.name, fingerprint: g.model.fingerprint },
    dictionary: { name: g.dictionary.name, fingerprint: g.dictionary.fingerprint },
    attributionMs,
  };
  return { summary, nodeIds: ids, prepared, full: g, imported: null, dictionaryFingerprint: g.dictionary.fingerprint, dictionaryName: g.dictionary.name, lastPrune: null };
}

/** The token text inside a logit clerp `Output "tok" (p=0.123)`, else null. */
function clerpToken(clerp: string): string | null {
  const m = /^Output "([\s\S]*)" \(p=[^)]*\)$/.exec(clerp);
  return m ? m[1] : null;
}

export function entryFromImported(graphId: string, imp: ImportedGraph, file: string): GraphEntry {
  const { core, nodeIds } = coreFromImported(imp);
  const prepared = prepare(core, `graph ${file}`);
  const share = influenceShares(prepared);
  const wb = imp.workbench;
  const logitLayer = imp.nodes.find((n) => n.kind === 'logit')?.layer ?? null;
  const maxLayer = imp.nodes.reduce((m, n) => (n.kind === 'feature' || n.kind === 'error' ? Math.max(m, n.layer ?? 0) : m), -1);
  const nLayers = wb?.nLayers ?? (logitLayer !== null ? logitLayer - 1 : maxLayer + 1);
  const promptTokens = imp.metadata.promptTokens;
  const nPos = wb?.nPos ?? promptTokens.length;
  const tokenIdAt = new Map<number, number>();
  for (const n of imp.nodes) if (n.kind === 'token' && n.tokenId !== null) tokenIdAt.set(n.pos, n.tokenId);
  const nodes: GraphNode[] = imp.nodes.map((n, i) => {
    const base = { index: i, id: nodeIds[i], kind: n.kind, pos: n.pos, influence: share[i], feature: null, activation: null, prob: null };
    const layer = n.layer ?? 0;
    switch (n.kind) {
      case 'feature':
        return { ...base, layer, feature: n.featureIdx, activation: n.activation, label: `L${layer} #${n.featureIdx ?? n.feature ?? '?'}` };
      case 'error':
        return { ...base, layer, label: `err L${layer}` };
      case 'token':
        return { ...base, layer: -1, label: promptTokens[n.pos] ?? `#${n.tokenId ?? '?'}` };
      case 'logit':
        return { ...base, layer: nLayers, prob: n.tokenProb, label: clerpToken(n.clerp) ?? (n.clerp || `#${n.vocabIdx ?? '?'}`) };
    }
  });
  const tokens: TokenInfo[] = Array.from({ length: nPos }, (_, i) => ({ id: wb?.tokens[i] ?? tokenIdAt.get(i) ?? -1, text: promptTokens[i] ?? '' }));
  const summary: GraphSummary = {
    graphId,
    source: { kind: 'file', path: file },
    prompt: imp.metadata.prompt,
    tokens,
    nLayers,
    nPos,
    nodes,
    scores: scoresOf(prepared),
    activeFeatureCount: wb?.activeFeatureCount ?? null,
    model: wb ? { ...wb.model } : null,
    dictionary: wb ? { name: wb.dictionary.name, fingerprint: wb.dictionary.fingerprint } : null,
    attributionMs: null,
  };
  return { summary, nodeIds, prepared, full: null, imported: imp, dictionaryFingerprint: wb?.dictionary.fingerprint ?? null, dictionaryName: wb?.dictionary.name ?? null, lastPrune: null };
}
