/**
 * Browser mode on the real engine: 127.0.0.1 only, the token (query, header, cookie) on every request and on
 * the WebSocket upgrade, foreign Origins refused, the renderer's files served without traversal, and the API
 * answering over the socket.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { EngineMessage, SessionInfo } from '../../shared/api';
import { startServer, type RunningServer } from './serve';
import { MAX_FRAME_BYTES } from './socket';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'cwb-serve-'));
const dist = path.join(tmp, 'dist');
const workspace = path.join(tmp, 'ws');
let s: RunningServer;
let base: string;

/** A raw GET (fetch would normalise `..` away and refuses to set Host/Origin freely). */
function get(p: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: s.port, path: p, method: 'GET', headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens the API socket: resolves with the socket, or with the refusing HTTP status. */
function connect(query: string, headers: Record<string, string> = {}): Promise<WebSocket | number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${s.port}/api/ws${query}`, { headers });
    ws.on('open', () => resolve(ws));
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', reject);
  });
}

function next(ws: WebSocket, id: string): Promise<EngineMessage> {
  return new Promise((resolve) => {
    const on = (data: WebSocket.RawData) => {
      const m = JSON.parse(String(data)) as EngineMessage;
      if (m.id === id && m.type !== 'progress') {
        ws.off('message', on);
        resolve(m);
      }
    };
    ws.on('message', on);
  });
}

beforeAll(async () => {
  mkdirSync(path.join(dist, 'assets'), { recursive: true });
  mkdirSync(workspace);
  writeFileSync(path.join(dist, 'index.html'), '<!doctype html><script type="module" src="/app.js"></script>');
  writeFileSync(path.join(dist, 'app.js'), 'console.log(1)');
  writeFileSync(path.join(dist, 'app.css'), 'body{}');
  writeFileSync(path.join(dist, '.secret'), 'dotfile');
  writeFileSync(path.join(tmp, 'secret.txt'), 'outside');
  symlinkSync(path.join(tmp, 'secret.txt'), path.join(dist, 'assets', 'link.txt'));
  s = await startServer({ port: 0, workspace, rendererDir: dist });
  base = `http://127.0.0.1:${s.port}`;
});
afterAll(async () => {
  await s.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('cwb serve', () => {
  it('binds to 127.0.0.1 only, on the workspace given', () => {
    const addr = s.server.address();
    expect(typeof addr === 'object' && addr?.address).toBe('127.0.0.1');
    expect(s.url).toBe(`${base}/?token=${s.token}`);
    expect(s.token).toMatch(/^[0-9a-f]{48}$/);
  });

  it('refuses requests without the token or with a wrong one (401)', async () => {
    for (const p of ['/', '/app.js', '/api/info', '/nope']) expect((await get(p)).status, p).toBe(401);
    expect((await get(`/api/info?token=${'0'.repeat(s.token.length)}`)).status).toBe(401);
    expect((await get('/api/info', { 'x-cwb-token': 'nope' })).status).toBe(401);
    expect((await get('/app.js', { cookie: `cwb_token_${s.port}=nope` })).status).toBe(401);
  });

  it('refuses foreign origins and hosts even with the token (403)', async () => {
    expect((await get(`/api/info?token=${s.token}`, { origin: 'http://evil.example' })).status).toBe(403);
    expect((await get(`/api/info?token=${s.token}`, { origin: `http://localhost:${s.port}` })).status).toBe(403);
    expect((await get(`/api/info?token=${s.token}`, { host: `evil.example:${s.port}` })).status).toBe(403);
    expect((await get(`/api/info?token=${s.token}`, { origin: base })).status).toBe(200);
  });

  it('serves the page with a strict CSP and sets the token cookie that authorises its assets', async () => {
    const r = await fetch(s.url);
    expect(r.status).toBe(200);
    expect(await r.text()).toContain('app.js');
    const csp = r.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'self'; script-src 'self'");
    expect(csp).toContain(`connect-src 'self' ws://127.0.0.1:${s.port}`);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    const cookie = r.headers.get('set-cookie')!;
    expect(cookie).toMatch(new RegExp(`^cwb_token_${s.port}=${s.token};`));
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const asset = await get('/app.js', { cookie: `cwb_token_${s.port}=${s.token}` });
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toMatch(/javascript/);
    expect(asset.body).toBe('console.log(1)');
    expect((await get('/app.css', { cookie: `other=1; cwb_token_${s.port}=${s.token}` })).headers['content-type']).toMatch(/text\/css/);
  });

  it('refuses path traversal, dotfiles and symlinks out of the renderer folder', async () => {
    const auth = { cookie: `cwb_token_${s.port}=${s.token}` };
    for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/assets/..%2f..%2fsecret.txt', '/assets/%2e%2e/%2e%2e/secret.txt', '/..%5csecret.txt', '/.secret', '/assets/link.txt', '/%00', '/%E0%A4%A']) {
      const r = await get(p, auth);
      expect(r.status, p).toBe(404);
      expect(r.body).not.toContain('outside');
    }
  });

  it('answers /api/info with the session and no-store', async () => {
    const r = await fetch(`${base}/api/info`, { headers: { 'x-cwb-token': s.token } });
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('no-store');
    const info = (await r.json()) as SessionInfo;
    expect(info.workspace).toBe(path.resolve(workspace));
    expect(info.model.name).toBe('stories260K');
  });

  it('refuses WebSocket upgrades without the token or from a foreign origin', async () => {
    expect(await connect('')).toBe(401);
    expect(await connect('?token=nope')).toBe(401);
    expect(await connect('', { cookie: `cwb_token_${s.port}=nope` })).toBe(401);
    expect(await connect(`?token=${s.token}`, { origin: 'http://evil.example' })).toBe(403);
  });

  it('speaks the API over the socket (token by query or cookie)', async () => {
    for (const [query, headers] of [[`?token=${s.token}`, { origin: base }], ['', { cookie: `cwb_token_${s.port}=${s.token}`, origin: base }]] as const) {
      const ws = await connect(query, headers);
      if (typeof ws === 'number') throw new Error(`refused: ${ws}`);
      const answer = next(ws, 'r1');
      ws.send(JSON.stringify({ type: 'call', id: 'r1', method: 'session.info', params: {} }));
      const m = await answer;
      expect(m.type).toBe('result');
      expect((m as { result: SessionInfo }).result.model.name).toBe('stories260K');
      // Malformed JSON with a readable id gets an error; without one it is ignored.
      const bad = next(ws, 'r2');
      ws.send('{"type":"call","id":"r2",');
      ws.send('garbage');
      expect(await bad).toMatchObject({ type: 'error', error: { code: 'bad-request' } });
      const fine = next(ws, 'r3');
      ws.send(JSON.stringify({ type: 'call', id: 'r3', method: 'prompt.analyze', params: { prompt: 'Once upon a time' } }));
      expect(await fine).toMatchObject({ type: 'result' });
      ws.close();
    }
  });

  it('closes a socket that sends more than MAX_FRAME_BYTES (64 MiB) in one frame', async () => {
    const ws = await connect(`?token=${s.token}`);
    if (typeof ws === 'number') throw new Error(`refused: ${ws}`);
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    ws.send('x'.repeat(MAX_FRAME_BYTES + 1));
    expect(await closed).toBe(1009);
  });

  it('says how to build the UI when renderer/dist is missing (503)', async () => {
    const other = await startServer({ port: 0, workspace, rendererDir: path.join(tmp, 'missing') });
    try {
      const r = await fetch(other.url);
      expect(r.status).toBe(503);
      expect(await r.text()).toContain('npm run build:renderer');
    } finally {
      await other.close();
    }
  });
});
