/**
 * The work store's global hooks: Ctrl/⌘+Z undo, Ctrl/⌘+Shift+Z (or Ctrl+Y) redo, Ctrl/⌘-click on a graph node
 * pins or unpins it, and the browser's leave-page warning while the explanation has unsaved changes. In browser
 * mode also Ctrl/⌘+S (save), Ctrl/⌘+Shift+S (save as) and Ctrl/⌘+O (open); the desktop menu has them itself.
 */
import { useEffect } from 'react';
import { isEditable } from '../keyboard/useShortcuts';
import { isDirty } from '../store/work/model';
import { useWorkbenchStore } from '../store/react';
import { useWorkStore } from './context';

/** How long after a Ctrl/⌘-press on the graph a new selection counts as that click (cytoscape taps on release). */
const CLICK_WINDOW_MS = 1500;

export function useWorkEffects(): void {
  const work = useWorkStore();
  const main = useWorkbenchStore();
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!(e.ctrlKey || e.metaKey) || e.altKey) return;
      const k = e.key.toLowerCase();
      const a = work.getState().actions;
      if (!window.cwbBridge && (k === 's' || (k === 'o' && !e.shiftKey))) {
        e.preventDefault();
        void (k === 'o' ? a.open() : e.shiftKey ? a.saveAs() : a.save());
        return;
      }
      if (isEditable(document.activeElement)) return;
      if (k === 'z' && !e.shiftKey) {
        e.preventDefault();
        a.undo();
      } else if ((k === 'z' && e.shiftKey) || (k === 'y' && !e.shiftKey)) {
        e.preventDefault();
        a.redo();
      }
    };
    // The graph view reports plain and Shift clicks only; a Ctrl/⌘-press on the graph canvas just before a
    // selection turns that click into pin/unpin.
    let pinClickAt = -Infinity;
    const onPointer = (e: PointerEvent) => {
      const inGraph = e.target instanceof Element && e.target.closest('[data-testid="graph"]') !== null;
      pinClickAt = inGraph && (e.ctrlKey || e.metaKey) && e.button === 0 ? performance.now() : -Infinity;
    };
    const unsubscribe = main.subscribe((s, prev) => {
      if (s.selected === prev.selected || performance.now() - pinClickAt > CLICK_WINDOW_MS) return;
      pinClickAt = -Infinity;
      const i = s.selected.at(-1);
      const node = i === undefined ? undefined : s.graph?.nodes.find((n) => n.index === i);
      if (node) work.getState().actions.togglePin(node.id);
    });
    const onUnload = (e: BeforeUnloadEvent) => {
      if (!isDirty(work.getState().history)) return;
      e.preventDefault();
      e.returnValue = '';
    };
    window.addEventListener('keydown', onKey);
    window.addEventListener('pointerdown', onPointer, true);
    window.addEventListener('beforeunload', onUnload);
    return () => {
      window.removeEventListener('keydown', onKey);
      window.removeEventListener('pointerdown', onPointer, true);
      window.removeEventListener('beforeunload', onUnload);
      unsubscribe();
    };
  }, [work, main]);
}
