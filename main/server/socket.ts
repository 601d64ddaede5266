/**
 * The API over WebSocket (`/api/ws`): JSON text frames carrying the envelopes of shared/api.ts, one engine
 * channel per socket. The upgrade passes the same checks as every HTTP request (Host, Origin, token by query
 * or cookie); a refused upgrade gets a plain 401/403 response and the connection is closed.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { EngineMessage } from '../../shared/api';
import type { EngineService } from '../api/service';
import { checkRequest } from './auth';

export const WS_PATH = '/api/ws';
/**
 * Largest message accepted. Requests carry whole documents: explanation content (notes up to 1 MB, thousands of
 * pins), the report's figure SVG (up to 20 M characters, shared/apiExplain.ts) and exported PNG figures as base64;
 * at 1 MiB the socket was closed mid-export. Still bounded for a local, token-authenticated client.
 */
export const MAX_FRAME_BYTES = 64 << 20;

function refuse(socket: Duplex, status: 401 | 403 | 404, reason: string): void {
  const text = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found' }[status];
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(reason)}\r\n\r\n${reason}`);
}

/** The request id in a frame that is not valid JSON, if one can be read. */
function idOf(text: string): string | null {
  const m = /"id"\s*:\s*"([^"\\]{1,64})"/.exec(text);
  return m ? m[1] : null;
}

function serveSocket(ws: WebSocket, service: EngineService): void {
  const emit = (m: EngineMessage) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m));
  };
  ws.on('message', (data: RawData, isBinary: boolean) => {
    const text = isBinary ? '' : Buffer.isBuffer(data) ? data.toString('utf8') : Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8');
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      const id = idOf(text);
      if (id !== null) emit({ type: 'error', id, error: { code: 'bad-request', message: 'malformed message: not valid JSON' } });
      return;
    }
    service.handle(msg, emit);
  });
  ws.on('close', () => service.detach(emit));
  ws.on('error', () => ws.terminate());
}

/** Routes the server's upgrade requests: `/api/ws` with a valid token becomes an API socket. */
export function attachApiSocket(server: Server, service: EngineService, auth: { token: string; port: () => number }): WebSocketServer {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false });
  wss.on('connection', (ws: WebSocket) => serveSocket(ws, service));
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const verdict = checkRequest(req, url, auth.token, auth.port());
    if (!verdict.ok) return refuse(socket, verdict.status, verdict.reason);
    if (url.pathname !== WS_PATH) return refuse(socket, 404, 'not found');
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });
  return wss;
}
