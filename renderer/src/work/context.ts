/** React access to the explanation work store (store/work/workStore.ts), provided beside the workbench store. */
import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import type { WorkActions, WorkState, WorkStore } from '../store/work/workStore';

export const WorkStoreContext = createContext<WorkStore | null>(null);

export function useWorkStore(): WorkStore {
  const s = useContext(WorkStoreContext);
  if (!s) throw new Error('WorkStoreContext missing');
  return s;
}

export function useWork<T>(selector: (s: WorkState) => T): T {
  return useStore(useWorkStore(), selector);
}

export function useWorkActions(): WorkActions {
  return useStore(useWorkStore(), (s) => s.actions);
}
