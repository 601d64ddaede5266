/**
 * Saved views of an explanation (pure, unit-tested): named snapshots of what the graph canvas showed — the
 * thresholds, the visible region, a highlighted path, whether the labelled subgraph figure is shown and which
 * supernodes it is about, and optionally a causal test whose result goes with it in presentation mode. They are
 * part of the undoable work document (`work.views` of the explanation file, shared/explanation.ts).
 */
import type { SavedView } from '../../../../shared/explanation';
import type { Box } from '../../graph/viewport';
import type { WorkDoc } from './model';

export type { SavedView };

/** What the UI captures for a new view (the thresholds and canvas state of the moment). */
export interface ViewCapture {
  readonly nodeThreshold: number;
  readonly edgeThreshold: number;
  readonly region: Box | null;
  /** The highlighted path, as node ids. */
  readonly path: readonly string[] | null;
  readonly show: 'graph' | 'subgraph';
  readonly supernodeIds?: readonly string[];
  readonly testId?: string | null;
}

const withViews = (d: WorkDoc, views: readonly SavedView[]): WorkDoc => ({ ...d, work: { ...d.work, views: [...views] } });

const round = (x: number) => Math.round(x * 100) / 100;

/** A saved view from a capture (regions rounded to 0.01 model units: files stay readable, nothing visible moves). */
export function viewFromCapture(name: string, c: ViewCapture): SavedView {
  const v: SavedView = { name: name.slice(0, 200), nodeThreshold: c.nodeThreshold, edgeThreshold: c.edgeThreshold };
  return {
    ...v,
    ...(c.region ? { region: { x1: round(c.region.x1), y1: round(c.region.y1), x2: round(c.region.x2), y2: round(c.region.y2) } } : {}),
    ...(c.path && c.path.length > 1 ? { highlightedPaths: [[...c.path]] } : {}),
    show: c.show,
    ...(c.supernodeIds && c.supernodeIds.length > 0 ? { supernodeIds: [...c.supernodeIds] } : {}),
    ...(c.testId ? { testId: c.testId } : {}),
  };
}

/** "View 1", "View 2", … the first not taken. */
export function nextViewName(d: WorkDoc): string {
  const used = new Set(d.work.views.map((v) => v.name));
  let i = d.work.views.length + 1;
  while (used.has(`View ${i}`)) i++;
  return `View ${i}`;
}

export function addView(view: SavedView): (d: WorkDoc) => WorkDoc {
  return (d) => withViews(d, [...d.work.views, view]);
}

export function renameView(index: number, name: string): (d: WorkDoc) => WorkDoc {
  return (d) => {
    const v = d.work.views[index];
    if (!v || v.name === name) return d;
    return withViews(d, d.work.views.map((x, i) => (i === index ? { ...x, name: name.slice(0, 200) } : x)));
  };
}

/**
 * Changes a view's fields; `undefined` in the patch removes an optional field (e.g. `{ testId: undefined }`
 * detaches the test). A patch that changes nothing returns the same document (no undo step).
 */
export function updateView(index: number, patch: Partial<SavedView>): (d: WorkDoc) => WorkDoc {
  return (d) => {
    const v = d.work.views[index];
    if (!v) return d;
    const next: Record<string, unknown> = { ...v };
    for (const [k, val] of Object.entries(patch)) {
      if (val === undefined) delete next[k];
      else next[k] = val;
    }
    const changed = Object.keys({ ...v, ...next }).some((k) => JSON.stringify((v as Record<string, unknown>)[k]) !== JSON.stringify(next[k]));
    return changed ? withViews(d, d.work.views.map((x, i) => (i === index ? (next as SavedView) : x))) : d;
  };
}

export function removeView(index: number): (d: WorkDoc) => WorkDoc {
  return (d) => (index >= 0 && index < d.work.views.length ? withViews(d, d.work.views.filter((_, i) => i !== index)) : d);
}

/** Moves a view one place up (−1) or down (+1) in the list (the order presentation mode steps through). */
export function moveView(index: number, by: -1 | 1): (d: WorkDoc) => WorkDoc {
  return (d) => {
    const j = index + by;
    const views = d.work.views;
    if (index < 0 || index >= views.length || j < 0 || j >= views.length) return d;
    const next = [...views];
    [next[index], next[j]] = [next[j], next[index]];
    return withViews(d, next);
  };
}

/** Removing a test detaches it from the views that showed it (a dangling id would show nothing). */
export function detachTest(testId: string): (d: WorkDoc) => WorkDoc {
  return (d) => {
    if (!d.work.views.some((v) => v.testId === testId)) return d;
    return withViews(
      d,
      d.work.views.map((v) => {
        if (v.testId !== testId) return v;
        const { testId: _drop, ...rest } = v;
        return rest;
      }),
    );
  };
}

/**
 * The view index after stepping by ±1 from `current` (null: none applied yet → the first or last), clamped to
 * the list; null when there are no views.
 */
export function stepView(current: number | null, count: number, by: -1 | 1): number | null {
  if (count === 0) return null;
  if (current === null || current >= count) return by > 0 ? 0 : count - 1;
  return Math.min(count - 1, Math.max(0, current + by));
}
