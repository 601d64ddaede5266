/**
 * `cwb serve`: browser mode. An HTTP server on 127.0.0.1 only serves the built renderer (renderer/dist) and the
 * API over a WebSocket (`/api/ws`, see socket.ts), both behind a per-run random token: the printed URL carries
 * it as `?token=`, the page load turns it into an HttpOnly SameSite=Strict cookie so the page's assets and its
 * socket are authorised too. Requests with a foreign Origin (or Host) are refused. The engine may read and
 * write files only inside the workspace folder (default: the current directory).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { UserError } from '../errors';
import { packageRoot } from '../paths';
import { createEngineService, localClient, type EngineService } from '../api/service';
import { intOption, parseCommandArgs } from '../cli/args';
import type { Out } from '../cli/commands';
import { checkRequest, newToken, tokenCookie } from './auth';
import { attachApiSocket, WS_PATH } from './socket';
import { contentType, staticFile } from './static';

export const defaultRendererDir = path.join(packageRoot, 'renderer', 'dist');

export interface ServerOptions {
  readonly port: number;
  /** The folder clients may read and write (default: the current directory). */
  readonly workspace?: string;
  readonly model?: string;
  readonly dictionary?: string;
  /** The built renderer (default renderer/dist). */
  readonly rendererDir?: string;
}

export interface RunningServer {
  readonly server: Server;
  readonly token: string;
  readonly port: number;
  readonly url: string;
  readonly workspace: string;
  readonly service: EngineService;
  close(): Promise<void>;
}

function securityHeaders(port: number): Record<string, string> {
  return {
    'content-security-policy':
      `default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; ` +
      `connect-src 'self' ws://127.0.0.1:${port}; object-src 'none'; base-uri 'none'; frame-ancestors 'none'`,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
  };
}

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Circuit Workbench</title>
<h1>The workbench UI is not built</h1>
<p>Run <code>npm run build:renderer</code> (or start with <code>npm run web</code>, which builds it), then reload this page.</p>`;

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const workspace = path.resolve(opts.workspace ?? process.cwd());
  const rendererDir = path.resolve(opts.rendererDir ?? defaultRendererDir);
  const service = await createEngineService({ workspace, model: opts.model, dictionary: opts.dictionary });
  const client = localClient(service);
  const token = newToken();
  let port = opts.port;

  const send = (res: ServerResponse, status: number, body: string | Buffer, type: string, extra: Record<string, string> = {}) => {
    res.writeHead(status, { ...securityHeaders(port), 'content-type': type, 'content-length': String(Buffer.byteLength(body)), ...extra });
    res.end(body);
  };
  const sendJson = (res: ServerResponse, status: number, body: unknown) => send(res, status, JSON.stringify(body), 'application/json; charset=utf-8', { 'cache-control': 'no-store' });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const verdict = checkRequest(req, url, token, port);
    if (!verdict.ok) return sendJson(res, verdict.status, { error: verdict.reason });
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { error: 'method not allowed' });
    if (url.pathname === '/api/info') return sendJson(res, 200, await client.call('session.info', {}));
    if (url.pathname === WS_PATH) return sendJson(res, 426, { error: 'this is the WebSocket endpoint' });
    if (url.pathname.startsWith('/api/')) return sendJson(res, 404, { error: 'not found' });
    const page = url.pathname === '/' || url.pathname === '/index.html';
    // The page load turns the URL's token into the cookie that authorises its assets and its socket.
    const cookie: Record<string, string> = page && verdict.via === 'query' ? { 'set-cookie': tokenCookie(token, port) } : {};
    if (page && !existsSync(path.join(rendererDir, 'index.html'))) return send(res, 503, NOT_BUILT, 'text/html; charset=utf-8', { 'cache-control': 'no-store', ...cookie });
    const file = staticFile(rendererDir, url.pathname);
    if (!file) return sendJson(res, 404, { error: 'not found' });
    const body = await readFile(file);
    send(res, 200, req.method === 'HEAD' ? '' : body, contentType(file), { 'cache-control': page ? 'no-store' : 'no-cache', ...cookie });
  }

  const server = createServer((req, res) => {
    route(req, res).catch((e: unknown) => {
      process.stderr.write(`cwb serve: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });
  const wss = attachApiSocket(server, service, { token, port: () => port });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    await service.close();
    throw e;
  }
  const addr = server.address();
  port = typeof addr === 'object' && addr ? addr.port : opts.port;
  return {
    server,
    token,
    port,
    url: `http://127.0.0.1:${port}/?token=${token}`,
    workspace,
    service,
    async close() {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await service.close();
    },
  };
}

export async function cmdServe(argv: string[], out: Out): Promise<number> {
  const { values } = parseCommandArgs('serve', argv, {
    port: { type: 'string' },
    model: { type: 'string' },
    dict: { type: 'string' },
    workspace: { type: 'string' },
    open: { type: 'boolean' },
  });
  const port = intOption('port', values.port, 5174, 0);
  const s = await startServer({ port, model: values.model, dictionary: values.dict, workspace: values.workspace }).catch((e: unknown) => {
    if (e instanceof Error && 'code' in e && e.code === 'EADDRINUSE') throw new UserError(`port ${port} is in use: pass --port P (0 picks a free one)`);
    throw e;
  });
  out.stdout(`Circuit Workbench is running at ${s.url}\nworkspace: ${s.workspace} (the app reads and writes files only here)\n(press Ctrl+C to stop)\n`);
  if (values.open && process.env.CI !== 'true') {
    const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
    spawn(opener, [s.url], { stdio: 'ignore', detached: true }).on('error', () => undefined).unref();
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await s.close();
  return 0;
}
