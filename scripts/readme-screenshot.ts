/**
 * Regenerates docs/images/workbench.png (the README screenshot): the real app in Debian's Chromium, on the
 * embedded model, after tracing the default story prompt with one feature selected.
 * Run: `npm run build:renderer && node --import tsx scripts/readme-screenshot.ts`
 */
import path from 'node:path';
import { chromium } from '@playwright/test';
import { assertChromium, chromiumArgs, chromiumPath } from '../e2e/chromium';
import { repoRoot, startCwbServer } from '../e2e/server';

assertChromium();
const server = await startCwbServer();
const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
try {
  const page = await browser.newPage({ viewport: { width: 1500, height: 900 } });
  await page.goto(server.url);
  await page.getByRole('textbox', { name: 'Prompt' }).fill('Once upon a time, there was a little girl named Lily');
  await page.getByRole('button', { name: 'Trace', exact: true }).click();
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=graph]')?.getAttribute('data-node-count') ?? 0) > 0);
  // Select the most influential feature so the details panel shows a card.
  const search = page.getByRole('searchbox', { name: 'Search nodes' });
  await search.fill('L1');
  await search.press('Enter');
  await page.getByRole('button', { name: 'Fit' }).click(); // the whole graph again, the selection kept
  await page.waitForTimeout(800);
  const out = path.join(repoRoot, 'docs', 'images', 'workbench.png');
  await page.screenshot({ path: out });
  process.stdout.write(`wrote ${out}\n`);
} finally {
  await browser.close();
  await server.stop();
}
