import { describe, expect, it } from 'vitest';
import { explanationSchema } from '../../../../shared/explanation';
import * as M from './model';
import * as V from './views';

const capture = (p: Partial<V.ViewCapture> = {}): V.ViewCapture => ({ nodeThreshold: 0.8, edgeThreshold: 0.98, region: { x1: 0.123, y1: -5, x2: 400.456, y2: 300 }, path: null, show: 'graph', ...p });

describe('saved views', () => {
  it('captures thresholds, a rounded region, a path, the display, supernodes and a test', () => {
    expect(V.viewFromCapture('A', capture({ path: ['a', 'b'], show: 'subgraph', supernodeIds: ['sn1'], testId: 't1' }))).toEqual({
      name: 'A',
      nodeThreshold: 0.8,
      edgeThreshold: 0.98,
      region: { x1: 0.12, y1: -5, x2: 400.46, y2: 300 },
      highlightedPaths: [['a', 'b']],
      show: 'subgraph',
      supernodeIds: ['sn1'],
      testId: 't1',
    });
    // A one-node "path", no region, no test: left out.
    const v = V.viewFromCapture('B', capture({ region: null, path: ['a'], testId: null }));
    expect(v).toEqual({ name: 'B', nodeThreshold: 0.8, edgeThreshold: 0.98, show: 'graph' });
  });

  it('adds, renames, updates, moves and removes views as undoable edits, with dirty state', () => {
    let h = M.newHistory();
    h = M.applyEdit(h, V.addView(V.viewFromCapture(V.nextViewName(h.present), capture())));
    h = M.applyEdit(h, V.addView(V.viewFromCapture(V.nextViewName(h.present), capture({ show: 'subgraph' }))));
    expect(h.present.work.views.map((v) => v.name)).toEqual(['View 1', 'View 2']);
    h = M.markSaved(h);
    h = M.applyEdit(h, V.renameView(0, 'Overview'), 'view-name:0');
    h = M.applyEdit(h, V.renameView(0, 'Overview!'), 'view-name:0');
    expect(M.isDirty(h)).toBe(true);
    h = M.undo(h); // typing coalesced into one step
    expect(h.present.work.views[0].name).toBe('View 1');
    expect(M.isDirty(h)).toBe(false);
    h = M.redo(h);
    h = M.applyEdit(h, V.updateView(1, { testId: 't1' }));
    expect(h.present.work.views[1].testId).toBe('t1');
    expect(M.applyEdit(h, V.updateView(1, { testId: 't1' }))).toBe(h); // no change, no undo step
    h = M.applyEdit(h, V.updateView(1, { testId: undefined }));
    expect('testId' in h.present.work.views[1]).toBe(false);
    h = M.undo(h);
    h = M.applyEdit(h, V.moveView(1, -1));
    expect(h.present.work.views.map((v) => v.name)).toEqual(['View 2', 'Overview!']);
    expect(M.applyEdit(h, V.moveView(0, -1))).toBe(h);
    h = M.applyEdit(h, V.removeView(0));
    expect(h.present.work.views.map((v) => v.name)).toEqual(['Overview!']);
    expect(M.applyEdit(h, V.removeView(5))).toBe(h);
    h = M.undo(M.undo(h));
    expect(h.present.work.views.map((v) => v.name)).toEqual(['Overview!', 'View 2']);
    expect(h.present.work.views[1].testId).toBe('t1');
  });

  it('detaches a removed test from the views that showed it', () => {
    let h = M.applyEdit(M.newHistory(), V.addView(V.viewFromCapture('A', capture({ testId: 't1' }))));
    h = M.applyEdit(h, V.addView(V.viewFromCapture('B', capture({ testId: 't2' }))));
    h = M.applyEdit(h, V.detachTest('t1'));
    expect(h.present.work.views.map((v) => v.testId)).toEqual([undefined, 't2']);
    expect(M.applyEdit(h, V.detachTest('t9'))).toBe(h);
  });

  it('steps through the list, clamped at both ends', () => {
    expect(V.stepView(null, 0, 1)).toBeNull();
    expect(V.stepView(null, 3, 1)).toBe(0);
    expect(V.stepView(null, 3, -1)).toBe(2);
    expect(V.stepView(0, 3, 1)).toBe(1);
    expect(V.stepView(2, 3, 1)).toBe(2);
    expect(V.stepView(0, 3, -1)).toBe(0);
    expect(V.stepView(7, 3, 1)).toBe(0); // a stale index (views deleted) restarts
  });

  it('writes views the explanation file schema accepts', () => {
    const view = V.viewFromCapture('A', capture({ path: ['a', 'b'], show: 'subgraph', supernodeIds: ['sn1'], testId: 't1' }));
    const work = { ...M.emptyWork().work, views: [view] };
    const ok = explanationSchema.shape.work.safeParse(work);
    expect(ok.success).toBe(true);
    expect(explanationSchema.shape.work.safeParse({ ...work, views: [{ ...view, show: 'slides' }] }).success).toBe(false);
  });
});
