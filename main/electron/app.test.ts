/**
 * Smoke test of app.ts's wiring on plain Node, with a fake `electron` module (no Electron binary can run on CI):
 * start-up order, the window's webPreferences, CSP / permission / navigation hardening, the IPC handlers with
 * sender and payload checks, the menu, the window state file and the engine child process (the real
 * main/api/host.ts, forked as the app forks it). The fake only records calls; Electron's own behaviour
 * (sandboxing, contextBridge, dialogs) is covered by e2e/electron where a binary exists.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { EngineMessage } from '../../shared/api';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const indexHtml = path.join(root, 'renderer', 'dist', 'index.html');
const appUrl = pathToFileURL(indexHtml).href;

// renderer/dist is built by `npm run build:renderer`; the smoke test must not depend on it.
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const existsSync = (p: import('node:fs').PathLike) => (String(p).endsWith(path.join('renderer', 'dist', 'index.html')) ? true : fs.existsSync(p));
  return { ...fs, existsSync, default: { ...fs, existsSync } };
});

vi.mock('electron', () => import('./__fixtures__/fakeElectron'));

interface FakeWindow {
  options: { webPreferences: Record<string, unknown>; width: number; height: number };
  loaded: string | null;
  webContents: { sent: [string, unknown][]; windowOpenHandler: (d: { url: string }) => unknown; emit(e: string, ...a: unknown[]): boolean };
  emit(e: string, ...a: unknown[]): boolean;
}
interface Fake {
  calls: { name: string; args: unknown[] }[];
  resolveReady: () => void;
  ipc: { on: Map<string, (...a: unknown[]) => void>; handle: Map<string, (...a: unknown[]) => unknown> };
  ses: {
    headers: (d: unknown, cb: (r: unknown) => void) => void;
    beforeRequest: (d: unknown, cb: (r: unknown) => void) => void;
    permissionRequest: (...a: unknown[]) => void;
    permissionCheck: (...a: unknown[]) => boolean;
  };
  BrowserWindow: { created: FakeWindow[] };
}

const userData = mkdtempSync(path.join(os.tmpdir(), 'cwb-app-test-'));
let electronApp: import('node:events').EventEmitter | null = null;
afterAll(() => {
  electronApp?.emit('will-quit'); // stops the engine child
  rmSync(userData, { recursive: true, force: true });
});

async function until<T>(get: () => T | undefined | null | false, ms = 50_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = get();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('app.ts with a fake electron module', () => {
  it('wires the window, the security policy, IPC, the menu, the engine and the window state', { timeout: 60_000 }, async () => {
    process.env.CWB_USER_DATA_DIR = userData;
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const electron = (await import('electron')) as unknown as { __fake: Fake; app: import('node:events').EventEmitter };
    const fake = electron.__fake;
    electronApp = electron.app;
    await import('./app');

    // Before ready: profile, sandbox, lock.
    const names = () => fake.calls.map((c) => c.name);
    expect(names().slice(0, 3)).toEqual(['app.setPath', 'app.enableSandbox', 'app.requestSingleInstanceLock']);
    expect(fake.calls[0].args).toEqual(['userData', userData]);
    expect(fake.BrowserWindow.created).toHaveLength(0);

    fake.resolveReady();
    const win = await until(() => fake.BrowserWindow.created[0]);
    expect(names()).not.toContain('dialog.showErrorBox');

    // The window.
    expect(win.options.webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, webviewTag: false });
    const preload = win.options.webPreferences.preload as string;
    expect(preload).toBe(path.join(root, 'main', 'electron', 'preload.cjs'));
    expect(existsSync(preload)).toBe(true);
    expect(win.loaded).toBe(indexHtml);
    expect({ w: win.options.width, h: win.options.height }).toEqual({ w: 1280, h: 860 });
    expect(names()).toContain('Menu.setApplicationMenu');

    // CSP header and permissions.
    let headers: unknown = null;
    fake.ses.headers({ url: appUrl, responseHeaders: { 'content-type': ['text/html'] } }, (r) => (headers = r));
    expect(headers).toMatchObject({ responseHeaders: { 'Content-Security-Policy': [expect.stringContaining("script-src 'self'")] } });
    fake.ses.headers({ url: 'devtools://devtools/bundled/x.html', responseHeaders: {} }, (r) => (headers = r));
    expect(headers).toEqual({});
    const cancels: unknown[] = [];
    fake.ses.beforeRequest({ url: 'https://cdn.example/x.js' }, (r) => cancels.push(r));
    fake.ses.beforeRequest({ url: `${appUrl.replace('index.html', 'app.js')}` }, (r) => cancels.push(r));
    expect(cancels).toEqual([{ cancel: true }, { cancel: false }]);
    const granted: boolean[] = [];
    fake.ses.permissionRequest(null, 'media', (ok: boolean) => granted.push(ok), { requestingUrl: appUrl });
    fake.ses.permissionRequest(null, 'clipboard-sanitized-write', (ok: boolean) => granted.push(ok), { requestingUrl: appUrl });
    expect(granted).toEqual([false, true]);
    expect(fake.ses.permissionCheck(null, 'geolocation', 'file://', { requestingUrl: appUrl })).toBe(false);

    // Navigation and new windows.
    const wc = win.webContents;
    expect(wc.windowOpenHandler({ url: 'https://www.neuronpedia.org/' })).toEqual({ action: 'deny' });
    expect(wc.windowOpenHandler({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    expect(fake.calls.filter((c) => c.name === 'shell.openExternal').map((c) => c.args[0])).toEqual(['https://www.neuronpedia.org/']);
    const nav = (url: string, isMainFrame = true) => {
      let prevented = false;
      wc.emit('will-navigate', { url, isMainFrame, preventDefault: () => (prevented = true) });
      return prevented;
    };
    expect(nav(`${appUrl}#/graph`)).toBe(false);
    expect(nav('file:///etc/passwd')).toBe(true);
    expect(nav('https://example.com/')).toBe(true);

    // IPC from the app's top frame reaches the real engine and comes back with the renderer's id.
    const send = fake.ipc.on.get('cwb:send')!;
    const trusted = { sender: { id: 1 }, senderFrame: { url: appUrl, parent: null, frameToken: 'top' } };
    const messages = () => wc.sent.filter(([ch]) => ch === 'cwb:message').map(([, m]) => m as EngineMessage);
    send(trusted, { type: 'call', id: 'r1', method: 'session.info', params: {} });
    const info = await until(() => messages().find((m) => m.id === 'r1' && m.type !== 'progress'));
    expect(info.type, JSON.stringify(info)).toBe('result');
    expect((info as { result: { workspace: unknown } }).result.workspace).toBeNull();

    // Untrusted senders and invalid payloads are dropped (and logged).
    const before = wc.sent.length;
    send({ ...trusted, senderFrame: { ...trusted.senderFrame, frameToken: 'child', parent: {} } }, { type: 'call', id: 'r2', method: 'session.info', params: {} });
    send({ ...trusted, sender: { id: 2 } }, { type: 'call', id: 'r3', method: 'session.info', params: {} });
    send(trusted, { type: 'call', id: 'r4', method: 'session.info', params: {}, extra: 1 });
    send(trusted, 'not an envelope');
    await new Promise((r) => setTimeout(r, 300));
    expect(wc.sent.length).toBe(before);
    expect(warn.mock.calls.map((c) => String(c[0])).filter((l) => /cwb:send: .*dropped/.test(l))).toHaveLength(4);

    // Native dialogs.
    const pick = fake.ipc.handle.get('cwb:pick-file')!;
    await expect(pick(trusted, { mode: 'open', title: 'Open graph', filters: [{ name: 'Graph', extensions: ['json'] }] })).resolves.toBe('/data/graph.json');
    await expect(pick(trusted, { mode: 'save', title: 'Save' })).resolves.toBeNull();
    await expect(pick(trusted, { mode: 'open', title: 'x', properties: ['multiSelections'] })).rejects.toThrow(/invalid options/);
    await expect(pick({ ...trusted, sender: { id: 9 } }, { mode: 'open', title: 'x' })).rejects.toThrow(/refused/);

    // Menu actions go to the renderer.
    const setMenu = fake.calls.find((c) => c.name === 'Menu.setApplicationMenu')!;
    const template = (setMenu.args[0] as { template: { label: string; submenu?: { label?: string; click?: () => void }[] }[] }).template;
    template.find((m) => m.label === 'File')!.submenu!.find((i) => i.label === 'Open…')!.click!();
    expect(wc.sent).toContainEqual(['cwb:menu', 'open']);

    // Closing remembers the placement.
    win.emit('close');
    expect(JSON.parse(readFileSync(path.join(userData, 'window-state.json'), 'utf8'))).toEqual({ version: 1, x: 40, y: 30, width: 1100, height: 750, maximized: false });
    warn.mockRestore();
  });
});
