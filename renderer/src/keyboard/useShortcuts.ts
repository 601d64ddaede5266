/** Global keyboard shortcuts (the mapping itself is the pure `shortcutFor`). */
import { useEffect } from 'react';
import { SEARCH_INPUT_ID } from '../components/SearchBox';
import { useWorkbenchStore } from '../store/react';
import { shortcutFor } from './shortcuts';

/** Whether keys typed now go into a text field (shortcuts of plain keys stay out of its way). */
export function isEditable(el: Element | null): boolean {
  if (!el) return false;
  if (el instanceof HTMLTextAreaElement || el instanceof HTMLSelectElement) return true;
  if (el instanceof HTMLInputElement) return !['button', 'checkbox', 'radio', 'range', 'submit', 'reset'].includes(el.type);
  return (el as HTMLElement).isContentEditable === true;
}

export function useShortcuts(): void {
  const store = useWorkbenchStore();
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const active = document.activeElement;
      const cmd = shortcutFor({ key: e.key, ctrlKey: e.ctrlKey, metaKey: e.metaKey, altKey: e.altKey, inEditable: isEditable(active) });
      if (!cmd) return;
      const a = store.getState().actions;
      switch (cmd) {
        case 'help':
          e.preventDefault();
          a.setHelpOpen(!store.getState().helpOpen);
          break;
        case 'escape':
          a.escape();
          if (active instanceof HTMLElement && active.id === SEARCH_INPUT_ID) active.blur();
          break;
        case 'fit':
          e.preventDefault();
          a.fit();
          break;
        case 'focus-search':
          e.preventDefault();
          document.getElementById(SEARCH_INPUT_ID)?.focus();
          break;
        case 'trace':
          e.preventDefault();
          void a.trace();
          break;
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [store]);
}
