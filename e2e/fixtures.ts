/**
 * Playwright fixtures for the browser-mode journeys:
 * - `server` (worker-scoped): one real `cwb serve --port 0 --workspace <fresh temp dir>` per worker, so one
 *   engine serves a whole spec file; stopped (and its workspace deleted) when the worker ends.
 * - `freshServer` (test-scoped): a server of its own for a test that must not share state.
 * - `startServer(opts)`: start more servers (stopped when the test ends).
 * - `launchOptions` is checked first: a missing Chromium fails every browser test with the install command
 *   instead of Playwright's download hint.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test as base, expect, type Page, type TestInfo } from '@playwright/test';
import { assertChromium } from './chromium';
import { startCwbServer, type CwbServer, type StartOptions } from './server';

export type { CwbServer } from './server';

interface TestFixtures {
  freshServer: CwbServer;
  startServer: (opts?: StartOptions) => Promise<CwbServer>;
}
interface WorkerFixtures {
  server: CwbServer;
}

export const test = base.extend<TestFixtures, WorkerFixtures>({
  launchOptions: [
    async ({ launchOptions }, use) => {
      assertChromium();
      await use(launchOptions);
    },
    { scope: 'worker' },
  ],
  server: [
    async ({}, use) => {
      const s = await startCwbServer();
      try {
        await use(s);
      } finally {
        await s.stop();
      }
    },
    { scope: 'worker', timeout: 45_000 },
  ],
  freshServer: async ({}, use) => {
    const s = await startCwbServer();
    try {
      await use(s);
    } finally {
      await s.stop();
    }
  },
  startServer: async ({}, use) => {
    const started: CwbServer[] = [];
    await use(async (opts) => {
      const s = await startCwbServer(opts);
      started.push(s);
      return s;
    });
    await Promise.all(started.map((s) => s.stop()));
  },
});

export { expect };

/** A full-page screenshot attached to the report as `NN-step` (also test-results/<test>/attachments/NN-step-<hash>.png). */
export async function snap(page: Page, testInfo: TestInfo, step: string): Promise<void> {
  const n = String(testInfo.attachments.filter((a) => a.contentType === 'image/png').length + 1).padStart(2, '0');
  // Attached by path: Playwright copies it to test-results/<test>/attachments/NN-step-<hash>.png.
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'cwb-shot-')), `${n}-${step}.png`);
  await page.screenshot({ path: file, fullPage: true });
  await testInfo.attach(`${n}-${step}`, { path: file, contentType: 'image/png' });
  rmSync(path.dirname(file), { recursive: true, force: true });
}

/** Uncaught page errors and console errors from now on (a journey ends expecting none). */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  return errors;
}

/** The node ids the graph view shows (the page's debug hook). */
export const visibleIds = (page: Page) => page.evaluate(() => window.cwbDebug!.visibleNodeIds());

/** How many nodes the graph canvas holds. */
export const nodeCount = async (page: Page): Promise<number> => Number((await page.getByTestId('graph').getAttribute('data-node-count')) ?? 0);

/** Selects a node through the search box (no canvas geometry needed). */
export async function selectById(page: Page, id: string): Promise<void> {
  const box = page.getByRole('searchbox', { name: 'Search nodes' });
  await box.fill(id);
  // Enter picks the best match (the results list may still be closing from the last blur).
  await box.press('Enter');
  await expect(page.getByRole('region', { name: 'Node details' })).toContainText(id);
}
