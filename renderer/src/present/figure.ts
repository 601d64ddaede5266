/**
 * The labelled subgraph figure (pure → SVG text): supernodes as single labelled boxes, the other pinned nodes,
 * the prompt tokens and target logits they connect to, and the summed edges between them (subgraph.stats run
 * with the tokens and logits added as groups). Laid out like the graph: one column per token position used,
 * embeddings at the bottom, layers upwards, logits on top. Shown in presentation mode, exported as SVG / PNG,
 * and embedded in the HTML evidence report (which sanitizes it: only plain SVG elements are used here).
 */
import type { GraphNode, GraphSummary } from '../../../shared/api';
import type { SubgraphStats } from '../../../shared/apiExplain';
import { EDGE_NEGATIVE, EDGE_POSITIVE, NODE_COLORS } from '../graph/scales';
import { MARK_COLORS } from '../graph/style';
import { levelOf } from '../graph/layout';
import { clip, FONT, n2, textWidth, xml } from './svg';

export interface FigureInput {
  readonly graph: GraphSummary;
  /** Stats of the figure's node set (see figureRequest); its groups are supernodes, then single nodes. */
  readonly stats: SubgraphStats;
  readonly nodeLabels: Readonly<Record<string, string>>;
  /** Dictionary feature labels by "layer_feature". */
  readonly featureLabels: Readonly<Record<string, string>>;
  readonly title?: string;
  /** Edges weaker than this share of the strongest are left out (default 0.03), at most `maxEdges` (default 60). */
  readonly minEdgeShare?: number;
  readonly maxEdges?: number;
  /** Width : height to aim for (rows are spread to reach it): the screen area it is shown in; default 1.6. */
  readonly aspect?: number;
}

export interface FigureBox {
  readonly group: number;
  readonly kind: 'supernode' | 'feature' | 'error' | 'token' | 'logit';
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
  readonly label: string;
  readonly sub: string;
}

export interface Figure {
  readonly svg: string;
  readonly width: number;
  readonly height: number;
  readonly boxes: readonly FigureBox[];
  readonly edges: number;
}

/** The node indices a figure needs in subgraph.stats besides the work's: every token and the top logits. */
export function figureExtraNodes(graph: GraphSummary, maxLogits = 3): number[] {
  const tokens = graph.nodes.filter((n) => n.kind === 'token');
  const logits = graph.nodes
    .filter((n) => n.kind === 'logit')
    .sort((a, b) => (b.prob ?? 0) - (a.prob ?? 0))
    .slice(0, maxLogits);
  // A long prompt would make a figure of hundreds of token boxes; unused ones are dropped later anyway.
  return [...tokens.slice(-64), ...logits].map((n) => n.index);
}

const TITLE_H = 44;
const LEGEND_H = 40;
const MARGIN = 24;
const COL_GAP = 28;
const ROW_H = 92;
const FONT_PX = 16;
const SUB_PX = 11;
const BOX_H = 44;

function nodeText(n: GraphNode, input: FigureInput): { label: string; sub: string } {
  const tok = (pos: number) => JSON.stringify(input.graph.tokens[pos]?.text ?? '');
  switch (n.kind) {
    case 'token':
      return { label: clip(JSON.stringify(input.graph.tokens[n.pos]?.text ?? n.label), 18), sub: `token ${n.pos}` };
    case 'logit':
      return { label: clip(JSON.stringify(n.label), 16), sub: n.prob !== null ? `p = ${(n.prob * 100).toFixed(1)}%` : 'target' };
    case 'error':
      return { label: input.nodeLabels[n.id] || `error L${n.layer}`, sub: `at ${clip(tok(n.pos), 14)}` };
    case 'feature': {
      const fl = n.feature !== null ? input.featureLabels[`${n.layer}_${n.feature}`] : undefined;
      const name = `L${n.layer} #${n.feature ?? '?'}`;
      const label = input.nodeLabels[n.id] || fl;
      // Unlabelled: the id is the label, the sub-line only says where.
      return { label: clip(label || name, 34), sub: label ? `${name} at ${clip(tok(n.pos), 14)}` : `at ${clip(tok(n.pos), 14)}` };
    }
  }
}

/** Builds the figure (see the module comment). */
export function subgraphFigure(input: FigureInput): Figure {
  const { graph, stats } = input;
  const byIndex = new Map(graph.nodes.map((n) => [n.index, n]));
  const L = graph.nLayers;
  const maxEdges = input.maxEdges ?? 60;
  const minShare = input.minEdgeShare ?? 0.03;

  // Edges worth drawing, strongest first.
  const maxW = Math.max(1e-12, ...stats.edges.map((e) => Math.abs(e.weight)));
  const edges = stats.edges.filter((e) => Math.abs(e.weight) >= minShare * maxW).slice(0, maxEdges);
  const connected = new Set(edges.flatMap((e) => [e.source, e.target]));

  // Groups shown: supernodes and pinned nodes always; tokens and logits only when an edge reaches them.
  interface Item {
    readonly group: number;
    readonly kind: FigureBox['kind'];
    readonly level: number;
    readonly pos: number;
    readonly label: string;
    readonly sub: string;
  }
  const items: Item[] = [];
  stats.groups.forEach((g, gi) => {
    const members = g.nodes.map((i) => byIndex.get(i)).filter((n): n is GraphNode => n !== undefined);
    if (members.length === 0) return;
    if (g.kind === 'supernode') {
      const level = Math.round(members.reduce((s, n) => s + levelOf(n, L), 0) / members.length);
      const pos = Math.max(...members.map((n) => n.pos));
      const layers = [...new Set(members.map((n) => n.layer))].sort((a, b) => a - b);
      items.push({ group: gi, kind: 'supernode', level, pos, label: clip(g.label || g.id, 34), sub: `${members.length} node${members.length === 1 ? '' : 's'} · L${layers.join(',')}` });
      return;
    }
    const n = members[0];
    if ((n.kind === 'token' || n.kind === 'logit') && !connected.has(gi)) return;
    items.push({ group: gi, kind: n.kind, level: levelOf(n, L), pos: n.pos, ...nodeText(n, input) });
  });

  // Columns: the token positions in use, left to right; a column is as wide as its widest box.
  const positions = [...new Set(items.map((i) => i.pos))].sort((a, b) => a - b);
  const col = new Map(positions.map((p, i) => [p, i]));
  const boxW = (it: Item) => Math.max(textWidth(it.label, FONT_PX), textWidth(it.sub, SUB_PX)) + 22;
  // Several boxes in one (level, column) cell sit side by side.
  const cells = new Map<string, Item[]>();
  for (const it of items) {
    const k = `${it.level}:${col.get(it.pos)}`;
    cells.set(k, [...(cells.get(k) ?? []), it]);
  }
  const colWidth = positions.map(() => 90);
  for (const [k, list] of cells) {
    const c = Number(k.split(':')[1]);
    colWidth[c] = Math.max(colWidth[c], list.reduce((s, it) => s + boxW(it), 0) + (list.length - 1) * 10);
  }
  const colX: number[] = [];
  let x = MARGIN;
  for (const w of colWidth) {
    colX.push(x);
    x += w + COL_GAP;
  }
  const levels = [...new Set(items.map((i) => i.level))].sort((a, b) => b - a); // top (logits) first
  const width = Math.max(480, x - COL_GAP + MARGIN);
  // Rows spread so the figure has the aspect of where it is shown (a wide, flat figure would be tiny there).
  const gaps = Math.max(1, levels.length - 1);
  const aspect = Math.min(4, Math.max(0.8, input.aspect ?? 1.6));
  const rowH = Math.min(420, Math.max(ROW_H, (width / aspect - TITLE_H - 2 * MARGIN - BOX_H - LEGEND_H) / gaps));
  const rowY = new Map(levels.map((l, i) => [l, TITLE_H + MARGIN + i * rowH]));
  const height = TITLE_H + MARGIN + (levels.length - 1) * rowH + BOX_H + MARGIN + LEGEND_H;

  const boxes: FigureBox[] = [];
  for (const [k, list] of cells) {
    const c = Number(k.split(':')[1]);
    const total = list.reduce((s, it) => s + boxW(it), 0) + (list.length - 1) * 10;
    let bx = colX[c] + (colWidth[c] - total) / 2;
    for (const it of list) {
      const w = boxW(it);
      boxes.push({ group: it.group, kind: it.kind, x: bx, y: rowY.get(it.level)!, w, h: it.kind === 'token' ? 40 : BOX_H, label: it.label, sub: it.sub });
      bx += w + 10;
    }
  }
  const boxOf = new Map(boxes.map((b) => [b.group, b]));

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${n2(width)}" height="${n2(height)}" viewBox="0 0 ${n2(width)} ${n2(height)}" font-family="${xml(FONT)}" role="img" aria-label="${xml(input.title ?? 'Subgraph')}">`);
  out.push(`<rect x="0" y="0" width="${n2(width)}" height="${n2(height)}" fill="#ffffff"/>`);
  if (input.title) out.push(`<text x="${MARGIN}" y="28" font-size="17" font-weight="600" fill="#111827">${xml(clip(input.title, Math.max(20, Math.floor(width / 9))))}</text>`);
  // Edges under the boxes: from the top of the source box to the bottom of the target box.
  out.push('<g fill="none" stroke-linecap="round">');
  for (const e of [...edges].reverse()) {
    const s = boxOf.get(e.source);
    const t = boxOf.get(e.target);
    if (!s || !t) continue;
    const [x1, y1, x2, y2] = [s.x + s.w / 2, s.y, t.x + t.w / 2, t.y + t.h];
    const dy = Math.max(30, Math.abs(y1 - y2) / 2);
    const w = 1 + 7 * Math.sqrt(Math.abs(e.weight) / maxW);
    const label = `${stats.groups[e.source]?.label || stats.groups[e.source]?.id} → ${stats.groups[e.target]?.label || stats.groups[e.target]?.id}: ${e.weight.toPrecision(3)}`;
    out.push(
      `<path d="M${n2(x1)} ${n2(y1)} C${n2(x1)} ${n2(y1 - dy)} ${n2(x2)} ${n2(y2 + dy)} ${n2(x2)} ${n2(y2)}" stroke="${e.weight >= 0 ? EDGE_POSITIVE : EDGE_NEGATIVE}" stroke-width="${n2(w)}" stroke-opacity="0.7"><title>${xml(label)}</title></path>`,
    );
  }
  out.push('</g>');
  for (const b of boxes) {
    const look = {
      supernode: { fill: '#f5e8ff', stroke: MARK_COLORS.supernode, dash: ' stroke-dasharray="6 3"', rx: 10 },
      feature: { fill: '#ede9fe', stroke: '#5b4b8a', dash: '', rx: 8 },
      error: { fill: '#eef0f3', stroke: NODE_COLORS.error, dash: '', rx: 8 },
      token: { fill: NODE_COLORS.token, stroke: NODE_COLORS.tokenBorder, dash: '', rx: 4 },
      logit: { fill: NODE_COLORS.logit, stroke: NODE_COLORS.logitBorder, dash: '', rx: 14 },
    }[b.kind];
    out.push(`<g data-group="${b.group}" data-kind="${b.kind}">`);
    out.push(`<rect x="${n2(b.x)}" y="${n2(b.y)}" width="${n2(b.w)}" height="${b.h}" rx="${look.rx}" fill="${look.fill}" stroke="${look.stroke}" stroke-width="2"${look.dash}/>`);
    out.push(`<text x="${n2(b.x + b.w / 2)}" y="${n2(b.y + 20)}" font-size="${FONT_PX}" font-weight="${b.kind === 'supernode' || b.kind === 'logit' ? 700 : 500}" text-anchor="middle" fill="#111827">${xml(b.label)}</text>`);
    out.push(`<text x="${n2(b.x + b.w / 2)}" y="${n2(b.y + b.h - 9)}" font-size="${SUB_PX}" text-anchor="middle" fill="#4b5563">${xml(b.sub)}</text>`);
    out.push('</g>');
  }
  // Legend.
  const ly = height - LEGEND_H + 14;
  out.push(`<g font-size="12" fill="#374151" transform="translate(${MARGIN} ${n2(ly)})">`);
  const legend: [string, string][] = [
    [`<rect x="0" y="-10" width="22" height="14" rx="4" fill="#f5e8ff" stroke="${MARK_COLORS.supernode}" stroke-width="2" stroke-dasharray="6 3"/>`, 'supernode'],
    [`<rect x="0" y="-10" width="22" height="14" rx="4" fill="#ede9fe" stroke="#5b4b8a" stroke-width="2"/>`, 'feature'],
    [`<rect x="0" y="-10" width="22" height="14" rx="2" fill="${NODE_COLORS.token}" stroke="${NODE_COLORS.tokenBorder}" stroke-width="2"/>`, 'token'],
    [`<rect x="0" y="-10" width="22" height="14" rx="7" fill="${NODE_COLORS.logit}" stroke="${NODE_COLORS.logitBorder}" stroke-width="2"/>`, 'target logit'],
    [`<line x1="0" y1="-3" x2="22" y2="-3" stroke="${EDGE_POSITIVE}" stroke-width="4"/>`, 'excites'],
    [`<line x1="0" y1="-3" x2="22" y2="-3" stroke="${EDGE_NEGATIVE}" stroke-width="4"/>`, 'inhibits (width: summed direct effect)'],
  ];
  let lx = 0;
  for (const [shape, text] of legend) {
    out.push(`<g transform="translate(${n2(lx)} 0)">${shape}<text x="28" y="2">${xml(text)}</text></g>`);
    lx += 40 + textWidth(text, 12);
  }
  out.push('</g>');
  out.push('</svg>');
  return { svg: out.join('\n'), width, height, boxes, edges: edges.length };
}
