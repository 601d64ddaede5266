import { describe, expect, it } from 'vitest';
import type { GraphNode } from '../../../../shared/api';
import { interventionRequestSchema } from '../../../../shared/intervention';
import { buildIntervention, withDefaults, describeExpectation, explanationContent, explanationPath, logitToken } from './build';
import * as M from './model';

const test1 = { id: 't1', name: 'x', intervention: { edits: [], mode: 'frozen' as const, topK: 10, generate: 0, topFeatures: 10 }, expectation: { kind: 'probDrop' as const, token: 5, atLeastFraction: 0.5 } };

describe('work history', () => {
  it('undoes and redoes edits, and a new edit drops the redo stack', () => {
    let h = M.newHistory();
    h = M.applyEdit(h, M.togglePin('a'));
    h = M.applyEdit(h, M.togglePin('b'));
    expect(h.present.work.pinnedNodeIds).toEqual(['a', 'b']);
    h = M.undo(h);
    expect(h.present.work.pinnedNodeIds).toEqual(['a']);
    expect(M.canRedo(h)).toBe(true);
    h = M.redo(h);
    expect(h.present.work.pinnedNodeIds).toEqual(['a', 'b']);
    h = M.undo(M.undo(h));
    expect(h.present.work.pinnedNodeIds).toEqual([]);
    expect(M.canUndo(h)).toBe(false);
    expect(M.undo(h)).toBe(h);
    h = M.redo(h);
    h = M.applyEdit(h, M.togglePin('c'));
    expect(h.present.work.pinnedNodeIds).toEqual(['a', 'c']);
    expect(M.canRedo(h)).toBe(false);
  });
  it('is dirty after an edit, clean after saving, and clean again when undone back to the saved state', () => {
    let h = M.newHistory();
    expect(M.isDirty(h)).toBe(false);
    h = M.applyEdit(h, M.togglePin('a'));
    expect(M.isDirty(h)).toBe(true);
    h = M.markSaved(h);
    expect(M.isDirty(h)).toBe(false);
    h = M.applyEdit(h, M.setNotes('n'));
    expect(M.isDirty(h)).toBe(true);
    h = M.undo(h);
    expect(M.isDirty(h)).toBe(false);
    h = M.redo(h);
    expect(M.isDirty(h)).toBe(true);
  });
  it('ignores edits that change nothing', () => {
    const h = M.newHistory();
    expect(M.applyEdit(h, M.setNotes(''))).toBe(h);
    expect(M.applyEdit(h, M.ungroup('sn1'))).toBe(h);
    expect(M.applyEdit(h, M.unpin(['x']))).toBe(h);
  });
  it('coalesces typing into one undo step per field', () => {
    let h = M.applyEdit(M.newHistory(), M.togglePin('a'));
    for (const t of ['h', 'he', 'hel']) h = M.applyEdit(h, M.setNotes(t), 'notes');
    h = M.applyEdit(h, M.setNodeLabel('a', 'x'), 'label:a');
    expect(h.past.length).toBe(3);
    h = M.undo(h);
    expect(h.present.work.notes).toBe('hel');
    h = M.undo(h);
    expect(h.present.work.notes).toBe('');
    expect(h.present.work.pinnedNodeIds).toEqual(['a']);
  });
  it('groups pinned nodes into supernodes, merges groups, ungroups, unpins members', () => {
    let h = M.newHistory();
    h = M.applyEdit(h, M.pin(['a', 'b', 'c']));
    h = M.applyEdit(h, M.group(['a', 'b'], 'say name'));
    expect(h.present.work.supernodes).toEqual([{ id: 'sn1', label: 'say name', nodeIds: ['a', 'b'] }]);
    h = M.applyEdit(h, M.group(['sn1', 'c', 'd'], 'all'));
    expect(h.present.work.supernodes).toEqual([{ id: 'sn2', label: 'all', nodeIds: ['a', 'b', 'c', 'd'] }]);
    expect(h.present.work.pinnedNodeIds).toEqual(['a', 'b', 'c', 'd']);
    h = M.applyEdit(h, M.renameSupernode('sn2', 'renamed'));
    expect(h.present.work.supernodes[0].label).toBe('renamed');
    h = M.applyEdit(h, M.unpin(['a', 'b', 'c', 'd']));
    expect(h.present.work.supernodes).toEqual([]);
    h = M.undo(h);
    h = M.applyEdit(h, M.ungroup('sn2'));
    expect(h.present.work.supernodes).toEqual([]);
    expect(h.present.work.pinnedNodeIds).toHaveLength(4);
  });
  it('labels nodes (blank removes) and keeps tests', () => {
    let h = M.applyEdit(M.newHistory(), M.setNodeLabel('a', 'Lily'));
    expect(h.present.work.nodeLabels).toEqual({ a: 'Lily' });
    h = M.applyEdit(h, M.setNodeLabel('a', ''));
    expect(h.present.work.nodeLabels).toEqual({});
    h = M.applyEdit(h, M.addTest(test1));
    expect(M.nextTestId(h.present)).toBe('t2');
    h = M.applyEdit(h, M.updateTest('t1', { name: 'renamed' }));
    expect(h.present.tests[0].name).toBe('renamed');
    h = M.applyEdit(h, M.removeTest('t1'));
    expect(h.present.tests).toEqual([]);
  });
});

const gnode = (p: Partial<GraphNode>): GraphNode => ({ index: 0, id: 'x', kind: 'feature', layer: 0, pos: 0, feature: null, activation: null, prob: null, influence: 0, label: '', ...p });

describe('interventions and files', () => {
  it('builds feature, error and group edits with the schema defaults', () => {
    const f = gnode({ id: '2_7_3', layer: 2, feature: 7, pos: 3 });
    const e = gnode({ id: '1_-1_3', kind: 'error', layer: 1, pos: 3 });
    const t = gnode({ kind: 'token', layer: -1 });
    const one = buildIntervention([f], { op: 'ablate', value: 0, mode: 'frozen' }, { targetToken: 9 });
    expect(one).toMatchObject({ ok: true, skipped: 0, request: { edits: [{ type: 'feature', layer: 2, feature: 7, pos: 3, op: 'ablate' }], mode: 'frozen', topK: 10, target: { kind: 'token', token: 9 } } });
    const grp = buildIntervention([f, e, t], { op: 'scale', value: 2, mode: 'free' }, { label: 'g' });
    expect(grp).toMatchObject({ ok: true, skipped: 1, request: { mode: 'free', edits: [{ type: 'group', label: 'g', op: 'scale', value: 2, features: [{ layer: 2, feature: 7, pos: 3 }], errors: [{ layer: 1, pos: 3 }] }] } });
    if (!one.ok || !grp.ok) throw new Error('unreachable');
    // The same defaults as the schema (which the renderer bundle cannot run).
    expect(one.request).toEqual(interventionRequestSchema.parse(one.request));
    expect(withDefaults({ edits: [] })).toEqual(interventionRequestSchema.parse({ edits: [] }));
    expect(withDefaults({ edits: [{ type: 'group', op: 'ablate', features: [] }] })).toEqual(interventionRequestSchema.parse({ edits: [{ type: 'group', op: 'ablate', features: [] }] }));
    expect(buildIntervention([t], { op: 'ablate', value: 0, mode: 'frozen' }).ok).toBe(false);
    expect(buildIntervention([e], { op: 'set', value: 1, mode: 'frozen' }).ok).toBe(false);
  });
  it('builds patch and steer edits with the schema defaults', () => {
    const f = gnode({ id: '2_7_3', layer: 2, feature: 7, pos: 3 });
    const g = gnode({ id: '4_9_5', layer: 4, feature: 9, pos: 5 });
    const e = gnode({ id: '1_-1_3', kind: 'error', layer: 1, pos: 3 });
    const patch = buildIntervention([g, f, e], { op: 'patch', value: 0, mode: 'frozen', sourcePrompt: 'a boy named' });
    expect(patch).toMatchObject({ ok: true, skipped: 0, request: { edits: [{ type: 'patchFeatures', source: { prompt: 'a boy named' }, layers: [1, 2, 4], positions: [3, 5] }], generate: 0 } });
    expect(buildIntervention([f], { op: 'patch', value: 0, mode: 'frozen', sourcePrompt: '  ' }).ok).toBe(false);
    const steer = buildIntervention([f, g, e], { op: 'steer', value: 4, mode: 'free', generate: 5 }, { nPos: 6 });
    expect(steer).toMatchObject({ ok: true, skipped: 1, request: { mode: 'free', generate: 5, edits: [{ type: 'steer', layer: 2, feature: 7, strength: 4, positions: [3], generated: true }, { type: 'steer', layer: 4, feature: 9, positions: [5] }] } });
    const everywhere = buildIntervention([f], { op: 'steer', value: -2, mode: 'frozen', steerAt: 'all' }, { nPos: 4 });
    expect(everywhere).toMatchObject({ ok: true, request: { edits: [{ type: 'steer', positions: [0, 1, 2, 3] }] } });
    expect(buildIntervention([e], { op: 'steer', value: 1, mode: 'frozen' }).ok).toBe(false);
    for (const r of [patch, steer, everywhere]) {
      if (!r.ok) throw new Error('unreachable');
      expect(r.request).toEqual(interventionRequestSchema.parse(r.request));
    }
  });
  it('reads logit tokens, words expectations, names files', () => {
    expect(logitToken(gnode({ kind: 'logit', id: '7_432_5' }))).toBe(432);
    expect(logitToken(gnode({ id: '7_432_5' }))).toBeNull();
    const tok = (i: number) => `#${i}`;
    expect(describeExpectation({ kind: 'probDrop', token: 1, atLeastFraction: 0.5 }, tok)).toBe('p(#1) drops by at least 50%');
    expect(describeExpectation({ kind: 'contrastSign', a: 1, b: 2, sign: 'flips' }, tok)).toBe('logit(#1) − logit(#2) changes sign');
    expect(explanationPath('lily', '/ws')).toBe('/ws/lily.circuit.json');
    expect(explanationPath('lily.json', '/ws')).toBe('/ws/lily.circuit.json');
    expect(explanationPath('/a/b.circuit.json', '/ws')).toBe('/a/b.circuit.json');
    expect(explanationPath('  ', '/ws')).toBeNull();
  });
  it('sends tests with their latest result', () => {
    const doc = { ...M.emptyWork(), tests: [test1] };
    const r = { passed: true, before: 0.5, after: 0.1, ranAt: '2026-01-01T00:00:00.000Z' };
    expect(explanationContent('g1', doc, 0.8, 0.98, { t1: r }).tests[0].result).toEqual(r);
    expect(explanationContent('g1', doc, 0.8, 0.98, {}).tests[0].result).toBeUndefined();
  });
});
