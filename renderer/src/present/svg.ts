/** Small helpers for writing SVG text by hand (pure): escaping, numbers, text width estimates. */

/** XML text / attribute escaping; characters XML 1.0 forbids (control characters) become U+FFFD. */
export function xml(s: string): string {
  return s
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '\uFFFD')
    .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A coordinate with at most two decimals (files stay small and stable). */
export const n2 = (x: number): string => String(Math.round(x * 100) / 100);

/** Rough advance of a string in a sans font of `px` size (no canvas needed; used only for box sizes). */
export function textWidth(s: string, px: number): number {
  let w = 0;
  for (const ch of s) w += /[ilI.,:;'|!]/.test(ch) ? 0.3 : /[mwMW@]/.test(ch) ? 0.85 : /[A-Z0-9#%]/.test(ch) ? 0.66 : ch.charCodeAt(0) > 0x2e80 ? 1 : 0.55;
  return w * px;
}

/** At most `max` characters, with an ellipsis when cut. */
export function clip(s: string, max: number): string {
  const chars = [...s];
  return chars.length <= max ? s : `${chars.slice(0, max - 1).join('').trimEnd()}…`;
}

export const FONT = 'system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif';
export const MONO = 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace';
