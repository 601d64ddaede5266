import { describe, expect, it } from 'vitest';
import { nextSort, sortLinks } from './sortLinks';

const links = [
  { node: 1, weight: -3, share: 0.5 },
  { node: 2, weight: 2, share: 0.3 },
  { node: 3, weight: 1, share: 0.2 },
];

describe('sortLinks', () => {
  it('sorts by signed weight or by share, both directions', () => {
    expect(sortLinks(links, { key: 'weight', descending: true }).map((l) => l.node)).toEqual([2, 3, 1]);
    expect(sortLinks(links, { key: 'weight', descending: false }).map((l) => l.node)).toEqual([1, 3, 2]);
    expect(sortLinks(links, { key: 'share', descending: true }).map((l) => l.node)).toEqual([1, 2, 3]);
  });
  it('flips direction on the same column', () => {
    expect(nextSort({ key: 'weight', descending: true }, 'weight')).toEqual({ key: 'weight', descending: false });
    expect(nextSort({ key: 'weight', descending: false }, 'share')).toEqual({ key: 'share', descending: true });
  });
});
