/**
 * The browser-mode channel: one WebSocket to the local server carrying the API envelopes. Calls made
 * while (re)connecting are queued and sent on open; a dropped connection reconnects with backoff, and
 * calls already sent when it dropped fail with a clear error instead of hanging forever (the engine
 * cancels a disconnected client's work, so their results would never arrive).
 */
import type { ClientMessage, EngineMessage, MessageChannelLike } from '../../../shared/api';
import { backoffMs } from './token';

export type ConnectionState = 'connecting' | 'open' | 'closed';

export interface ConnectionStatus {
  readonly state: ConnectionState;
  /** Failed attempts since the last successful open. */
  readonly failures: number;
  /** When closed: the time of the next attempt (ms since epoch), for a countdown. */
  readonly retryAt: number | null;
}

/** The subset of the DOM WebSocket this channel uses (a fake implements it in tests). */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(): void;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
}

export interface WsChannelOptions {
  readonly url: string;
  readonly makeSocket: (url: string) => SocketLike;
  readonly onStatus?: (s: ConnectionStatus) => void;
  readonly setTimer?: (fn: () => void, ms: number) => unknown;
  readonly now?: () => number;
}

export interface WsChannel extends MessageChannelLike {
  /** Stops reconnecting and closes the socket. */
  close(): void;
  /** Retry now instead of waiting for the backoff (the banner's "Retry" button). */
  retryNow(): void;
}

const OPEN = 1;
export const LOST_CONNECTION = 'Lost the connection to the engine; try again once it is back.';

export function createWsChannel(opts: WsChannelOptions): WsChannel {
  const setTimer = opts.setTimer ?? ((fn: () => void, ms: number) => setTimeout(fn, ms));
  const now = opts.now ?? Date.now;
  const listeners: ((m: EngineMessage) => void)[] = [];
  /** Calls not sent yet (socket not open), in order. */
  const queue = new Map<string, string>();
  /** Calls sent on the current socket and not answered yet. */
  const inFlight = new Set<string>();
  let socket: SocketLike | null = null;
  let failures = 0;
  let stopped = false;
  let timerGen = 0;

  const status = (state: ConnectionState, retryAt: number | null = null) => opts.onStatus?.({ state, failures, retryAt });
  const emit = (m: EngineMessage) => listeners.forEach((l) => l(m));

  const connect = () => {
    if (stopped) return;
    timerGen++;
    status('connecting');
    const s = opts.makeSocket(opts.url);
    socket = s;
    s.onopen = () => {
      failures = 0;
      status('open');
      for (const [id, data] of queue) {
        s.send(data);
        inFlight.add(id);
      }
      queue.clear();
    };
    s.onmessage = (ev) => {
      if (typeof ev.data !== 'string') return;
      let msg: EngineMessage;
      try {
        msg = JSON.parse(ev.data) as EngineMessage;
      } catch {
        return; // not an envelope: nothing a caller waits for
      }
      if (msg.type === 'result' || msg.type === 'error') inFlight.delete(msg.id);
      emit(msg);
    };
    s.onerror = () => undefined; // onclose follows and handles it
    s.onclose = () => {
      if (socket !== s) return;
      socket = null;
      for (const id of inFlight) emit({ type: 'error', id, error: { code: 'internal', message: LOST_CONNECTION } });
      inFlight.clear();
      if (stopped) return status('closed');
      failures++;
      const delay = backoffMs(failures);
      status('closed', now() + delay);
      const gen = timerGen;
      setTimer(() => {
        if (gen === timerGen) connect();
      }, delay);
    };
  };

  connect();
  return {
    send(msg: ClientMessage) {
      const open = socket !== null && socket.readyState === OPEN;
      if (msg.type === 'cancel') {
        if (queue.delete(msg.id)) emit({ type: 'error', id: msg.id, error: { code: 'cancelled', message: 'cancelled' } });
        else if (open && inFlight.has(msg.id)) socket!.send(JSON.stringify(msg));
        return; // otherwise the engine no longer knows the call
      }
      const data = JSON.stringify(msg);
      if (open) {
        socket!.send(data);
        inFlight.add(msg.id);
      } else queue.set(msg.id, data);
    },
    onMessage(listener) {
      listeners.push(listener);
    },
    close() {
      stopped = true;
      socket?.close();
    },
    retryNow() {
      if (!socket) connect();
    },
  };
}
