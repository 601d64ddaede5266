/**
 * The user's work on an explanation as a document with undo/redo (pure, unit-tested): pinned nodes, supernodes,
 * node labels, notes and causal tests — the `work` and `tests` of an explanation file (shared/explanation.ts).
 * Nodes are named by their circuit-tracer ids (stable across re-opening a graph), not by index.
 */
import type { CausalTest, Explanation } from '../../../../shared/explanation';

export type WorkData = Explanation['work'];
export type Supernode = WorkData['supernodes'][number];

export interface WorkDoc {
  readonly work: WorkData;
  readonly tests: readonly CausalTest[];
}

/**
 * Undo history. `saved` is the document as last saved or opened (dirty = present is not it). `lastKey` lets
 * typing coalesce: consecutive edits with the same key (one label, the notes) are one undo step.
 */
export interface WorkHistory {
  readonly past: readonly WorkDoc[];
  readonly present: WorkDoc;
  readonly future: readonly WorkDoc[];
  readonly saved: WorkDoc;
  readonly lastKey: string | null;
}

export const MAX_UNDO = 200;

export const emptyWork = (): WorkDoc => ({ work: { pinnedNodeIds: [], supernodes: [], nodeLabels: {}, notes: '', views: [] }, tests: [] });

export function newHistory(doc: WorkDoc = emptyWork()): WorkHistory {
  return { past: [], present: doc, future: [], saved: doc, lastKey: null };
}

export const isDirty = (h: WorkHistory): boolean => h.present !== h.saved;
export const canUndo = (h: WorkHistory): boolean => h.past.length > 0;
export const canRedo = (h: WorkHistory): boolean => h.future.length > 0;

/** Applies an edit; a no-op edit (same document back) changes nothing. */
export function applyEdit(h: WorkHistory, edit: (d: WorkDoc) => WorkDoc, key: string | null = null): WorkHistory {
  const next = edit(h.present);
  if (next === h.present) return h;
  if (key !== null && key === h.lastKey && h.past.length > 0) return { ...h, present: next, future: [] };
  return { past: [...h.past, h.present].slice(-MAX_UNDO), present: next, future: [], saved: h.saved, lastKey: key };
}

export function undo(h: WorkHistory): WorkHistory {
  if (!canUndo(h)) return h;
  return { past: h.past.slice(0, -1), present: h.past[h.past.length - 1], future: [h.present, ...h.future], saved: h.saved, lastKey: null };
}

export function redo(h: WorkHistory): WorkHistory {
  if (!canRedo(h)) return h;
  return { past: [...h.past, h.present], present: h.future[0], future: h.future.slice(1), saved: h.saved, lastKey: null };
}

export const markSaved = (h: WorkHistory, doc: WorkDoc = h.present): WorkHistory => ({ ...h, saved: doc, lastKey: null });

// ---------------------------------------------------------------------------------------------- edits

const withWork = (d: WorkDoc, patch: Partial<WorkData>): WorkDoc => ({ ...d, work: { ...d.work, ...patch } });

export function togglePin(id: string): (d: WorkDoc) => WorkDoc {
  return (d) => (d.work.pinnedNodeIds.includes(id) ? unpin([id])(d) : pin([id])(d));
}

export function pin(ids: readonly string[]): (d: WorkDoc) => WorkDoc {
  return (d) => {
    const add = ids.filter((id, i) => !d.work.pinnedNodeIds.includes(id) && ids.indexOf(id) === i);
    return add.length === 0 ? d : withWork(d, { pinnedNodeIds: [...d.work.pinnedNodeIds, ...add] });
  };
}

/** Unpinning a node also takes it out of its supernode (a supernode left empty is removed). */
export function unpin(ids: readonly string[]): (d: WorkDoc) => WorkDoc {
  return (d) => {
    if (!ids.some((id) => d.work.pinnedNodeIds.includes(id))) return d;
    const supernodes = d.work.supernodes.map((s) => ({ ...s, nodeIds: s.nodeIds.filter((n) => !ids.includes(n)) })).filter((s) => s.nodeIds.length > 0);
    return withWork(d, { pinnedNodeIds: d.work.pinnedNodeIds.filter((id) => !ids.includes(id)), supernodes });
  };
}

/** A supernode id not used yet: "sn1", "sn2", … */
export function nextSupernodeId(d: WorkDoc): string {
  const used = new Set(d.work.supernodes.map((s) => s.id));
  let i = 1;
  while (used.has(`sn${i}`)) i++;
  return `sn${i}`;
}

/**
 * Groups nodes into a new supernode (they are pinned if they were not). Members of other supernodes move to the
 * new one; a supernode among `ids` contributes its members (grouping groups merges them).
 */
export function group(ids: readonly string[], label: string, id?: string): (d: WorkDoc) => WorkDoc {
  return (d) => {
    const members: string[] = [];
    for (const x of ids) {
      const sn = d.work.supernodes.find((s) => s.id === x);
      for (const m of sn ? sn.nodeIds : [x]) if (!members.includes(m)) members.push(m);
    }
    if (members.length === 0) return d;
    const pinned = pin(members)(d);
    const rest = pinned.work.supernodes
      .filter((s) => !ids.includes(s.id))
      .map((s) => ({ ...s, nodeIds: s.nodeIds.filter((n) => !members.includes(n)) }))
      .filter((s) => s.nodeIds.length > 0);
    return withWork(pinned, { supernodes: [...rest, { id: id ?? nextSupernodeId(d), label, nodeIds: members }] });
  };
}

export function ungroup(supernodeId: string): (d: WorkDoc) => WorkDoc {
  return (d) => (d.work.supernodes.some((s) => s.id === supernodeId) ? withWork(d, { supernodes: d.work.supernodes.filter((s) => s.id !== supernodeId) }) : d);
}

export function renameSupernode(supernodeId: string, label: string): (d: WorkDoc) => WorkDoc {
  return (d) => {
    const sn = d.work.supernodes.find((s) => s.id === supernodeId);
    if (!sn || sn.label === label) return d;
    return withWork(d, { supernodes: d.work.supernodes.map((s) => (s.id === supernodeId ? { ...s, label } : s)) });
  };
}

/** A blank label removes it. */
export function setNodeLabel(id: string, label: string): (d: WorkDoc) => WorkDoc {
  return (d) => {
    const cur = d.work.nodeLabels[id] ?? '';
    if (cur === label) return d;
    const nodeLabels = { ...d.work.nodeLabels };
    if (label === '') delete nodeLabels[id];
    else nodeLabels[id] = label;
    return withWork(d, { nodeLabels });
  };
}

export function setNotes(notes: string): (d: WorkDoc) => WorkDoc {
  return (d) => (d.work.notes === notes ? d : withWork(d, { notes }));
}

export function addTest(test: CausalTest): (d: WorkDoc) => WorkDoc {
  return (d) => ({ ...d, tests: [...d.tests, test] });
}

export function updateTest(id: string, patch: Partial<CausalTest>): (d: WorkDoc) => WorkDoc {
  return (d) => (d.tests.some((t) => t.id === id) ? { ...d, tests: d.tests.map((t) => (t.id === id ? { ...t, ...patch } : t)) } : d);
}

export function removeTest(id: string): (d: WorkDoc) => WorkDoc {
  return (d) => (d.tests.some((t) => t.id === id) ? { ...d, tests: d.tests.filter((t) => t.id !== id) } : d);
}

/** A test id not used yet: "t1", "t2", … */
export function nextTestId(d: WorkDoc): string {
  const used = new Set(d.tests.map((t) => t.id));
  let i = 1;
  while (used.has(`t${i}`)) i++;
  return `t${i}`;
}
