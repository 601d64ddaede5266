/**
 * The desktop app end to end: Playwright starts the real Electron app (main/electron/main.mjs, the engine child
 * process, renderer/dist) and drives its window. Skipped, with the reason, where no Electron binary exists
 * (offline CI: Electron's download is blocked) or where Linux has no display (run it under `xvfb-run`).
 *
 * Each run uses a fresh user data folder (CWB_USER_DATA_DIR), so it neither reads nor overwrites the user's
 * window state, and the single-instance lock does not collide with an app the user has open.
 */
import { _electron, expect, test, type ElectronApplication, type Page } from '@playwright/test';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const PROMPT = 'Once upon a time, there was a little girl named';

/** Why the Electron suite cannot run here, or null when it can. */
function electronUnavailable(): string | null {
  let exe: unknown;
  try {
    // npm's `electron` package exports the binary's path (from node_modules/electron/path.txt + dist/).
    exe = createRequire(path.join(root, 'package.json'))('electron');
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return `Electron binary not available: ${why} (node_modules/electron/path.txt or dist/ is missing; on a machine with internet run "node node_modules/electron/install.js")`;
  }
  if (typeof exe !== 'string') return 'Electron binary not available: require("electron") did not return a path';
  if (!existsSync(exe)) return `Electron binary not available: ${exe} does not exist`;
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    return 'Electron binary found but there is no display (DISPLAY/WAYLAND_DISPLAY unset): run the suite under xvfb-run';
  }
  return null;
}

const unavailable = electronUnavailable();

test.describe('desktop app (Electron)', () => {
  test.skip(unavailable !== null, unavailable ?? '');
  // One app for the whole journey, in order, in one worker.
  test.describe.configure({ mode: 'serial' });

  let app: ElectronApplication;
  let win: Page;
  let userData: string;

  test.beforeAll(async () => {
    if (!existsSync(path.join(root, 'renderer', 'dist', 'index.html'))) {
      throw new Error('renderer/dist/index.html is missing: run "npm run build:renderer" before the Electron suite');
    }
    userData = mkdtempSync(path.join(os.tmpdir(), 'cwb-electron-e2e-'));
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
    env.CWB_USER_DATA_DIR = userData;
    // Chromium refuses to start as root without --no-sandbox (containers). That switch only drops the OS-level
    // sandbox of this test run; context isolation and the Node-free renderer still hold.
    const asRoot = process.getuid?.() === 0;
    app = await _electron.launch({ args: [...(asRoot ? ['--no-sandbox'] : []), root], cwd: root, env, timeout: 60_000 });
    win = await app.firstWindow();
    await win.waitForLoadState('domcontentloaded');
  });

  test.afterAll(async () => {
    await app?.close().catch(() => {}); // already closed by the last test
    if (userData) rmSync(userData, { recursive: true, force: true });
  });

  test('opens the workbench window on the app file', async () => {
    await expect(win).toHaveTitle(/Circuit Workbench/);
    expect(win.url()).toMatch(/^file:\/\/.*\/renderer\/dist\/index\.html/);
    expect(await app.evaluate(({ app: electronApp }) => electronApp.isPackaged)).toBe(false);
  });

  test('the page has the bridge and nothing of Node', async () => {
    const globals = await win.evaluate(() => {
      const w = window as unknown as Record<string, unknown>;
      const bridge = w.cwbBridge as Record<string, unknown> | undefined;
      return {
        bridgeKeys: bridge ? Object.keys(bridge).sort() : null,
        bridgeFunctions: bridge ? Object.values(bridge).every((f) => typeof f === 'function') : false,
        require: typeof w.require,
        process: typeof w.process,
        module: typeof w.module,
        Buffer: typeof w.Buffer,
        ipcRenderer: typeof w.ipcRenderer,
      };
    });
    expect(globals).toEqual({
      bridgeKeys: ['onMenu', 'onMessage', 'pickFile', 'send'],
      bridgeFunctions: true,
      require: 'undefined',
      process: 'undefined',
      module: 'undefined',
      Buffer: 'undefined',
      ipcRenderer: 'undefined',
    });
  });

  test('new windows and navigation away from the app are refused', async () => {
    const before = win.url();
    expect(await win.evaluate(() => window.open('file:///') === null)).toBe(true);
    await win.evaluate(() => {
      window.location.href = 'file:///';
    });
    await win.waitForTimeout(500);
    expect(win.url()).toBe(before);
    expect(app.windows()).toHaveLength(1);
  });

  test('traces the embedded model and draws the graph', async () => {
    test.setTimeout(180_000);
    await win.getByRole('textbox', { name: 'Prompt' }).fill(PROMPT);
    await win.getByRole('button', { name: 'Trace', exact: true }).click();
    const graph = win.getByTestId('graph');
    await expect(graph).toHaveAttribute('data-node-count', /^[1-9]\d*$/, { timeout: 150_000 });
    expect(Number(await graph.getAttribute('data-node-count'))).toBeGreaterThan(0);
  });

  test('remembers the window placement on close', async () => {
    await app.close();
    const state = JSON.parse(readFileSync(path.join(userData, 'window-state.json'), 'utf8')) as Record<string, unknown>;
    expect(state).toMatchObject({ version: 1, maximized: false });
    expect(state.width).toBeGreaterThan(0);
  });
});
