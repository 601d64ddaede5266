/**
 * The React access every store has (a context so tests can inject their own store, the store from it, a selector
 * hook, the actions): made once here for the work store (work/context.ts) and the exporter (present/context.ts).
 */
import { createContext, useContext, type Context } from 'react';
import { useStore, type StoreApi } from 'zustand';

export interface StoreContext<S extends { readonly actions: A }, A> {
  readonly Context: Context<StoreApi<S> | null>;
  /** The store provided (throws when the context is missing). */
  readonly useStoreApi: () => StoreApi<S>;
  readonly useSelect: <T>(selector: (s: S) => T) => T;
  readonly useActions: () => A;
}

export function storeContext<S extends { readonly actions: A }, A>(name: string): StoreContext<S, A> {
  const Ctx = createContext<StoreApi<S> | null>(null);
  const useStoreApi = (): StoreApi<S> => {
    const s = useContext(Ctx);
    if (!s) throw new Error(`${name} missing`);
    return s;
  };
  return {
    Context: Ctx,
    useStoreApi,
    useSelect: <T>(selector: (s: S) => T): T => useStore(useStoreApi(), selector),
    useActions: (): A => useStore(useStoreApi(), (s) => s.actions),
  };
}
