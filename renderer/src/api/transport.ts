/**
 * Picks the transport: the Electron preload's `window.cwbBridge` when present, else a WebSocket to the
 * local server. Either way the rest of the UI only sees an `ApiClient` (and a connection status).
 */
import { createApiClient, type ApiClient, type HostBridge, type MessageChannelLike } from '../../../shared/api';
import { engineSocketUrl, resolveToken } from './token';
import { createWsChannel, type ConnectionStatus, type SocketLike } from './wsChannel';

export interface Transport {
  readonly kind: 'bridge' | 'websocket';
  readonly client: ApiClient;
  readonly bridge: HostBridge | null;
  /** Browser mode without a token: the server will refuse the socket, so the UI says where to get one. */
  readonly missingToken: boolean;
  subscribe(listener: (s: ConnectionStatus) => void): () => void;
  current(): ConnectionStatus;
  retryNow(): void;
  /**
   * Why the socket does not open: a WebSocket close event cannot tell "server gone" from "token refused",
   * so ask the HTTP side (same token) — 'unauthorized' when it answers 401/403, 'down' when it does not answer.
   */
  diagnose(): Promise<'down' | 'unauthorized' | 'up'>;
}

function bridgeChannel(bridge: HostBridge): MessageChannelLike {
  return { send: (m) => bridge.send(m), onMessage: (l) => void bridge.onMessage(l) };
}

function sessionStore(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

export function connectTransport(): Transport {
  const listeners = new Set<(s: ConnectionStatus) => void>();
  let status: ConnectionStatus = { state: 'connecting', failures: 0, retryAt: null };
  const setStatus = (s: ConnectionStatus) => {
    status = s;
    listeners.forEach((l) => l(s));
  };
  const base = {
    subscribe(l: (s: ConnectionStatus) => void) {
      listeners.add(l);
      return () => void listeners.delete(l);
    },
    current: () => status,
  };

  const bridge = window.cwbBridge;
  if (bridge) {
    status = { state: 'open', failures: 0, retryAt: null }; // IPC to the engine host: always there
    return { ...base, kind: 'bridge', client: createApiClient(bridgeChannel(bridge)), bridge, missingToken: false, retryNow: () => undefined, diagnose: async () => 'up' };
  }
  const token = resolveToken(location.search, sessionStore());
  const channel = createWsChannel({
    url: engineSocketUrl(location, token),
    makeSocket: (url) => new WebSocket(url) as unknown as SocketLike,
    onStatus: setStatus,
  });
  const diagnose = async (): Promise<'down' | 'unauthorized' | 'up'> => {
    try {
      const r = await fetch(`/api/info?token=${encodeURIComponent(token ?? '')}`, { cache: 'no-store' });
      return r.status === 401 || r.status === 403 ? 'unauthorized' : 'up';
    } catch {
      return 'down';
    }
  };
  return { ...base, kind: 'websocket', client: createApiClient(channel), bridge: null, missingToken: token === null, retryNow: () => channel.retryNow(), diagnose };
}
