import { describe, expect, it } from 'vitest';
import { createApiClient, ApiCallError } from '../../../shared/api';
import { createWsChannel, LOST_CONNECTION, type ConnectionStatus, type SocketLike } from './wsChannel';
import { backoffMs, engineSocketUrl, resolveToken, type KeyValueStorage } from './token';

class FakeSocket implements SocketLike {
  readyState = 0;
  sent: string[] = [];
  onopen: ((ev: unknown) => void) | null = null;
  onclose: ((ev: unknown) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  send(d: string) { this.sent.push(d); }
  close() { this.readyState = 3; this.onclose?.({}); }
  open() { this.readyState = 1; this.onopen?.({}); }
  drop() { this.readyState = 3; this.onclose?.({}); }
  reply(obj: unknown) { this.onmessage?.({ data: JSON.stringify(obj) }); }
}

function setup() {
  const sockets: FakeSocket[] = [];
  const timers: { fn: () => void; ms: number }[] = [];
  const statuses: ConnectionStatus[] = [];
  const ch = createWsChannel({
    url: 'ws://x/api/ws?token=t',
    makeSocket: () => { const s = new FakeSocket(); sockets.push(s); return s; },
    onStatus: (s) => statuses.push(s),
    setTimer: (fn, ms) => timers.push({ fn, ms }),
    now: () => 0,
  });
  return { ch, sockets, timers, statuses, client: createApiClient(ch) };
}

describe('createWsChannel', () => {
  it('queues calls until the socket opens, then resolves results', async () => {
    const { sockets, client } = setup();
    const p = client.call('session.info', {});
    expect(sockets[0].sent).toEqual([]);
    sockets[0].open();
    const sent = JSON.parse(sockets[0].sent[0]) as { id: string; method: string };
    expect(sent.method).toBe('session.info');
    sockets[0].reply({ type: 'result', id: sent.id, result: { ok: 1 } });
    await expect(p).resolves.toEqual({ ok: 1 });
  });

  it('fails in-flight calls when the connection drops, and reconnects with backoff', async () => {
    const { sockets, timers, statuses, client } = setup();
    sockets[0].open();
    const p = client.call('prompt.analyze', { prompt: 'x' });
    sockets[0].drop();
    await expect(p).rejects.toEqual(new ApiCallError('internal', LOST_CONNECTION));
    expect(statuses.at(-1)).toMatchObject({ state: 'closed', failures: 1 });
    expect(timers[0].ms).toBe(backoffMs(1));
    timers[0].fn();
    expect(sockets.length).toBe(2);
    sockets[1].drop();
    expect(timers[1].ms).toBe(backoffMs(2));
    expect(timers[1].ms).toBeGreaterThan(timers[0].ms);
    timers[1].fn();
    sockets[2].open();
    expect(statuses.at(-1)).toMatchObject({ state: 'open', failures: 0 });
  });

  it('keeps queued calls across a failed connection attempt and cancels them locally', async () => {
    const { sockets, timers, client } = setup();
    const p = client.call('session.info', {});
    const ac = new AbortController();
    const q = client.call('graph.trace', { prompt: 'x', target: { kind: 'salient' } }, { signal: ac.signal });
    sockets[0].drop(); // engine not up yet
    ac.abort();
    await expect(q).rejects.toMatchObject({ code: 'cancelled' });
    timers[0].fn();
    sockets[1].open();
    expect(sockets[1].sent.map((d) => (JSON.parse(d) as { method: string }).method)).toEqual(['session.info']);
    const id = (JSON.parse(sockets[1].sent[0]) as { id: string }).id;
    sockets[1].reply({ type: 'result', id, result: 1 });
    await expect(p).resolves.toBe(1);
  });

  it('sends a cancel only for calls still in flight', () => {
    const { sockets, client } = setup();
    sockets[0].open();
    const ac = new AbortController();
    void client.call('graph.trace', { prompt: 'x', target: { kind: 'salient' } }, { signal: ac.signal }).catch(() => undefined);
    ac.abort();
    expect(sockets[0].sent.map((s) => (JSON.parse(s) as { type: string }).type)).toEqual(['call', 'cancel']);
  });
});

describe('token', () => {
  const mem = (): KeyValueStorage & { m: Map<string, string> } => {
    const m = new Map<string, string>();
    return { m, getItem: (k) => m.get(k) ?? null, setItem: (k, v) => void m.set(k, v) };
  };
  it('takes the URL token and remembers it for reloads', () => {
    const s = mem();
    expect(resolveToken('?token=abc', s)).toBe('abc');
    expect(resolveToken('', s)).toBe('abc');
    expect(resolveToken('', mem())).toBeNull();
  });
  it('builds the socket URL', () => {
    expect(engineSocketUrl({ protocol: 'http:', host: '127.0.0.1:5174' }, 'a b')).toBe('ws://127.0.0.1:5174/api/ws?token=a%20b');
  });
  it('backs off exponentially up to a cap', () => {
    expect(backoffMs(1)).toBe(500);
    expect(backoffMs(2)).toBe(1000);
    expect(backoffMs(20)).toBe(8000);
  });
});
