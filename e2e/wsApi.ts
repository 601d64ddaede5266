/**
 * The typed API client (shared/api.ts) over the server's WebSocket, for tests and benchmarks that need to ask
 * the engine directly (session info, opening a graph) next to what the page does.
 */
import WebSocket from 'ws';
import { createApiClient, type ApiClient, type EngineMessage } from '../shared/api';
import type { CwbServer } from './server';

export interface WsApi extends ApiClient {
  close(): void;
}

export async function openWsApi(s: Pick<CwbServer, 'port' | 'token' | 'origin'>): Promise<WsApi> {
  const ws = new WebSocket(`ws://127.0.0.1:${s.port}/api/ws?token=${encodeURIComponent(s.token)}`, { origin: s.origin, handshakeTimeout: 10_000 });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`WebSocket refused: HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
  const client = createApiClient({
    send: (msg) => ws.send(JSON.stringify(msg)),
    onMessage: (listener) => ws.on('message', (data) => listener(JSON.parse(data.toString()) as EngineMessage)),
  });
  return { call: client.call, close: () => ws.close() };
}
