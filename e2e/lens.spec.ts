/**
 * The logit-lens panel and the monitor flow in the browser against the real server and engine (embedded
 * stories260K model and dictionary):
 * - lens: run on a prompt with a target; the heat map has one row per residual stream; its top row's last cell
 *   is the model's own top prediction (checked against `prompt.analyze`, a different code path); hovering a
 *   cell shows its top tokens and the target's rank;
 * - monitors: trace, select a feature node, build a monitor from the selection, run it on a workspace file
 *   whose first line is the traced prompt, and see that line flagged (its score is the one the threshold was
 *   derived from) and every row shown reached the threshold; a threshold far above it flags nothing.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { expect, snap, test } from './fixtures';
import { openWsApi } from './wsApi';

const PROMPT = 'Once upon a time, there was a little girl named Lily';

const visibleIds = (page: Page) => page.evaluate(() => window.cwbDebug!.visibleNodeIds());

test.describe('lens and monitors', () => {
  test('logit lens heat map with hover', async ({ page, server }, testInfo) => {
    const api = await openWsApi(server);
    const session = await api.call('session.info', {});
    const analysis = await api.call('prompt.analyze', { prompt: 'Once upon a time, there was a' });
    api.close();
    const rows = session.model.nLayers + 1;

    await page.goto(server.url);
    await expect(page.getByRole('banner')).toContainText('stories260K');
    await page.getByRole('button', { name: 'Lens & monitors…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Lens and monitors' });
    await dialog.getByRole('textbox', { name: 'Lens prompt' }).fill('Once upon a time, there was a');
    await dialog.getByRole('textbox', { name: 'Lens target' }).fill(' little');
    await dialog.getByRole('button', { name: 'Run lens' }).click();
    const map = dialog.getByTestId('lens-heatmap');
    await expect(map).toBeVisible({ timeout: 30_000 });
    const nTok = analysis.tokens.length;
    // One row per residual stream plus the token row; one cell per position.
    await expect(map.locator('tr')).toHaveCount(rows + 1);
    await expect(map.locator('tr').first().locator('td')).toHaveCount(nTok);
    // The top row (final residual) at the last position is the model's own next-token prediction.
    const lastCell = dialog.getByTestId(`lens-cell-${rows - 1}-${nTok - 1}`);
    await expect(lastCell).toHaveText(analysis.top[0].text.trim() || '·');
    await lastCell.hover();
    const tip = dialog.getByTestId('lens-tip');
    await expect(tip).toBeVisible();
    await expect(tip).toContainText(JSON.stringify(analysis.top[0].text));
    await expect(tip).toContainText(`${(100 * analysis.top[0].prob).toFixed(1)}%`);
    await expect(tip).toContainText('target');
    await expect(tip).toContainText('rank');
    // A lower row shows its own cell on hover.
    await dialog.getByTestId(`lens-cell-0-${nTok - 1}`).hover();
    await expect(tip).toContainText('blocks.0.hook_resid_pre');
    await snap(page, testInfo, 'lens');
  });

  test('monitor from selected nodes flags the traced prompt in a workspace file', async ({ page, server }, testInfo) => {
    test.setTimeout(180_000);
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    writeFileSync(
      path.join(server.workspace, 'items.jsonl'),
      [{ id: 'traced', prompt: PROMPT }, { id: 'other', prompt: '12345' }, { id: 'story', prompt: 'Tim had a big red ball. He liked to play with it' }]
        .map((x) => JSON.stringify(x))
        .join('\n') + '\n',
    );
    await page.goto(server.url);
    await page.getByRole('textbox', { name: 'Prompt' }).fill(PROMPT);
    await page.getByRole('button', { name: 'Trace', exact: true }).click();
    await expect.poll(async () => (await visibleIds(page)).length, { timeout: 60_000 }).toBeGreaterThan(0);

    // Select a late-position feature node through the search box.
    const features = (await visibleIds(page)).filter((id) => /^[0-4]_\d+_(\d+)$/.test(id) && !id.includes('_-1_'));
    const feature = features.sort((a, b) => Number(b.split('_')[2]) - Number(a.split('_')[2]))[0];
    expect(feature, 'a feature node in the graph').toBeTruthy();
    await page.getByRole('searchbox', { name: 'Search nodes' }).fill(feature);
    await page.getByRole('list', { name: 'Search results' }).getByRole('button').first().click();
    await expect(page.getByRole('region', { name: 'Node details' })).toContainText(feature);

    await page.getByRole('button', { name: 'Lens & monitors…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Lens and monitors' });
    await dialog.getByRole('tab', { name: 'Monitors' }).click();
    await dialog.getByRole('button', { name: /Monitor from selection \(1\)/ }).click();
    const list = dialog.getByRole('list', { name: 'Monitor list' });
    await expect(list.locator('li')).toHaveCount(1);
    const [layer, feat] = feature.split('_');
    await expect(list).toContainText(`features ${layer}:${feat}`);
    const threshold = Number(await list.getByRole('spinbutton').inputValue());
    expect(threshold).toBeGreaterThan(0);

    await dialog.getByRole('textbox', { name: 'Monitor input file' }).fill('items.jsonl');
    await dialog.getByRole('button', { name: 'Run monitors' }).click();
    const result = dialog.getByTestId('monitor-result');
    await expect(result).toContainText('3 items', { timeout: 30_000 });
    const flagged = dialog.getByTestId('monitor-flagged');
    await expect(flagged.locator('tbody tr').first()).toContainText(PROMPT);
    await expect(flagged.locator('tbody tr').first().locator('td').first()).toHaveText('1');
    // Every row shown is flagged: its score (last column) reached the threshold.
    for (const score of await flagged.locator('tbody tr td:last-child').allInnerTexts()) expect(Number(score)).toBeGreaterThanOrEqual(threshold);
    await snap(page, testInfo, 'monitor-flagged');

    // Raising the threshold far above the traced score leaves nothing flagged.
    await list.getByRole('spinbutton').fill(String(threshold * 1000));
    await dialog.getByRole('button', { name: 'Run monitors' }).click();
    await expect(flagged.locator('tbody tr')).toHaveCount(0, { timeout: 30_000 });
    expect(pageErrors).toEqual([]);
  });
});
