/**
 * Layout of one graph of a diff pair (shared by the HTML report and the app's Diff view): nodes on a
 * (token position × layer) grid, several nodes of one cell spread in a small block; a node is `common` when the
 * other graph has it too, else `only` (lost when this is A's graph, gained when it is B's); the strongest edges.
 */
import type { CompactGraph } from './diff';

export interface LaidNode {
  readonly id: string;
  readonly x: number;
  readonly y: number;
  readonly common: boolean;
  readonly label: string;
}
export interface LaidEdge {
  readonly x1: number;
  readonly y1: number;
  readonly x2: number;
  readonly y2: number;
  readonly weight: number;
  /** |weight| relative to the strongest edge shown, in (0, 1]. */
  readonly strength: number;
}
export interface GraphLayout {
  readonly width: number;
  readonly height: number;
  readonly rows: readonly { readonly layer: string; readonly y: number }[];
  readonly nodes: readonly LaidNode[];
  readonly edges: readonly LaidEdge[];
}

const rowKey = (layer: string) => (layer === 'E' ? -1 : Number(layer));

export function layoutDiffGraph(g: CompactGraph, other: CompactGraph, nTokens: number, o: { width?: number; maxEdges?: number } = {}): GraphLayout {
  const W = o.width ?? 460;
  const otherIds = new Set(other.nodes.map((n) => n.id));
  const layers = [...new Set([...g.nodes, ...other.nodes].map((n) => n.layer))].sort((x, y) => rowKey(x) - rowKey(y));
  const H = 40 + layers.length * 44;
  const x = (pos: number) => 30 + (pos + 0.5) * ((W - 40) / Math.max(1, nTokens));
  const y = (layer: string) => H - 25 - layers.indexOf(layer) * 44;
  const cell = new Map<string, number>();
  const place = new Map<string, [number, number]>();
  const nodes: LaidNode[] = g.nodes.map((n) => {
    const k = `${n.layer}|${n.pos}`;
    const i = cell.get(k) ?? 0;
    cell.set(k, i + 1);
    const p: [number, number] = [x(n.pos) + ((i % 5) - 2) * 5, y(n.layer) - Math.floor(i / 5) * 6];
    place.set(n.id, p);
    return { id: n.id, x: p[0], y: p[1], common: otherIds.has(n.id), label: n.label };
  });
  const strongest = [...g.edges].sort((p, q) => Math.abs(q.weight) - Math.abs(p.weight)).slice(0, o.maxEdges ?? 150);
  const maxW = Math.max(1e-12, ...strongest.map((e) => Math.abs(e.weight)));
  const edges: LaidEdge[] = [];
  for (const e of strongest) {
    const s = place.get(e.source);
    const t = place.get(e.target);
    if (s && t) edges.push({ x1: s[0], y1: s[1], x2: t[0], y2: t[1], weight: e.weight, strength: Math.abs(e.weight) / maxW });
  }
  return { width: W, height: H, rows: layers.map((l) => ({ layer: l, y: y(l) })), nodes, edges };
}
