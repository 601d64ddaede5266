/**
 * On-canvas text that must stay readable at any zoom (pure). Cytoscape sizes labels in model units, so at the
 * zoom that fits a 15-token prompt (≈ 0.45) a 12-unit token label is 5 px. Token and logit labels (a few
 * dozen nodes) are re-sized when the zoom changes so they never get smaller than LABEL_MIN_PX on screen — or
 * are hidden when their column has no room for even a few characters; feature labels (thousands) simply
 * appear only from a zoom where they are readable (the stylesheet's min-zoomed-font-size). Row names
 * (Emb, L0…, Logits) are an HTML overlay pinned to the canvas' left edge (RowLabels in rowLabels.ts).
 */

/** Smallest on-screen size (CSS px) of a token / logit label. */
export const LABEL_MIN_PX = 10.5;
/** Advance of a character in em (monospace ≈ 0.6; the bold sans of logits is close). */
export const CHAR_EM = 0.62;
/** Below this many characters of room a label is hidden instead of shown as "x…". */
export const MIN_LABEL_CHARS = 3;

export const TOKEN_FONT = 12;
export const TOKEN_BOX = { width: 64, height: 24 } as const;
export const LOGIT_FONT = 11;
export const LOGIT_BOX = { width: 78, height: 30 } as const;

/**
 * Font size (model units) of a label designed at `base` at this zoom: `base`, or more so it is at least
 * `minPx` on screen; null when that size leaves room (model units) for fewer than MIN_LABEL_CHARS.
 */
export function labelFontSize(base: number, zoom: number, room: number, minPx = LABEL_MIN_PX): number | null {
  if (!(zoom > 0)) return null;
  const f = Math.max(base, minPx / zoom);
  return room / (CHAR_EM * f) >= MIN_LABEL_CHARS ? f : null;
}

export const textWidth = (chars: number, font: number): number => chars * CHAR_EM * font;

/** What a token / logit node looks like at one zoom: its bypass style, and whether its label takes two lines. */
export interface NodeLabelLook {
  readonly fontSize: number;
  readonly width: number;
  readonly height: number;
  readonly hidden: boolean;
  /** Logits: token on the first line, probability on the second (when one line does not fit). */
  readonly twoLines: boolean;
}

/**
 * The look of a token node (`lines` = [label]) or a logit node (`lines` = [token, probability]) with `room`
 * model units of width, at `zoom`. Boxes grow with the font (never past the room), so the label stays inside.
 */
export function nodeLabelLook(kind: 'token' | 'logit', lines: readonly string[], zoom: number, room: number, minZoomedPx: number): NodeLabelLook {
  const base = kind === 'token' ? TOKEN_FONT : LOGIT_FONT;
  const box = kind === 'token' ? TOKEN_BOX : LOGIT_BOX;
  const f = labelFontSize(base, zoom, room);
  if (f === null) {
    // Small enough that cytoscape's min-zoomed-font-size hides it.
    return { fontSize: Math.min(base, (0.5 * minZoomedPx) / zoom), width: box.width, height: box.height, hidden: true, twoLines: false };
  }
  const chars = lines.map((l) => [...l].length);
  const oneLine = chars.reduce((a, b) => a + b, 0) + Math.max(0, lines.length - 1);
  const twoLines = lines.length > 1 && textWidth(oneLine, f) + f > room;
  const widest = twoLines ? Math.max(...chars) : oneLine;
  const width = Math.min(Math.max(box.width, textWidth(widest, f) + f), Math.max(box.width, room));
  const height = Math.max(box.height, (twoLines ? 2.5 : 1.5) * f);
  return { fontSize: f, width, height, hidden: false, twoLines };
}

/** The name of a row: embeddings at the bottom, then the layers, logits on top. */
export function rowLabelText(level: number, nLayers: number): string {
  return level === 0 ? 'Emb' : level === nLayers + 1 ? 'Logits' : `L${level - 1}`;
}
