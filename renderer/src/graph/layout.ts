/**
 * The preset layout of an attribution graph (pure; never a force layout, so the picture reads like the
 * residual stream): one column per token position, one row band per level — token embeddings at the
 * bottom, then each transcoder layer's features and error node, logits on top. Several nodes in one
 * (level, position) cell fill a small grid from the centre outwards in decreasing influence. The view lays
 * out the nodes it shows (so the picture is compact at any threshold); because the most influential nodes
 * take the central slots, re-pruning mostly adds or removes nodes at the rim of each cell and the rest of
 * the picture stays where the user left it. Cells are sized by their crowding, columns and rows by their
 * widest / tallest cell.
 */
import type { GraphNode } from '../../../shared/api';

export type LayoutNode = Pick<GraphNode, 'index' | 'kind' | 'layer' | 'pos' | 'influence'>;

export interface Point {
  readonly x: number;
  readonly y: number;
}

export interface LayoutOptions {
  /** Distance between neighbouring feature/error nodes in a cell (model units = pixels at zoom 1). */
  readonly slot: number;
  /** Horizontal room per token node (its label is the token text). */
  readonly tokenWidth: number;
  /** Horizontal room per logit node (token text + probability). */
  readonly logitWidth: number;
  readonly logitHeight: number;
  readonly rowGap: number;
  readonly colGap: number;
  /** Width:height of a crowded cell's grid, in slots; wider than tall because prompts are long and models shallow. */
  readonly aspect: number;
  /**
   * Width:height of the canvas, when known: the gaps between layer rows grow (up to `maxRowGap`) so the
   * graph fills the canvas instead of a thin strip — prompts are long and models shallow.
   */
  readonly targetAspect?: number;
  readonly maxRowGap: number;
}

export const DEFAULT_LAYOUT: LayoutOptions = {
  slot: 30,
  tokenWidth: 72,
  logitWidth: 84,
  logitHeight: 56,
  rowGap: 48,
  colGap: 16,
  aspect: 2,
  maxRowGap: 200,
};

export interface LayoutBand {
  readonly level: number;
  /** Centre of the band (rows) or column. */
  readonly centre: number;
  readonly size: number;
}

export interface GraphLayout {
  /** Node index → centre position. */
  readonly positions: ReadonlyMap<number, Point>;
  /** One per position, left to right. */
  readonly columns: readonly LayoutBand[];
  /** One per level, bottom (embeddings, level 0) first; `centre` is the band's y. */
  readonly rows: readonly LayoutBand[];
  readonly width: number;
  readonly height: number;
}

/** Level of a node: 0 = token embeddings, 1..L = transcoder layers 0..L-1, L+1 = logits. */
export function levelOf(node: Pick<GraphNode, 'kind' | 'layer'>, nLayers: number): number {
  if (node.kind === 'token') return 0;
  if (node.kind === 'logit') return nLayers + 1;
  return Math.min(Math.max(node.layer, 0), nLayers - 1) + 1;
}

/** Grid shape of a cell with n nodes: about `aspect` times wider than tall. */
export function cellGrid(n: number, aspect: number): { cols: number; rows: number } {
  if (n <= 1) return { cols: 1, rows: 1 };
  const cols = Math.min(n, Math.ceil(Math.sqrt(n * aspect)));
  return { cols, rows: Math.ceil(n / cols) };
}

/** Slot offsets from the cell centre, nearest first (ties: same row first, then left-right, deterministic). */
export function centreOutSlots(cols: number, rows: number, slotW: number, slotH: number): Point[] {
  const slots: { x: number; y: number; d: number }[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const x = (c - (cols - 1) / 2) * slotW;
      const y = (r - (rows - 1) / 2) * slotH;
      slots.push({ x, y, d: x * x + y * y });
    }
  }
  slots.sort((a, b) => a.d - b.d || Math.abs(a.y) - Math.abs(b.y) || a.y - b.y || Math.abs(a.x) - Math.abs(b.x) || a.x - b.x);
  return slots.map(({ x, y }) => ({ x, y }));
}

export function computeLayout(nodes: readonly LayoutNode[], nLayers: number, nPos: number, opts: LayoutOptions = DEFAULT_LAYOUT): GraphLayout {
  const levels = nLayers + 2;
  let P = Math.max(nPos, 1);
  for (const n of nodes) P = Math.max(P, n.pos + 1);

  // Cells keyed by level * P + pos; members most influential first (index breaks ties so it is deterministic).
  const cells = new Map<number, LayoutNode[]>();
  for (const n of nodes) {
    const key = levelOf(n, nLayers) * P + Math.max(n.pos, 0);
    const cell = cells.get(key);
    if (cell) cell.push(n);
    else cells.set(key, [n]);
  }
  const slotSize = (level: number): { w: number; h: number } =>
    level === 0 ? { w: opts.tokenWidth, h: opts.slot } : level === levels - 1 ? { w: opts.logitWidth, h: opts.logitHeight } : { w: opts.slot, h: opts.slot };

  const colW = new Array<number>(P).fill(opts.tokenWidth);
  const rowH = new Array<number>(levels).fill(opts.slot);
  const grids = new Map<number, { cols: number; rows: number }>();
  for (const [key, members] of cells) {
    members.sort((a, b) => b.influence - a.influence || a.index - b.index);
    const level = Math.floor(key / P);
    const pos = key % P;
    const g = cellGrid(members.length, opts.aspect);
    grids.set(key, g);
    const s = slotSize(level);
    colW[pos] = Math.max(colW[pos], g.cols * s.w);
    rowH[level] = Math.max(rowH[level], g.rows * s.h);
  }

  const columns: LayoutBand[] = [];
  let x = 0;
  for (let p = 0; p < P; p++) {
    columns.push({ level: p, centre: x + colW[p] / 2, size: colW[p] });
    x += colW[p] + opts.colGap;
  }
  const width = Math.max(0, x - opts.colGap);
  let rowGap = opts.rowGap;
  if (opts.targetAspect && opts.targetAspect > 0 && levels > 1) {
    const natural = rowH.reduce((a, b) => a + b, 0);
    rowGap = Math.min(opts.maxRowGap, Math.max(opts.rowGap, (width / opts.targetAspect - natural) / (levels - 1)));
  }
  // Logits on top (smallest y), embeddings at the bottom: walk levels from the top down.
  const rowsTopDown: LayoutBand[] = [];
  let y = 0;
  for (let level = levels - 1; level >= 0; level--) {
    rowsTopDown.push({ level, centre: y + rowH[level] / 2, size: rowH[level] });
    y += rowH[level] + rowGap;
  }
  const rows = rowsTopDown.reverse();

  const positions = new Map<number, Point>();
  for (const [key, members] of cells) {
    const level = Math.floor(key / P);
    const pos = key % P;
    const { cols, rows: r } = grids.get(key)!;
    const s = slotSize(level);
    const slots = centreOutSlots(cols, r, s.w, s.h);
    const cx = columns[pos].centre;
    const cy = rows[level].centre;
    members.forEach((m, i) => positions.set(m.index, { x: cx + slots[i].x, y: cy + slots[i].y }));
  }
  return { positions, columns, rows, width, height: Math.max(0, y - rowGap) };
}
