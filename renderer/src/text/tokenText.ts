/**
 * Token texts made visible: leading spaces and newlines are exactly what distinguishes " Lily" from "Lily",
 * so chips and labels show them as "·" and "⏎" instead of invisible whitespace.
 */

const CONTROL_PICTURES = 0x2400; // U+2400.. "␀".. mirror C0 control codes

export function visibleToken(text: string): string {
  if (text.length === 0) return '∅';
  let out = '';
  for (const ch of text) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === ' ') out += '·';
    else if (ch === '\n') out += '⏎';
    else if (ch === '\t') out += '⇥';
    else if (c < 0x20) out += String.fromCodePoint(CONTROL_PICTURES + c);
    else if (c === 0x7f) out += '␡';
    else out += ch;
  }
  return out;
}

/** A label for graph nodes: visible whitespace, shortened so a node label stays a label. */
export function shortToken(text: string, max = 14): string {
  const v = visibleToken(text);
  const chars = [...v];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : v;
}

/**
 * Parses what the user typed as a target token: "#123" is a vocabulary id, anything else is token text
 * (sent verbatim, spaces included, because " Lily" and "Lily" are different tokens).
 */
export function parseTokenRef(input: string): string | number | null {
  const m = /^#(\d+)$/.exec(input.trim());
  if (m) return Number(m[1]);
  return input.length > 0 ? input : null;
}
