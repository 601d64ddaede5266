/** React access to the explanation work store (store/work/workStore.ts), provided beside the workbench store. */
import { storeContext } from '../store/storeContext';
import type { WorkActions, WorkState } from '../store/work/workStore';

const ctx = storeContext<WorkState, WorkActions>('WorkStoreContext');

export const WorkStoreContext = ctx.Context;
export const useWorkStore = ctx.useStoreApi;
export const useWork = ctx.useSelect;
export const useWorkActions = ctx.useActions;
