/** Sorting of a node's input/output tables (pure). */
import type { NodeLink } from '../../../shared/api';

export type LinkSortKey = 'weight' | 'share';
export interface LinkSort {
  readonly key: LinkSortKey;
  readonly descending: boolean;
}

/** By signed weight (strongest excitation first) or by share; ties keep the engine's |weight| order. */
export function sortLinks(links: readonly NodeLink[], sort: LinkSort): NodeLink[] {
  const dir = sort.descending ? -1 : 1;
  return links
    .map((l, i) => ({ l, i }))
    .sort((a, b) => dir * (a.l[sort.key] - b.l[sort.key]) || a.i - b.i)
    .map(({ l }) => l);
}

/** Clicking a column header: a new column sorts descending, the same column flips direction. */
export function nextSort(prev: LinkSort, key: LinkSortKey): LinkSort {
  return prev.key === key ? { key, descending: !prev.descending } : { key, descending: true };
}
