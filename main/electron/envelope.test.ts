import { describe, expect, it } from 'vitest';
import type { ClientMessage, EngineMessage } from '../../shared/api';
import { EngineRouter, isEngineMessage, parseClientPayload } from './envelope';

describe('parseClientPayload', () => {
  it('accepts calls and cancels of the API envelope', () => {
    const call = { type: 'call', id: 'r1', method: 'graph.trace', params: { prompt: 'Once', target: { kind: 'salient' } } };
    expect(parseClientPayload(call)).toEqual({ ok: true, msg: call });
    expect(parseClientPayload({ type: 'cancel', id: 'r1' })).toEqual({ ok: true, msg: { type: 'cancel', id: 'r1' } });
  });

  it('rejects anything else with a reason', () => {
    const bad: unknown[] = [
      null,
      undefined,
      'call',
      42,
      [],
      {},
      { type: 'call', id: '', method: 'x', params: {} },
      { type: 'call', id: 'x'.repeat(65), method: 'x', params: {} },
      { type: 'call', id: 'r1', method: 5, params: {} },
      { type: 'call', id: 'r1', method: '', params: {} },
      { type: 'call', id: 'r1', method: 'x', params: {}, extra: true },
      { type: 'cancel', id: 'r1', method: 'x' },
      { type: 'result', id: 'r1', result: 1 },
    ];
    for (const b of bad) {
      const r = parseClientPayload(b);
      expect(r.ok, JSON.stringify(b)).toBe(false);
      if (!r.ok) expect(r.reason.length).toBeGreaterThan(0);
    }
  });
});

describe('isEngineMessage', () => {
  it('accepts the three engine message kinds', () => {
    expect(isEngineMessage({ type: 'result', id: 'e1', result: null })).toBe(true);
    expect(isEngineMessage({ type: 'progress', id: 'e1', progress: { phase: 'attribution', done: 1, total: 4 } })).toBe(true);
    expect(isEngineMessage({ type: 'error', id: 'e1', error: { code: 'user', message: 'no' } })).toBe(true);
  });

  it('rejects malformed ones', () => {
    for (const m of [
      null,
      {},
      { type: 'result', id: 'e1' },
      { type: 'result', id: '', result: 1 },
      { type: 'progress', id: 'e1', progress: { phase: 'x', done: '1', total: 2 } },
      { type: 'error', id: 'e1', error: { code: 'boom', message: 'x' } },
      { type: 'error', id: 'e1', error: 'x' },
      { type: 'call', id: 'e1', method: 'x', params: {} },
    ]) {
      expect(isEngineMessage(m), JSON.stringify(m)).toBe(false);
    }
  });
});

const call = (id: string): ClientMessage => ({ type: 'call', id, method: 'session.info', params: {} });
const result = (id: string, v: unknown = 1): EngineMessage => ({ type: 'result', id, result: v });

describe('EngineRouter', () => {
  it('renames ids on the way to the engine and back, progress before the final answer', () => {
    const r = new EngineRouter();
    const a = r.toEngine(call('r1'));
    expect(a.reply).toBeNull();
    expect(a.forward).toEqual({ type: 'call', id: 'e1', method: 'session.info', params: {} });
    expect(r.pending).toBe(1);
    expect(r.fromEngine({ type: 'progress', id: 'e1', progress: { phase: 'p', done: 0, total: 1 } })).toEqual({
      type: 'progress',
      id: 'r1',
      progress: { phase: 'p', done: 0, total: 1 },
    });
    expect(r.fromEngine(result('e1', 'ok'))).toEqual(result('r1', 'ok'));
    expect(r.pending).toBe(0);
    // Answered: a late duplicate is dropped, and the renderer id can be used again.
    expect(r.fromEngine(result('e1'))).toBeNull();
    expect(r.toEngine(call('r1')).forward?.id).toBe('e2');
  });

  it('maps cancel to the engine id and ignores cancels of unknown calls', () => {
    const r = new EngineRouter();
    r.toEngine(call('r1'));
    expect(r.toEngine({ type: 'cancel', id: 'r1' })).toEqual({ forward: { type: 'cancel', id: 'e1' }, reply: null });
    expect(r.toEngine({ type: 'cancel', id: 'r9' })).toEqual({ forward: null, reply: null });
  });

  it('answers a duplicate id in flight with bad-request instead of forwarding it', () => {
    const r = new EngineRouter();
    r.toEngine(call('r1'));
    const d = r.toEngine(call('r1'));
    expect(d.forward).toBeNull();
    expect(d.reply).toMatchObject({ type: 'error', id: 'r1', error: { code: 'bad-request' } });
  });

  it('after a renderer reset, cancels the old calls and drops their answers even when ids repeat', () => {
    const r = new EngineRouter();
    r.toEngine(call('r1'));
    r.toEngine(call('r2'));
    expect(r.rendererReset()).toEqual([
      { type: 'cancel', id: 'e1' },
      { type: 'cancel', id: 'e2' },
    ]);
    expect(r.pending).toBe(0);
    const fresh = r.toEngine(call('r1'));
    expect(fresh.forward?.id).toBe('e3');
    expect(r.fromEngine(result('e1', 'stale'))).toBeNull();
    expect(r.fromEngine({ type: 'error', id: 'e2', error: { code: 'cancelled', message: 'cancelled' } })).toBeNull();
    expect(r.fromEngine(result('e3', 'fresh'))).toEqual(result('r1', 'fresh'));
  });

  it('when the engine dies, fails the current calls with the given error and forgets everything', () => {
    const r = new EngineRouter();
    r.toEngine(call('r1'));
    r.rendererReset();
    r.toEngine(call('r1'));
    r.toEngine(call('r2'));
    const err = { code: 'internal', message: 'The engine stopped.' } as const;
    expect(r.engineGone(err)).toEqual([
      { type: 'error', id: 'r1', error: err },
      { type: 'error', id: 'r2', error: err },
    ]);
    expect(r.pending).toBe(0);
    expect(r.fromEngine(result('e2'))).toBeNull();
    expect(r.engineGone(err)).toEqual([]);
  });
});
