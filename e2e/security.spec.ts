/**
 * Browser-mode security against the real server process (no page needed): the per-run token, the Origin check,
 * the WebSocket handshake, the workspace jail of the API and of the static assets, and the loopback-only bind.
 */
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import { existsSync, readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import type { EngineMessage } from '../shared/api';
import { expect, test, type CwbServer } from './fixtures';

interface RawResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** A request with the path sent byte for byte (fetch and Playwright's request normalise `..` and `%2f`). */
function raw(s: CwbServer, pathAndQuery: string, headers: Record<string, string> = {}, method = 'GET'): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: s.port, path: pathAndQuery, method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Past the token and Origin checks: 200, or 503 while the renderer is not built (the page then says so). */
const authorised = (status: number) => status === 200 || status === 503;

/** The cookie the server sets on `/?token=`, as a Cookie request header value ('' when it sets none). */
async function sessionCookie(s: CwbServer): Promise<string> {
  const r = await raw(s, `/?token=${s.token}`);
  expect(authorised(r.status), `GET /?token= → ${r.status}`).toBe(true);
  const set = r.headers['set-cookie'] ?? [];
  return set.map((c) => c.split(';')[0]).join('; ');
}

type Handshake = { kind: 'open'; ws: WebSocket } | { kind: 'refused'; status: number | null; message: string };

function connect(s: CwbServer, opts: { token?: string | null; origin?: string | null; cookie?: string }): Promise<Handshake> {
  const token = opts.token === undefined ? s.token : opts.token;
  const url = `ws://127.0.0.1:${s.port}/api/ws${token === null ? '' : `?token=${encodeURIComponent(token)}`}`;
  const headers: Record<string, string> = {};
  if (opts.cookie) headers.cookie = opts.cookie;
  const origin = opts.origin === undefined ? s.origin : opts.origin;
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers, ...(origin === null ? {} : { origin }), handshakeTimeout: 10_000 });
    ws.once('open', () => resolve({ kind: 'open', ws }));
    ws.once('unexpected-response', (_req, res) => {
      resolve({ kind: 'refused', status: res.statusCode ?? null, message: `HTTP ${res.statusCode}` });
      ws.terminate();
    });
    ws.once('error', (e) => resolve({ kind: 'refused', status: null, message: e.message }));
  });
}

let nextId = 0;
/** One API call over an open socket: resolves with the final `result` or `error` envelope (progress skipped). */
function call(ws: WebSocket, method: string, params: unknown): Promise<EngineMessage> {
  const id = `sec${++nextId}`;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer to ${method} within 20 s`)), 20_000);
    const onMessage = (data: WebSocket.RawData) => {
      const msg = JSON.parse(data.toString()) as EngineMessage;
      if (msg.id !== id || msg.type === 'progress') return;
      clearTimeout(timer);
      ws.off('message', onMessage);
      resolve(msg);
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ type: 'call', id, method, params }));
  });
}

test.describe('browser-mode server security', () => {
  test('prints a loopback URL with a long random token', ({ server }) => {
    expect(server.url).toBe(`${server.origin}/?token=${server.token}`);
    expect(server.token.length).toBeGreaterThanOrEqual(32);
  });

  test('every request without the token or with a wrong token → 401', async ({ server }) => {
    for (const p of ['/', '/index.html', '/api/ws', '/favicon.ico', '/assets/index.js', '/api/info']) {
      expect((await raw(server, p)).status, `GET ${p} without a token`).toBe(401);
    }
    const wrong = 'x'.repeat(server.token.length);
    expect((await raw(server, `/?token=${wrong}`)).status).toBe(401);
    expect((await raw(server, `/?token=${server.token.slice(0, -1)}`)).status).toBe(401);
    expect((await raw(server, `/?token=`)).status).toBe(401);
    expect((await raw(server, '/', { 'x-cwb-token': wrong })).status).toBe(401);
    expect((await raw(server, '/', { cookie: `cwb_token_${server.port}=${wrong}; token=${wrong}` })).status).toBe(401);
    // The 401 body leaks nothing useful (no token, no stack trace).
    const r = await raw(server, '/');
    expect(r.body).not.toContain(server.token);
    expect(r.body).not.toMatch(/\bat .+\.ts:\d+/);
  });

  test('the correct token with a foreign Origin → 403', async ({ server }) => {
    for (const origin of ['http://evil.example', 'http://127.0.0.1:1', 'https://127.0.0.1:' + server.port, 'null']) {
      expect((await raw(server, `/?token=${server.token}`, { origin })).status, `Origin ${origin}`).toBe(403);
    }
    // Its own origin is fine.
    expect(authorised((await raw(server, `/?token=${server.token}`, { origin: server.origin })).status)).toBe(true);
  });

  test('a foreign Host header (DNS rebinding) → 403 even with the token', async ({ server }) => {
    for (const host of [`evil.example:${server.port}`, `localhost:${server.port}`, `127.0.0.1:${server.port + 1}`]) {
      expect((await raw(server, `/?token=${server.token}`, { host })).status, `Host ${host}`).toBe(403);
    }
  });

  test('the first /?token= request sets a cookie that authorises the assets', async ({ server }) => {
    const cookie = await sessionCookie(server);
    expect(cookie, 'Set-Cookie on /?token=').not.toBe('');
    const first = await raw(server, `/?token=${server.token}`);
    const setCookie = (first.headers['set-cookie'] ?? []).join('\n');
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=(Strict|Lax)/i);
    // The page loads with the cookie alone (what the browser does on reload).
    expect(authorised((await raw(server, '/', { cookie })).status)).toBe(true);
  });

  test('WebSocket upgrade without the token, with a wrong one or from a foreign Origin is refused', async ({ server }) => {
    const noToken = await connect(server, { token: null });
    expect(noToken.kind, 'no token').toBe('refused');
    if (noToken.kind === 'refused') expect(noToken.status).toBe(401);

    const wrong = await connect(server, { token: 'y'.repeat(server.token.length) });
    expect(wrong.kind, 'wrong token').toBe('refused');

    const foreign = await connect(server, { origin: 'http://evil.example' });
    expect(foreign.kind, 'foreign origin').toBe('refused');
    if (foreign.kind === 'refused') expect(foreign.status).toBe(403);

    const ok = await connect(server, {});
    expect(ok.kind, 'token + own origin').toBe('open');
    if (ok.kind === 'open') ok.ws.close();
  });

  test('files.list and graph.open outside the workspace → forbidden', async ({ server }) => {
    const h = await connect(server, {});
    expect(h.kind).toBe('open');
    if (h.kind !== 'open') return;
    const ws = h.ws;
    try {
      const inside = await call(ws, 'files.list', {});
      expect(inside.type, JSON.stringify(inside)).toBe('result');

      for (const dir of ['/etc', '..', '../..', '../../etc', `${server.workspace}/..`, `${server.workspace}/../../etc`, '/']) {
        const r = await call(ws, 'files.list', { dir });
        expect(r.type, `files.list ${dir}: ${JSON.stringify(r)}`).toBe('error');
        if (r.type === 'error') expect(r.error.code, `files.list ${dir}`).toBe('forbidden');
      }
      for (const p of ['/etc/passwd', '../../etc/passwd', '../../../../../../etc/passwd', `${server.workspace}/../x.json`]) {
        const r = await call(ws, 'graph.open', { path: p });
        expect(r.type, `graph.open ${p}: ${JSON.stringify(r)}`).toBe('error');
        if (r.type === 'error') expect(r.error.code, `graph.open ${p}`).toBe('forbidden');
      }
      // A symlink inside the workspace does not lead out of it.
      symlinkSync('/etc', path.join(server.workspace, 'etc-link'));
      for (const dir of ['etc-link', path.join(server.workspace, 'etc-link')]) {
        const r = await call(ws, 'files.list', { dir });
        expect(r.type, `files.list ${dir}: ${JSON.stringify(r)}`).toBe('error');
        if (r.type === 'error') expect(r.error.code, `files.list ${dir}`).toBe('forbidden');
      }
      const viaLink = await call(ws, 'graph.open', { path: 'etc-link/passwd' });
      expect(viaLink.type).toBe('error');
      if (viaLink.type === 'error') expect(viaLink.error.code).toBe('forbidden');
      // Writes are jailed too.
      const exp = await call(ws, 'graph.export', { graphId: 'g1', path: '/tmp/cwb-escape.json', nodeThreshold: 0.8, edgeThreshold: 0.98 });
      expect(exp.type).toBe('error');
      if (exp.type === 'error') expect(['forbidden', 'not-found']).toContain(exp.error.code);
      expect(existsSync('/tmp/cwb-escape.json')).toBe(false);
    } finally {
      ws.close();
    }
  });

  test('a malformed message is a bad-request error, not a crash', async ({ server }) => {
    const h = await connect(server, {});
    expect(h.kind).toBe('open');
    if (h.kind !== 'open') return;
    try {
      const r = await call(h.ws, 'files.list', { dir: 42 });
      expect(r.type).toBe('error');
      if (r.type === 'error') expect(r.error.code).toBe('bad-request');
      const unknown = await call(h.ws, 'no.such.method', {});
      expect(unknown.type).toBe('error');
      // Still answering afterwards.
      expect((await call(h.ws, 'session.info', {})).type).toBe('result');
    } finally {
      h.ws.close();
    }
  });

  test('asset path traversal is refused', async ({ server }) => {
    const cookie = await sessionCookie(server);
    const attempts = [
      '/..%2f..%2fetc/passwd',
      '/..%2f..%2f..%2f..%2f..%2f..%2fetc/passwd',
      '/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
      '/%2e%2e%2f%2e%2e%2f%2e%2e%2fpackage.json',
      '/assets/..%2f..%2f..%2fpackage.json',
      '/assets/../../../package.json',
      '/../../../../etc/passwd',
      '/..%5c..%5c..%5cpackage.json',
      '/%252e%252e%252fpackage.json',
      '/index.html%00.js',
    ];
    for (const p of attempts) {
      for (const auth of [{ cookie }, { 'x-cwb-token': server.token }] as Record<string, string>[]) {
        const sep = p.includes('?') ? '&' : '?';
        for (const url of [p, `${p}${sep}token=${server.token}`]) {
          const r = await raw(server, url, auth);
          expect([400, 401, 403, 404], `GET ${url} → ${r.status}`).toContain(r.status);
          expect(r.body).not.toMatch(/root:.*:0:0:/);
          expect(r.body).not.toContain('"circuit-workbench"');
        }
      }
    }
  });

  test('listens on 127.0.0.1 only', async ({ server }) => {
    const reachable = (host: string) =>
      new Promise<boolean>((resolve) => {
        const sock = net.connect({ host, port: server.port, timeout: 2000 });
        sock.once('connect', () => (sock.destroy(), resolve(true)));
        sock.once('timeout', () => (sock.destroy(), resolve(false)));
        sock.once('error', () => resolve(false));
      });
    expect(await reachable('127.0.0.1')).toBe(true);
    const others = Object.values(os.networkInterfaces())
      .flat()
      .filter((a): a is os.NetworkInterfaceInfo => !!a && !a.internal)
      .map((a) => a.address);
    for (const host of ['::1', ...others]) expect(await reachable(host), `reachable on ${host}`).toBe(false);

    // Linux: the kernel's socket table has exactly one listening socket on the port, bound to 127.0.0.1.
    if (existsSync('/proc/net/tcp')) {
      const hexPort = server.port.toString(16).toUpperCase().padStart(4, '0');
      const listening = ['/proc/net/tcp', '/proc/net/tcp6']
        .filter((f) => existsSync(f))
        .flatMap((f) => readFileSync(f, 'utf8').split('\n').slice(1))
        .map((l) => l.trim().split(/\s+/))
        .filter((c) => c.length > 3 && c[3] === '0A' && c[1].endsWith(`:${hexPort}`))
        .map((c) => c[1]);
      expect(listening).toEqual([`0100007F:${hexPort}`]);
    }
  });
});
