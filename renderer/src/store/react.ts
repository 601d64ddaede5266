/** React access to the workbench store: one store per app, provided by context so tests can inject their own. */
import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import type { WorkbenchStore } from './store';
import type { WorkbenchActions, WorkbenchState } from './types';

export const StoreContext = createContext<WorkbenchStore | null>(null);

export function useWorkbenchStore(): WorkbenchStore {
  const s = useContext(StoreContext);
  if (!s) throw new Error('StoreContext missing');
  return s;
}

export function useWb<T>(selector: (s: WorkbenchState) => T): T {
  return useStore(useWorkbenchStore(), selector);
}

export function useActions(): WorkbenchActions {
  return useStore(useWorkbenchStore(), (s) => s.actions);
}
