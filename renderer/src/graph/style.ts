/**
 * The cytoscape stylesheet — nodes only (the edges are drawn by the edge layer, edgeLayer.ts). Kept cheap on
 * purpose for thousands of nodes; labels are hidden below a readable zoomed font size rather than shrunk to
 * illegibility, and token / logit labels are grown with the zoom by the controller (labels.ts).
 */
import type { StylesheetJson } from 'cytoscape';
import { LOGIT_BOX, LOGIT_FONT, TOKEN_BOX, TOKEN_FONT } from './labels';
import { FEATURE_LEVELS, featureColor, featureSize, levelStrength, NODE_COLORS } from './scales';

/** Labels drawn smaller than this (CSS px) are not drawn at all. */
export const MIN_ZOOMED_FONT_PX = 9;

/** Colours of the explanation marks (also used by the legend). */
export const MARK_COLORS = { pinned: '#111827', supernode: '#c026d3', affected: '#f97316' } as const;

const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const MONO = 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace';

export const GRAPH_STYLE: StylesheetJson = [
  // Feature nodes (the thousands) carry as few properties as possible and no label: cytoscape's style and
  // label work is per node and per re-prune; their labels are drawn by featureLabels.ts from zoom 1 on.
  { selector: 'node.feature', style: { 'border-width': 1, 'border-color': '#5b4b8a' } },
  ...Array.from({ length: FEATURE_LEVELS }, (_, level) => {
    const s = levelStrength(level);
    return { selector: `node.f${level}`, style: { width: featureSize(s), height: featureSize(s), 'background-color': featureColor(s) } };
  }),
  {
    selector: 'node.token, node.logit',
    style: {
      'font-family': FONT,
      color: '#1f2937',
      'min-zoomed-font-size': MIN_ZOOMED_FONT_PX,
      label: 'data(label)',
    },
  },
  {
    selector: 'node.error',
    style: { shape: 'diamond', width: 9, height: 9, 'background-color': NODE_COLORS.error },
  },
  {
    selector: 'node.token',
    style: {
      shape: 'round-rectangle',
      width: TOKEN_BOX.width,
      height: TOKEN_BOX.height,
      'background-color': NODE_COLORS.token,
      'border-width': 1,
      'border-color': NODE_COLORS.tokenBorder,
      'text-valign': 'center',
      'font-size': TOKEN_FONT,
      'font-family': MONO,
      'text-wrap': 'ellipsis',
      'text-max-width': '84px',
    },
  },
  {
    selector: 'node.logit',
    style: {
      shape: 'round-hexagon',
      width: LOGIT_BOX.width,
      height: LOGIT_BOX.height,
      'background-color': NODE_COLORS.logit,
      'border-width': 1,
      'border-color': NODE_COLORS.logitBorder,
      'text-valign': 'center',
      'font-size': LOGIT_FONT,
      'font-weight': 'bold',
    },
  },
  { selector: 'node.logit.two-lines', style: { label: 'data(label2)', 'text-wrap': 'wrap', 'line-height': 1.1 } },
  // no grey overlay on the tapped node
  { selector: 'node:active', style: { 'overlay-opacity': 0 } },
  // Explanation marks (graph/marks.ts): pinned, supernode member (also pinned: drawn after it), affected by the
  // last intervention. Before the hover / path / selection styles, which win over them.
  { selector: 'node.mark-pinned', style: { 'border-width': 3, 'border-color': MARK_COLORS.pinned, 'border-opacity': 1 } },
  { selector: 'node.mark-supernode', style: { 'border-width': 3, 'border-style': 'dashed', 'border-color': MARK_COLORS.supernode, 'border-opacity': 1 } },
  { selector: 'node.mark-affected', style: { 'underlay-color': MARK_COLORS.affected, 'underlay-opacity': 0.55, 'underlay-padding': 4, 'underlay-shape': 'ellipse' } },
  { selector: 'node.dim', style: { opacity: 0.18 } },
  { selector: 'node.hover-highlight', style: { 'border-width': 2, 'border-color': '#d97706' } },
  { selector: 'node.path-highlight', style: { 'border-width': 3, 'border-color': '#111827', opacity: 1 } },
  { selector: 'node.selected', style: { 'border-width': 4, 'border-color': '#0f766e', 'border-opacity': 1, 'z-index': 30 } },
];

/**
 * Measures the label fonts once on a scratch canvas so the font lookup (slow the first time, notably in
 * headless Chromium) happens while the app starts, not inside the first graph's render.
 */
export function warmUpFonts(): void {
  try {
    const ctx = document.createElement('canvas').getContext('2d');
    if (!ctx) return;
    for (const f of [`8px ${FONT}`, `9px ${FONT}`, `bold 10px ${FONT}`, `bold 12px ${FONT}`, `11px ${MONO}`]) {
      ctx.font = f;
      ctx.measureText('Ab #17 ·Lily 42%');
    }
  } catch {
    // a canvas-less environment: nothing to warm up
  }
}
