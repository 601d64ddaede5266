/** The graph store's LRU and the mapping of failures to API error codes. */
import { describe, expect, it } from 'vitest';
import { UserError } from '../errors';
import { ApiFailure, toApiError } from './errors';
import type { GraphEntry } from './graphEntry';
import { GraphStore, MAX_GRAPHS } from './graphStore';

const entry = (graphId: string) => ({ summary: { graphId } }) as unknown as GraphEntry;

describe('graph store', () => {
  it('keeps the 8 most recently used graphs; ids are never reused', () => {
    const store = new GraphStore();
    const ids = Array.from({ length: MAX_GRAPHS }, () => store.newId());
    expect(ids.slice(0, 3)).toEqual(['g1', 'g2', 'g3']);
    ids.forEach((id) => store.add(entry(id)));
    store.get('g1'); // now the most recent
    const id = store.newId();
    store.add(entry(id));
    expect(store.size).toBe(MAX_GRAPHS);
    expect(store.get('g1').summary.graphId).toBe('g1');
    expect(() => store.get('g2')).toThrow(ApiFailure);
    try {
      store.get('g2');
    } catch (e) {
      expect((e as ApiFailure).code).toBe('not-found');
    }
    expect(id).toBe(`g${MAX_GRAPHS + 1}`);
  });
});

describe('error mapping', () => {
  it('maps failures to codes; internal errors get a generic one-line message and their stack is logged', () => {
    const logged: string[] = [];
    const log = (t: string) => logged.push(t);
    expect(toApiError(new UserError('bad file\nmore'), false, log)).toEqual({ code: 'user', message: 'bad file' });
    expect(toApiError(new ApiFailure('forbidden', 'x is outside the workspace /w'), false, log)).toEqual({ code: 'forbidden', message: 'x is outside the workspace /w' });
    expect(toApiError(new Error('anything'), true, log)).toEqual({ code: 'cancelled', message: 'cancelled' });
    expect(logged).toEqual([]);
    const e = new TypeError('x is undefined\n    at foo (bar.ts:1:1)');
    expect(toApiError(e, false, log)).toEqual({ code: 'internal', message: 'internal error: x is undefined' });
    expect(logged[0]).toContain('TypeError');
  });
});
