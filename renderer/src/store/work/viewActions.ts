/**
 * The work store's saved-view actions (store/work/views.ts holds the pure edits): save the current view, rename,
 * update, reorder, delete (all undoable), apply a view (thresholds, region, highlighted path, graph or subgraph
 * figure) and step through them (presentation mode's arrow keys). Applying is not an edit: it changes what is
 * shown, not the explanation.
 */
import type { SavedView } from '../../../../shared/explanation';
import type { WorkbenchStore } from '../store';
import type * as M from './model';
import * as V from './views';

export type Display = 'graph' | 'subgraph';

/** What the view actions read and write of the work store. */
export interface ViewSlice {
  readonly history: M.WorkHistory;
  readonly graphId: string | null;
  /** The view last applied (index into work.views), null when none or after it was changed away from. */
  readonly activeView: number | null;
  /** A saved view's highlighted path (node ids) on this graph; the graph view shows it when no path is hovered or pinned. */
  readonly viewPath: { readonly graphId: string; readonly ids: readonly string[] } | null;
  /** What the graph pane shows: the pruned graph or the labelled subgraph figure. */
  readonly display: Display;
}

export interface ViewActions {
  /** Saves a view from a capture of the current canvas (name: "View N" when blank); returns its index. */
  saveView(capture: V.ViewCapture, name?: string): number;
  renameView(index: number, name: string): void;
  updateView(index: number, patch: Partial<SavedView>): void;
  moveView(index: number, by: -1 | 1): void;
  removeView(index: number): void;
  applyView(index: number): void;
  /** Applies the next (+1) or previous (−1) view; false when there is none to go to. */
  stepView(by: -1 | 1): boolean;
  setDisplay(display: Display): void;
}

/** The view last applied, if any. */
export const activeViewOf = (s: ViewSlice): SavedView | undefined => (s.activeView !== null ? s.history.present.work.views[s.activeView] : undefined);

type Set = (partial: Partial<ViewSlice> | ((s: ViewSlice) => Partial<ViewSlice>)) => void;

export function createViewActions(
  get: () => ViewSlice,
  set: Set,
  edit: (fn: (d: M.WorkDoc) => M.WorkDoc, key?: string | null) => void,
  main: WorkbenchStore,
): ViewActions {
  const views = () => get().history.present.work.views;
  const actions: ViewActions = {
    saveView: (capture, name) => {
      const n = name?.trim() || V.nextViewName(get().history.present);
      edit(V.addView(V.viewFromCapture(n, capture)));
      const index = views().length - 1;
      set({ activeView: index });
      return index;
    },
    renameView: (index, name) => edit(V.renameView(index, name), `view-name:${index}`),
    // Typing a caption is one undo step per field (as labels and notes).
    updateView: (index, patch) => edit(V.updateView(index, patch), `view:${index}:${Object.keys(patch).sort().join(',')}`),
    moveView: (index, by) => {
      edit(V.moveView(index, by));
      const a = get().activeView;
      if (a === index) set({ activeView: Math.min(views().length - 1, Math.max(0, index + by)) });
      else if (a === index + by) set({ activeView: index });
    },
    removeView: (index) => {
      edit(V.removeView(index));
      const a = get().activeView;
      if (a !== null) set({ activeView: a === index ? null : a > index ? a - 1 : a });
    },
    applyView: (index) => {
      const v = views()[index];
      const m = main.getState();
      if (!v || !m.graph) return;
      const { actions } = m;
      if (m.nodeThreshold !== v.nodeThreshold) actions.setNodeThreshold(v.nodeThreshold);
      if (m.edgeThreshold !== v.edgeThreshold) actions.setEdgeThreshold(v.edgeThreshold);
      if (v.region) actions.showRegion(v.region);
      else actions.fit();
      const path = v.highlightedPaths?.[0];
      set({ activeView: index, display: v.show ?? 'graph', viewPath: path && path.length > 1 ? { graphId: m.graph.graphId, ids: path } : null });
    },
    stepView: (by) => {
      const next = V.stepView(get().activeView, views().length, by);
      if (next === null || next === get().activeView) return false;
      actions.applyView(next);
      return true;
    },
    setDisplay: (display) => {
      // Switching away from what the applied view shows: that view is no longer what is on screen.
      const v = activeViewOf(get());
      set(v && (v.show ?? 'graph') !== display ? { display, activeView: null } : { display });
    },
  };
  return actions;
}
