/** Accumulated additive edits of an intervention (hook → position → delta) and their runForward form. */
import type { HookIntervention } from '../../shared/forward';
import { axpy } from './math';

export type DeltaMap = Map<string, Map<number, Float32Array>>;

export function addDelta(m: DeltaMap, hook: string, pos: number, s: number, v: ArrayLike<number>): void {
  let byPos = m.get(hook);
  if (!byPos) m.set(hook, (byPos = new Map()));
  let row = byPos.get(pos);
  if (!row) byPos.set(pos, (row = new Float32Array(v.length)));
  axpy(row, s, v);
}

export function deltaInterventions(m: DeltaMap, keep: (pos: number) => boolean = () => true): HookIntervention[] {
  const out: HookIntervention[] = [];
  for (const [hook, byPos] of m) for (const [pos, value] of byPos) if (keep(pos)) out.push({ hook, op: 'add', positions: [pos], value });
  return out;
}
