/**
 * Cytoscape element definitions for graph nodes (pure: plain objects, no cytoscape). Edges are not cytoscape
 * elements: the edge layer draws them (edgeLayer.ts). Node ids are the graph's own node ids (circuit-tracer's
 * "3_117_5"), which e2e tests and the debug hook use.
 */
import type { GraphNode, GraphSummary } from '../../../shared/api';
import { formatPercent } from '../text/format';
import { shortToken } from '../text/tokenText';
import type { Point } from './layout';
import { featureLevel, featureSize, levelStrength, relativeInfluence } from './scales';

export interface NodeData {
  readonly id: string;
  readonly idx: number;
  readonly kind: GraphNode['kind'];
  readonly label: string;
  /** Logits: the label on two lines (token, probability), used when one line does not fit (labels.ts). */
  readonly label2?: string;
  /** Diameter (features: by their influence step; errors: fixed), for the fit and the feature labels. */
  readonly size: number;
}

export interface NodeElement {
  readonly group: 'nodes';
  readonly data: NodeData;
  readonly position: Point;
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
      return logitLines(n).join(' ');
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
  // Features: one class per influence step (style.ts), so cytoscape shares their parsed style.
  const level = n.kind === 'feature' ? featureLevel(relativeInfluence(n.influence, maxInfluence)) : -1;
  const size = n.kind === 'feature' ? featureSize(levelStrength(level)) : n.kind === 'error' ? 9 : 0;
  const label2 = n.kind === 'logit' ? logitLines(n).join('\n') : undefined;
  const classes = n.kind === 'feature' ? `feature f${level}` : n.kind;
  return { group: 'nodes', data: { id, idx: n.index, kind: n.kind, label: nodeLabel(n, tokenText), ...(label2 !== undefined ? { label2 } : {}), size }, position, classes };
}

/** A logit's label as lines: its token, then its probability (when known). */
export function logitLines(n: Pick<GraphNode, 'label' | 'prob'>): string[] {
  return n.prob !== null ? [shortToken(n.label, 10), formatPercent(n.prob)] : [shortToken(n.label, 10)];
}

export function tokenTextOf(graph: Pick<GraphSummary, 'tokens'>): (pos: number) => string {
  return (pos) => graph.tokens[pos]?.text ?? '';
}
