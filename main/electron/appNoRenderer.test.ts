/** app.ts on plain Node (fake electron) when renderer/dist/index.html is missing: a clear dialog, then quit. */
import { describe, expect, it, vi } from 'vitest';
import path from 'node:path';

vi.mock('electron', () => import('./__fixtures__/fakeElectron'));
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const existsSync = (p: import('node:fs').PathLike) => (String(p).endsWith(path.join('renderer', 'dist', 'index.html')) ? false : fs.existsSync(p));
  return { ...fs, existsSync, default: { ...fs, existsSync } };
});

describe('app.ts without a built renderer', () => {
  it('says to run npm run build:renderer and quits without a window or an engine', async () => {
    const { __fake: fake } = await import('./__fixtures__/fakeElectron');
    await import('./app');
    fake.resolveReady();
    const deadline = Date.now() + 10_000;
    while (!fake.calls.some((c) => c.name === 'app.quit') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const box = fake.calls.find((c) => c.name === 'dialog.showErrorBox');
    expect(box?.args[0]).toBe('Circuit Workbench');
    expect(String(box?.args[1])).toContain('npm run build:renderer');
    expect(fake.calls.some((c) => c.name === 'app.quit')).toBe(true);
    expect(fake.BrowserWindow.created).toHaveLength(0);
    expect(fake.ipc.on.size).toBe(0);
  });
});
