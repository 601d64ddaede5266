/**
 * The graph canvas as an SVG file (pure): GraphController.scene() — the same layout positions, node looks,
 * edge batches (colour by sign, width and opacity by strength) and marks as on screen, cropped to the visible
 * region — plus what the canvas shows only as overlays: row names, feature labels (the user's, else the
 * dictionary's, else `#feature`) and a labelled dashed frame around each supernode's members. A true vector
 * file: every label is text.
 */
import { batchStyle } from '../graph/edgeLayer';
import { rowLabelText } from '../graph/labels';
import { featureColor, levelStrength, NODE_COLORS } from '../graph/scales';
import { MARK_COLORS } from '../graph/style';
import type { GraphScene, SceneNode } from '../graph/scene';
import { clip, FONT, MONO, n2, textWidth, xml } from './svg';

export interface SceneLabels {
  /** The explanation's node labels by node id. */
  readonly nodeLabels: Readonly<Record<string, string>>;
  /** Dictionary feature labels by "layer_feature". */
  readonly featureLabels: Readonly<Record<string, string>>;
  readonly supernodes: readonly { readonly id: string; readonly label: string; readonly nodeIds: readonly string[] }[];
  readonly title?: string;
}

const GUTTER = 64;
const TITLE_H = 34;
/** Output pixels per model unit: the region is scaled to about this width. */
const TARGET_WIDTH = 1600;

function featureText(n: SceneNode, l: SceneLabels): string {
  const m = /^(\d+)_(\d+)_/.exec(n.id);
  const dict = m ? l.featureLabels[`${m[1]}_${m[2]}`] : undefined;
  return l.nodeLabels[n.id] || dict || n.label;
}

/** The SVG text of a scene (see the module comment). */
export function sceneSvg(scene: GraphScene, labels: SceneLabels): string {
  const r = scene.region;
  const rw = Math.max(1, r.x2 - r.x1);
  const rh = Math.max(1, r.y2 - r.y1);
  // Scale so the picture is about TARGET_WIDTH wide, never below the on-screen zoom.
  const k = Math.max(scene.zoom, Math.min(4, TARGET_WIDTH / rw));
  const top = labels.title ? TITLE_H : 0;
  const W = GUTTER + rw * k;
  const H = top + rh * k;
  const X = (x: number) => n2(GUTTER + (x - r.x1) * k);
  const Y = (y: number) => n2(top + (y - r.y1) * k);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${n2(W)}" height="${n2(H)}" viewBox="0 0 ${n2(W)} ${n2(H)}" font-family="${xml(FONT)}" role="img" aria-label="${xml(labels.title ?? 'Attribution graph')}">`);
  out.push(`<rect x="0" y="0" width="${n2(W)}" height="${n2(H)}" fill="#ffffff"/>`);
  if (labels.title) out.push(`<text x="12" y="22" font-size="16" font-weight="600" fill="#111827">${xml(clip(labels.title, Math.floor(W / 9)))}</text>`);

  // Edges, weakest batch first (as the edge layer draws them); one <g> per batch carries its look.
  let batch = -1;
  out.push('<g fill="none" stroke-linecap="round">');
  for (const e of scene.edges) {
    if (e.batch !== batch) {
      if (batch >= 0) out.push('</g>');
      batch = e.batch;
      const s = batchStyle(batch);
      out.push(`<g stroke="${s.color}" stroke-width="${n2(Math.max(0.5, s.width * Math.min(2, Math.max(0.6, k))))}" stroke-opacity="${n2(Math.max(0.05, s.alpha * scene.edgeAlpha))}">`);
    }
    out.push(`<line x1="${X(e.x1)}" y1="${Y(e.y1)}" x2="${X(e.x2)}" y2="${Y(e.y2)}"/>`);
  }
  if (batch >= 0) out.push('</g>');
  out.push('</g>');

  // Supernode frames (under the nodes): the members' bounding box, dashed, with the label above it.
  const byId = new Map(scene.nodes.map((n) => [n.id, n]));
  for (const sn of labels.supernodes) {
    const members = sn.nodeIds.map((id) => byId.get(id)).filter((n): n is SceneNode => n !== undefined);
    if (members.length === 0) continue;
    const pad = 16 / k + 14;
    const x1 = Math.min(...members.map((m) => m.x)) - pad;
    const x2 = Math.max(...members.map((m) => m.x)) + pad;
    const y1 = Math.min(...members.map((m) => m.y)) - pad;
    const y2 = Math.max(...members.map((m) => m.y)) + pad;
    const text = sn.label || sn.id;
    out.push(`<g data-supernode="${xml(sn.id)}">`);
    out.push(`<rect x="${X(x1)}" y="${Y(y1)}" width="${n2((x2 - x1) * k)}" height="${n2((y2 - y1) * k)}" rx="8" fill="${MARK_COLORS.supernode}" fill-opacity="0.06" stroke="${MARK_COLORS.supernode}" stroke-width="2" stroke-dasharray="7 4"/>`);
    const tw = textWidth(text, 14) + 12;
    out.push(`<rect x="${X(x1)}" y="${n2(Number(Y(y1)) - 22)}" width="${n2(tw)}" height="20" rx="4" fill="${MARK_COLORS.supernode}"/>`);
    out.push(`<text x="${n2(Number(X(x1)) + 6)}" y="${n2(Number(Y(y1)) - 7)}" font-size="14" font-weight="700" fill="#ffffff">${xml(text)}</text>`);
    out.push('</g>');
  }

  // Nodes.
  const fs = (px: number) => n2(Math.max(px, px * Math.min(k, 1.6)));
  for (const n of scene.nodes) {
    const cx = X(n.x);
    const cy = Y(n.y);
    const pinned = n.marks.includes('pinned') || n.marks.includes('supernode');
    const stroke = n.selected ? '#0f766e' : n.marks.includes('supernode') ? MARK_COLORS.supernode : pinned ? MARK_COLORS.pinned : null;
    const markAttrs = stroke ? ` stroke="${stroke}" stroke-width="3"${n.marks.includes('supernode') ? ' stroke-dasharray="4 2"' : ''}` : '';
    out.push(`<g data-node="${xml(n.id)}" data-kind="${n.kind}">`);
    if (n.marks.includes('affected')) out.push(`<circle cx="${cx}" cy="${cy}" r="${n2(((n.size || 20) / 2 + 4) * k)}" fill="${MARK_COLORS.affected}" fill-opacity="0.55"/>`);
    if (n.kind === 'feature') {
      const rad = (n.size / 2) * k;
      out.push(`<circle cx="${cx}" cy="${cy}" r="${n2(rad)}" fill="${featureColor(levelStrength(Math.max(0, n.level)))}"${markAttrs || ' stroke="#5b4b8a" stroke-width="1"'}/>`);
      const text = featureText(n, labels);
      const labelled = text !== n.label;
      out.push(`<text x="${cx}" y="${n2(Number(cy) + rad + 11 * Math.min(k, 1.6) + 2)}" font-size="${fs(labelled ? 11 : 9)}" font-weight="${labelled ? 600 : 400}" text-anchor="middle" fill="#374151">${xml(clip(text, 28))}</text>`);
    } else if (n.kind === 'error') {
      const h = 4.5 * k;
      out.push(`<path d="M${cx} ${n2(Number(cy) - h)} L${n2(Number(cx) + h)} ${cy} L${cx} ${n2(Number(cy) + h)} L${n2(Number(cx) - h)} ${cy} Z" fill="${NODE_COLORS.error}"${markAttrs}/>`);
    } else {
      const isTok = n.kind === 'token';
      const text = n.label;
      const px = isTok ? 12 : 11;
      const w = Math.max((isTok ? 64 : 78) * k, textWidth(text, Number(fs(px))) + 12);
      const h = (isTok ? 24 : 30) * k;
      out.push(`<rect x="${n2(Number(cx) - w / 2)}" y="${n2(Number(cy) - h / 2)}" width="${n2(w)}" height="${n2(h)}" rx="${isTok ? 4 : 10}" fill="${isTok ? NODE_COLORS.token : NODE_COLORS.logit}" stroke="${stroke ?? (isTok ? NODE_COLORS.tokenBorder : NODE_COLORS.logitBorder)}" stroke-width="${stroke ? 3 : 1}"/>`);
      out.push(`<text x="${cx}" y="${n2(Number(cy) + Number(fs(px)) * 0.35)}" font-size="${fs(px)}" font-family="${isTok ? xml(MONO) : xml(FONT)}" font-weight="${isTok ? 400 : 700}" text-anchor="middle" fill="#1f2937">${xml(text)}</text>`);
    }
    out.push('</g>');
  }

  // Row names in the left gutter.
  out.push(`<rect x="0" y="${top}" width="${GUTTER - 6}" height="${n2(H - top)}" fill="#ffffff" fill-opacity="0.85"/>`);
  for (const row of scene.rows) out.push(`<text x="8" y="${n2(Number(Y(row.y)) + 4)}" font-size="12" fill="#6b7280">${xml(rowLabelText(row.level, scene.nLayers))}</text>`);
  out.push('</svg>');
  return out.join('\n');
}
