/**
 * Cytoscape element definitions for graph nodes and pruned-view edges (pure: plain objects, no cytoscape).
 * Node ids are the graph's own node ids (circuit-tracer's "3_117_5"), which e2e tests and the debug hook use.
 */
import type { GraphNode, GraphSummary } from '../../../shared/api';
import { formatPercent } from '../text/format';
import { shortToken } from '../text/tokenText';
import type { Point } from './layout';
import { edgeStrength, featureColor, featureSize, relativeInfluence } from './scales';

export interface NodeData {
  readonly id: string;
  readonly idx: number;
  readonly kind: GraphNode['kind'];
  readonly label: string;
  readonly size: number;
  readonly color: string;
}

export interface EdgeData {
  readonly id: string;
  readonly source: string;
  readonly target: string;
  /** Raw weight (A[target, source]). */
  readonly w: number;
  /** |w| on the graph's fixed scale, 0..1: the stylesheet maps it to a width. */
  readonly aw: number;
}

export interface NodeElement {
  readonly group: 'nodes';
  readonly data: NodeData;
  readonly position: Point;
  readonly classes: string;
}

export interface EdgeElement {
  readonly group: 'edges';
  readonly data: EdgeData;
  /** 'pos' | 'neg': colour by class (cheaper for cytoscape than a per-edge colour mapper). */
  readonly classes: string;
}

/**
 * Cytoscape ids per node index. Node ids are unique in valid graphs; a duplicate (a malformed file) gets
 * its index appended rather than breaking the view.
 */
export function cyIds(nodes: readonly Pick<GraphNode, 'index' | 'id'>[]): Map<number, string> {
  const ids = new Map<number, string>();
  const seen = new Set<string>();
  for (const n of nodes) {
    const id = seen.has(n.id) ? `${n.id}#${n.index}` : n.id;
    seen.add(id);
    ids.set(n.index, id);
  }
  return ids;
}

/** Short on-canvas label: tokens and logits by their text, features by index (the row says the layer). */
export function nodeLabel(n: GraphNode, tokenText: (pos: number) => string): string {
  switch (n.kind) {
    case 'token':
      return shortToken(tokenText(n.pos) || n.label);
    case 'logit':
      return `${shortToken(n.label, 10)}${n.prob !== null ? ` ${formatPercent(n.prob)}` : ''}`;
    case 'feature':
      return n.feature !== null ? `#${n.feature}` : n.label;
    case 'error':
      return '';
  }
}

export function maxFeatureInfluence(nodes: readonly GraphNode[]): number {
  let m = 0;
  for (const n of nodes) if (n.kind === 'feature' && n.influence > m) m = n.influence;
  return m;
}

export function nodeElement(n: GraphNode, id: string, position: Point, maxInfluence: number, tokenText: (pos: number) => string): NodeElement {
  const s = relativeInfluence(n.influence, maxInfluence);
  const size = n.kind === 'feature' ? featureSize(s) : n.kind === 'error' ? 9 : 0;
  const color = n.kind === 'feature' ? featureColor(s) : '';
  return { group: 'nodes', data: { id, idx: n.index, kind: n.kind, label: nodeLabel(n, tokenText), size, color }, position, classes: n.kind };
}

export const edgeKey = (source: number, target: number): string => `${source}>${target}`;

export function edgeElement(source: number, target: number, weight: number, ids: ReadonlyMap<number, string>, scale: number): EdgeElement {
  return {
    group: 'edges',
    data: { id: `e${source}_${target}`, source: ids.get(source)!, target: ids.get(target)!, w: weight, aw: edgeStrength(weight, scale) },
    classes: weight >= 0 ? 'pos' : 'neg',
  };
}

export function tokenTextOf(graph: Pick<GraphSummary, 'tokens'>): (pos: number) => string {
  return (pos) => graph.tokens[pos]?.text ?? '';
}
