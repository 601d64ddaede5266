/** Keyboard shortcuts (pure mapping from a key event to a command, so the rules are testable). */

export type ShortcutCommand = 'help' | 'escape' | 'fit' | 'focus-search' | 'trace';

export interface KeyInput {
  readonly key: string;
  readonly ctrlKey: boolean;
  readonly metaKey: boolean;
  readonly altKey: boolean;
  /** Focus is in a text field: plain letters belong to the field there. */
  readonly inEditable: boolean;
}

export const SHORTCUTS: readonly { readonly keys: string; readonly does: string }[] = [
  { keys: '?', does: 'Show this help' },
  { keys: 'Esc', does: 'Close dialogs, unpin the path, clear the selection' },
  { keys: 'f', does: 'Fit the graph to the view' },
  { keys: '/', does: 'Search nodes' },
  { keys: 'Ctrl/⌘ + Enter', does: 'Trace the prompt' },
  { keys: 'Shift + click', does: 'Select a second node (paths between the two)' },
  { keys: 'Ctrl/⌘ + click', does: 'Pin or unpin a node (the subgraph)' },
  { keys: 'Ctrl/⌘ + Z, Ctrl/⌘ + Shift + Z', does: 'Undo, redo (pins, supernodes, labels, notes, tests)' },
  { keys: 'Ctrl/⌘ + S, Ctrl/⌘ + Shift + S, Ctrl/⌘ + O', does: 'Save, save as, open an explanation' },
  { keys: 'p', does: 'Presentation mode (full screen; Esc leaves)' },
  { keys: '← →, PageUp / PageDown', does: 'Presentation mode: previous / next saved view' },
  { keys: 'Wheel / drag', does: 'Zoom / pan the graph' },
];

export function shortcutFor(e: KeyInput): ShortcutCommand | null {
  if (e.key === 'Escape') return 'escape';
  if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) return 'trace';
  if (e.inEditable || e.ctrlKey || e.metaKey || e.altKey) return null;
  if (e.key === '?') return 'help';
  if (e.key === 'f' || e.key === 'F') return 'fit';
  if (e.key === '/') return 'focus-search';
  return null;
}
