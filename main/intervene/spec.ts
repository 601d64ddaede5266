/**
 * The command-line spelling of intervention edits, shared by `cwb intervene` options and `cwb explain --test`:
 * a node is `L:F:POS` (feature F of layer L at position POS) or `L:-1:POS` (the error node, as circuit-tracer's
 * node ids write it); POS may be negative, counting from the end (−1 = the last position).
 */
import type { InterventionEdit } from '../../shared/intervention';
import { UserError } from '../errors';

export type NodeRef = { kind: 'feature'; layer: number; feature: number; pos: number } | { kind: 'error'; layer: number; pos: number };

export function parseNodeRef(s: string, T: number, what: string): NodeRef {
  const m = /^\s*(\d+):(-1|\d+):(-?\d+)\s*$/.exec(s);
  if (!m) throw new UserError(`${what}: "${s}" is not a node; write LAYER:FEATURE:POS (e.g. 3:517:5) or LAYER:-1:POS for an error node`);
  let pos = Number(m[3]);
  if (pos < 0) pos += T;
  if (pos < 0 || pos >= T) throw new UserError(`${what}: position ${m[3]} is outside the prompt's ${T} positions`);
  const layer = Number(m[1]);
  return m[2] === '-1' ? { kind: 'error', layer, pos } : { kind: 'feature', layer, feature: Number(m[2]), pos };
}

export function parseNumber(s: string, what: string): number {
  const v = Number(s.trim());
  if (s.trim() === '' || !Number.isFinite(v)) throw new UserError(`${what}: "${s}" is not a number`);
  return v;
}

/** One op on a list of nodes: a single edit, or a group when there are several. */
export function editFor(op: 'set' | 'scale' | 'ablate', nodes: readonly NodeRef[], value: number | undefined, what: string): InterventionEdit {
  if (nodes.length === 1) {
    const n = nodes[0];
    if (n.kind === 'feature') return { type: 'feature', layer: n.layer, feature: n.feature, pos: n.pos, op, ...(value !== undefined ? { value } : {}) };
    if (op === 'set') throw new UserError(`${what}: an error node can only be scaled or ablated`);
    return { type: 'error', layer: n.layer, pos: n.pos, op, ...(value !== undefined ? { value } : {}) };
  }
  if (op === 'set' && nodes.some((n) => n.kind === 'error')) throw new UserError(`${what}: an error node can only be scaled or ablated`);
  return {
    type: 'group',
    op,
    ...(value !== undefined ? { value } : {}),
    features: nodes.flatMap((n) => (n.kind === 'feature' ? [{ layer: n.layer, feature: n.feature, pos: n.pos }] : [])),
    errors: nodes.flatMap((n) => (n.kind === 'error' ? [{ layer: n.layer, pos: n.pos }] : [])),
  };
}

/** `NODE[,NODE…]` or `NODE[,NODE…]=NUMBER` (the value is required for set and scale). */
export function parseEditOption(op: 'set' | 'scale' | 'ablate', raw: string, T: number): InterventionEdit {
  const what = `--${op} ${raw}`;
  const eq = raw.lastIndexOf('=');
  const nodesPart = eq >= 0 ? raw.slice(0, eq) : raw;
  if (op !== 'ablate' && eq < 0) throw new UserError(`${what}: give the ${op === 'set' ? 'value' : 'factor'} after "=", e.g. --${op} 3:517:5=${op === 'set' ? '4.0' : '2'}`);
  if (op === 'ablate' && eq >= 0) throw new UserError(`${what}: ablate takes no value`);
  const nodes = nodesPart.split(',').map((s) => parseNodeRef(s, T, what));
  return editFor(op, nodes, eq >= 0 ? parseNumber(raw.slice(eq + 1), what) : undefined, what);
}

/** `--steer L:F@POS[,POS…]=STRENGTH`, POS `*` meaning every prompt position and the generated tokens. */
export function parseSteerOption(raw: string, T: number): InterventionEdit {
  const what = `--steer ${raw}`;
  const m = /^\s*(\d+):(\d+)@([^=]+)=(.+)$/.exec(raw);
  if (!m) throw new UserError(`${what}: write LAYER:FEATURE@POS[,POS…]=STRENGTH, e.g. 3:517@-1=5 or 3:517@*=5`);
  const all = m[3].trim() === '*';
  const positions = all ? [...Array(T).keys()].slice(1) : m[3].split(',').map((p) => parseNodeRef(`0:0:${p.trim()}`, T, what).pos);
  return { type: 'steer', layer: Number(m[1]), feature: Number(m[2]), strength: parseNumber(m[4], what), positions, generated: all };
}
