/**
 * The cytoscape stylesheet. Kept cheap on purpose for thousands of elements: haystack edges (straight, no
 * arrows, no per-edge geometry), no edge labels, labels hidden below a readable zoomed font size.
 */
import type { StylesheetJson } from 'cytoscape';
import { EDGE_NEGATIVE, EDGE_POSITIVE, EDGE_WIDTH_MAX, EDGE_WIDTH_MIN, NODE_COLORS } from './scales';

const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const MONO = 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace';

export const GRAPH_STYLE: StylesheetJson = [
  {
    selector: 'node',
    style: {
      'font-family': FONT,
      'font-size': 9,
      color: '#1f2937',
      'min-zoomed-font-size': 7,
      label: 'data(label)',
      'border-width': 0,
      'overlay-opacity': 0,
    },
  },
  {
    selector: 'node.feature',
    style: {
      shape: 'ellipse',
      width: 'data(size)',
      height: 'data(size)',
      'background-color': 'data(color)',
      'border-width': 1,
      'border-color': '#5b4b8a',
      'text-valign': 'bottom',
      'text-margin-y': 2,
      'font-size': 8,
      color: '#4b5563',
    },
  },
  {
    selector: 'node.error',
    style: { shape: 'diamond', width: 9, height: 9, 'background-color': NODE_COLORS.error, label: '' },
  },
  {
    selector: 'node.token',
    style: {
      shape: 'round-rectangle',
      width: 64,
      height: 24,
      'background-color': NODE_COLORS.token,
      'border-width': 1,
      'border-color': NODE_COLORS.tokenBorder,
      'text-valign': 'center',
      'font-size': 12,
      'min-zoomed-font-size': 5,
      'font-family': MONO,
    },
  },
  {
    selector: 'node.logit',
    style: {
      shape: 'round-hexagon',
      width: 78,
      height: 30,
      'background-color': NODE_COLORS.logit,
      'border-width': 1,
      'border-color': NODE_COLORS.logitBorder,
      'text-valign': 'center',
      'font-size': 11,
      'min-zoomed-font-size': 5,
      'font-weight': 'bold',
    },
  },
  {
    selector: 'node.axis',
    style: {
      shape: 'rectangle',
      width: 1,
      height: 1,
      'background-opacity': 0,
      color: '#4b5563',
      'font-size': 14,
      'font-weight': 'bold',
      'text-valign': 'center',
      'text-halign': 'left',
      'min-zoomed-font-size': 5,
      events: 'no',
    },
  },
  {
    selector: 'edge',
    style: {
      'curve-style': 'haystack',
      'haystack-radius': 0,
      width: `mapData(aw, 0, 1, ${EDGE_WIDTH_MIN}, ${EDGE_WIDTH_MAX})`,
      // weak edges recede so the strong ones read through a dense graph
      // (cytoscape's typings omit mappers for opacity; the stylesheet accepts them like any number property)
      opacity: 'mapData(aw, 0, 1, 0.15, 0.85)' as unknown as number,
      'overlay-opacity': 0,
    },
  },
  { selector: 'edge.pos', style: { 'line-color': EDGE_POSITIVE } },
  { selector: 'edge.neg', style: { 'line-color': EDGE_NEGATIVE } },
  { selector: 'node.dim', style: { opacity: 0.18 } },
  { selector: 'edge.dim', style: { opacity: 0.04 } },
  { selector: 'edge.hover-highlight', style: { opacity: 0.95, 'z-index': 10 } },
  { selector: 'node.hover-highlight', style: { 'border-width': 2, 'border-color': '#d97706' } },
  { selector: 'edge.path-highlight', style: { opacity: 1, 'z-index': 20 } },
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
