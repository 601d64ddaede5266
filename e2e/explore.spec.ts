/**
 * The exploration journey in the browser against the real server and engine (embedded stories260K model and
 * dictionary): trace a prompt, prune with the node-threshold slider, inspect a feature (details + card), follow
 * a path, cancel a long trace, open the shortcuts dialog. A screenshot is attached at every step.
 *
 * The renderer exposes `window.cwbDebug` (renderer/src/debug.ts) for tests (node ids follow circuit-tracer / Neuronpedia:
 * tokens "E_<tokenId>_<pos>", features "<layer>_<feature>_<pos>", errors "<layer>_-1_<pos>",
 * logits "<nLayers + 1>_<tokenId>_<pos>").
 */
import type { Page } from '@playwright/test';
import { STORY } from '../bench/story';
import { expect, snap, test } from './fixtures';
import { openWsApi } from './wsApi';

const PROMPT = 'Once upon a time, there was a little girl named Lily';

const nodeCount = async (page: Page) => Number((await page.getByTestId('graph').getAttribute('data-node-count')) ?? 0);
const visibleIds = (page: Page) => page.evaluate(() => window.cwbDebug!.visibleNodeIds());

function classify(ids: readonly string[], nLayers: number) {
  const kinds = { token: [] as string[], feature: [] as string[], error: [] as string[], logit: [] as string[], other: [] as string[] };
  for (const id of ids) {
    const m = /^(E|\d+)_(-?\d+)_(\d+)$/.exec(id);
    if (!m) kinds.other.push(id);
    else if (m[1] === 'E') kinds.token.push(id);
    else if (Number(m[1]) === nLayers + 1) kinds.logit.push(id);
    else if (m[2] === '-1') kinds.error.push(id);
    else if (Number(m[1]) < nLayers) kinds.feature.push(id);
    else kinds.other.push(id);
  }
  return kinds;
}

/** Moves a range input to `value` (fill sets it and fires input/change; React sees it through the native setter). */
async function setSlider(page: Page, name: string, value: number): Promise<void> {
  const slider = page.getByRole('slider', { name });
  await slider.fill(String(value));
  await expect(slider).toHaveValue(String(value));
}

test.describe('explore in the browser', () => {
  test('trace → prune → inspect → paths → cancel', async ({ page, server }, testInfo) => {
    test.setTimeout(240_000);
    const api = await openWsApi(server);
    const session = await api.call('session.info', {});
    api.close();
    const nLayers = session.model.nLayers;

    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(`console: ${m.text()}`);
    });

    // The envelopes on the page's engine socket (to see what the engine answers a cancelled trace).
    const sent: string[] = [];
    const received: string[] = [];
    page.on('websocket', (ws) => {
      ws.on('framesent', (f) => sent.push(String(f.payload)));
      ws.on('framereceived', (f) => received.push(String(f.payload)));
    });

    await test.step('load the app', async () => {
      await page.goto(server.url);
      await expect(page.getByRole('banner')).toContainText('stories260K');
      await snap(page, testInfo, 'loaded');
    });

    let before = 0;
    let firstIds: string[] = [];
    await test.step('trace a prompt', async () => {
      await page.getByRole('textbox', { name: 'Prompt' }).fill(PROMPT);
      await page.getByRole('button', { name: 'Trace', exact: true }).click();
      await expect.poll(() => nodeCount(page), { timeout: 60_000 }).toBeGreaterThan(0);
      firstIds = await visibleIds(page);
      before = firstIds.length;
      expect(before).toBe(await nodeCount(page));
      const kinds = classify(firstIds, nLayers);
      expect(kinds.other, 'ids in an unknown format').toEqual([]);
      expect(kinds.token.length, 'token nodes').toBeGreaterThan(0);
      expect(kinds.feature.length, 'feature nodes').toBeGreaterThan(0);
      expect(kinds.logit.length, 'logit nodes').toBeGreaterThan(0);
      // The prompt's last token is "Lily" at position 14 (BOS is position 0): logits sit at the last position.
      for (const id of kinds.logit) expect(id).toMatch(new RegExp(`^${nLayers + 1}_\\d+_14$`));
      await snap(page, testInfo, 'traced');
    });

    await test.step('lower the node threshold', async () => {
      await setSlider(page, 'Node threshold', 0.5);
      await expect.poll(() => nodeCount(page), { timeout: 10_000 }).not.toBe(before);
      const after = await nodeCount(page);
      expect(after).toBeLessThan(before);
      expect((await visibleIds(page)).length).toBe(after);
      await snap(page, testInfo, 'threshold-0.5');
    });

    let featureId = '';
    await test.step('select a feature node on the canvas', async () => {
      featureId = await loneFeature(page, nLayers);
      const pos = await page.evaluate((id) => window.cwbDebug!.renderedPosition(id), featureId);
      expect(pos, `rendered position of ${featureId}`).not.toBeNull();
      // Hovering highlights the node's neighbourhood (nodes in cytoscape, edges on the edge layer).
      await page.mouse.move(pos!.x, pos!.y);
      await expect.poll(() => page.evaluate(() => window.cwbDebug!.highlightedElementCount())).toBeGreaterThan(1);
      await page.mouse.click(pos!.x, pos!.y);
      const details = page.getByRole('region', { name: 'Node details' });
      await expect(details).toContainText(featureId);
      await expect(details).toContainText('feature');
      const card = page.getByRole('region', { name: 'Feature card' });
      await expect(card).toBeVisible();
      await expect(card).toContainText('Top activating contexts');
      await expect(card.locator('.context').first()).toBeVisible();
      await snap(page, testInfo, 'feature-selected');
    });

    await test.step('highlight the first path', async () => {
      const paths = page.getByRole('region', { name: 'Paths' });
      const first = paths.getByRole('button').first();
      await expect(first).toBeVisible({ timeout: 15_000 });
      await first.hover();
      await first.click();
      await expect.poll(() => page.evaluate(() => window.cwbDebug!.highlightedElementCount())).toBeGreaterThan(0);
      await snap(page, testInfo, 'path-highlighted');
    });

    await test.step('find a node with the search box', async () => {
      const other = classify(await visibleIds(page), nLayers).feature.find((id) => id !== featureId)!;
      await page.getByRole('searchbox', { name: 'Search nodes' }).fill(other);
      const results = page.getByRole('list', { name: 'Search results' });
      await expect(results.getByRole('button').first()).toBeVisible();
      await snap(page, testInfo, 'search');
      await results.getByRole('button').first().click();
      await expect(page.getByRole('region', { name: 'Node details' })).toContainText(other);
      await expect(page.getByRole('region', { name: 'Paths' })).toContainText('Into');
    });

    await test.step('cancel a long trace', async () => {
      const kept = await nodeCount(page);
      const keptIds = await visibleIds(page);
      await page.getByRole('textbox', { name: 'Prompt' }).fill(STORY);
      // The renderer sends no maxFeatureNodes: the engine then keeps every active feature (unlimited).
      await page.getByRole('button', { name: 'Trace', exact: true }).click();
      const cancel = page.getByRole('button', { name: 'Cancel' });
      await expect(cancel).toBeVisible({ timeout: 10_000 });
      await snap(page, testInfo, 'long-trace-running');
      const started = Date.now();
      await cancel.click();
      await expect(cancel).toBeHidden({ timeout: 15_000 });
      // The engine stops the attribution and answers the call with a 'cancelled' error, not a graph.
      const call = sent.map((m) => JSON.parse(m) as { type: string; id: string; method?: string; params?: { prompt?: string } }).find((m) => m.method === 'graph.trace' && m.params?.prompt === STORY);
      expect(call, 'the long trace was sent').toBeDefined();
      const final = () => received.map((m) => JSON.parse(m) as { type: string; id: string; error?: { code: string } }).find((m) => m.id === call!.id && m.type !== 'progress');
      await expect.poll(() => final()?.type ?? 'none', { timeout: 30_000, message: 'the engine answers the cancelled trace' }).toBe('error');
      expect(final()!.error!.code).toBe('cancelled');
      testInfo.annotations.push({ type: 'cancel latency', description: `${Date.now() - started} ms from Cancel to the engine's 'cancelled' answer` });
      expect(sent.some((m) => m.includes('"type":"cancel"') && m.includes(`"id":"${call!.id}"`)), 'a cancel envelope was sent').toBe(true);
      await expect(page.getByRole('button', { name: 'Trace', exact: true })).toBeEnabled();
      // The old graph stays, and the header says which prompt it is for.
      expect(await nodeCount(page)).toBe(kept);
      expect(await visibleIds(page)).toEqual(keptIds);
      await expect(page.getByRole('note')).toContainText(`Graph for: “${PROMPT}”`);
      // No error toast; a neutral "cancelled" notice.
      await expect(page.getByRole('status').filter({ hasText: /cancel/i }).first()).toBeVisible();
      expect(await page.getByRole('alert').allInnerTexts(), 'error toasts after Cancel').toEqual([]);
      // Responsive: the slider still re-prunes.
      await setSlider(page, 'Node threshold', 0.8);
      await expect.poll(() => nodeCount(page), { timeout: 10_000 }).not.toBe(kept);
      await snap(page, testInfo, 'after-cancel');
    });

    await test.step('? opens the keyboard shortcuts', async () => {
      await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
      await page.keyboard.press('?');
      const dialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
      await expect(dialog).toBeVisible();
      await snap(page, testInfo, 'shortcuts');
      await page.keyboard.press('Escape');
      await expect(dialog).toBeHidden();
    });

    expect(pageErrors, 'uncaught errors in the page').toEqual([]);
  });
});

/**
 * The visible feature node farthest from any other node on screen (so a click at its centre hits it, not a
 * neighbour drawn on top).
 */
async function loneFeature(page: Page, nLayers: number): Promise<string> {
  const ids = await visibleIds(page);
  const features = new Set(classify(ids, nLayers).feature);
  const pos = await page.evaluate((all) => all.map((id) => [id, window.cwbDebug!.renderedPosition(id)] as const), ids);
  const box = (await page.getByTestId('graph').boundingBox())!;
  const inside = (p: { x: number; y: number }) => p.x > box.x + 10 && p.x < box.x + box.width - 10 && p.y > box.y + 10 && p.y < box.y + box.height - 10;
  let best = '';
  let bestGap = -1;
  for (const [id, p] of pos) {
    if (!features.has(id) || !p || !inside(p)) continue;
    let gap = Infinity;
    for (const [other, q] of pos) if (other !== id && q) gap = Math.min(gap, Math.hypot(p.x - q.x, p.y - q.y));
    if (gap > bestGap) {
      bestGap = gap;
      best = id;
    }
  }
  expect(best, 'a feature node drawn inside the canvas').not.toBe('');
  return best;
}
