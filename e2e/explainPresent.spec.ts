/**
 * Presenting an explanation in the browser against the real server and engine (embedded stories260K model and
 * dictionary): trace, pin three features, group two into a labelled supernode, ablate it and save that as a causal
 * test; save two views (the graph zoomed on the supernode, and the subgraph figure with the test); presentation
 * mode steps through them with the arrow keys and shows the test's before/after chart; export the view as SVG
 * and PNG and the HTML evidence report into the workspace; the report opens in Chromium with the network off
 * and shows the prompt, the subgraph figure and the test; patch and steer run from the panel; the views survive
 * save → reload → open. Screenshots at every step.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page, TestInfo } from '@playwright/test';
import { collectPageErrors, expect, nodeCount, selectById, snap, test, visibleIds } from './fixtures';

const PROMPT = 'Once upon a time, there was a little girl named Lily';
const LABEL = 'say Lily';

/** Exports through the toolbar button and the browser-mode dialog; returns the written file's bytes. */
async function exportVia(page: Page, workspace: string, button: 'SVG' | 'PNG' | 'Report…', name: string): Promise<Buffer> {
  await page.getByRole('group', { name: 'Export view' }).getByRole('button', { name: button, exact: true }).click();
  const dialog = page.getByRole('dialog', { name: /Export/ });
  await expect(dialog).toBeVisible();
  await dialog.getByRole('textbox', { name: 'File name' }).fill(name);
  await dialog.getByRole('button', { name: 'Export', exact: true }).click();
  await expect(dialog).toBeHidden({ timeout: 30_000 });
  await expect(page.locator('.toasts')).toContainText(`${name} (`, { timeout: 30_000 });
  return readFileSync(path.join(workspace, name));
}

/** Attaches an exported file (kept under test-results/ so it can be looked at). */
async function attachFile(testInfo: TestInfo, name: string, body: Buffer | string, contentType: string): Promise<void> {
  const file = testInfo.outputPath(name);
  writeFileSync(file, body);
  await testInfo.attach(name, { path: file, contentType });
}

test.describe('present an explanation in the browser', () => {
  test('views → presentation (arrow keys) → export SVG, PNG and the offline HTML report', async ({ page, server, browser }, testInfo) => {
    test.setTimeout(180_000);
    const pageErrors = collectPageErrors(page);
    const subgraph = page.getByRole('region', { name: 'Subgraph' });
    const causal = page.getByRole('region', { name: 'Causal test' });
    const views = page.getByRole('region', { name: 'Views' });

    await page.goto(server.url);
    await expect(page.getByRole('banner')).toContainText('stories260K');

    await test.step('trace, pin three features, group two, ablate them, save as test', async () => {
      await page.getByRole('textbox', { name: 'Prompt' }).fill(PROMPT);
      await page.getByRole('button', { name: 'Trace', exact: true }).click();
      await expect.poll(() => nodeCount(page), { timeout: 60_000 }).toBeGreaterThan(0);
      const ids = await visibleIds(page);
      const logitLayer = Math.max(...ids.map((id) => Number(id.split('_')[0])).filter(Number.isFinite));
      const features = ids
        .filter((id) => /^\d+_\d+_\d+$/.test(id) && Number(id.split('_')[0]) < logitLayer - 1)
        .sort((a, b) => Number(b.split('_')[2]) - Number(a.split('_')[2]) || Number(b.split('_')[0]) - Number(a.split('_')[0]));
      for (const id of features.slice(0, 3)) {
        await selectById(page, id);
        await page.getByRole('region', { name: 'Node work' }).getByRole('button', { name: 'Pin' }).click();
      }
      await expect(subgraph.locator('li[data-node-id]')).toHaveCount(3);
      const boxes = subgraph.locator('li[data-node-id] input[type=checkbox]');
      await boxes.nth(0).check();
      await boxes.nth(1).check();
      await subgraph.getByRole('button', { name: 'Group' }).click();
      await subgraph.getByRole('textbox', { name: 'Supernode label' }).fill(LABEL);
      await causal.getByRole('combobox', { name: 'Intervene on' }).selectOption({ label: `Supernode: ${LABEL}` });
      await causal.getByRole('button', { name: 'Run', exact: true }).click();
      await expect(causal.getByTestId('intervention-result')).toBeVisible({ timeout: 30_000 });
      await causal.getByRole('textbox', { name: 'New test name' }).fill(`ablate ${LABEL}`);
      await causal.getByRole('spinbutton', { name: 'Drop at least (%)' }).fill('1');
      await causal.getByRole('button', { name: 'Save as test' }).click();
      await expect(causal.getByRole('list', { name: 'Tests' }).getByTestId('verdict')).toHaveText(/PASS|FAIL/, { timeout: 30_000 });
    });

    await test.step('save two views: the graph, and the subgraph figure with the test', async () => {
      // The whole graph: Fit first (selecting nodes through the search zoomed in on them).
      await page.getByRole('button', { name: 'Fit', exact: true }).click();
      await views.getByRole('button', { name: 'Save view' }).click();
      const list = views.getByRole('list', { name: 'Saved views' });
      await expect(list.locator('li')).toHaveCount(1);
      await list.getByRole('textbox', { name: 'View name' }).first().fill('Whole graph');
      await views.getByRole('button', { name: 'Subgraph figure' }).click();
      const figure = page.getByTestId('subgraph-figure');
      await expect(figure.locator('svg')).toBeVisible({ timeout: 30_000 });
      await expect(figure.locator('svg')).toContainText(LABEL);
      await views.getByRole('button', { name: 'Save view' }).click();
      await expect(list.locator('li')).toHaveCount(2);
      await list.getByRole('textbox', { name: 'View name' }).nth(1).fill('The “say Lily” supernode');
      await list.locator('li').nth(1).locator('summary').click();
      await list.locator('li').nth(1).getByRole('textbox', { name: 'View caption' }).fill('Two L4 features that push the prediction');
      await list.locator('li').nth(1).getByRole('combobox', { name: 'Test shown with the view' }).selectOption({ label: `ablate ${LABEL}` });
      // Undo / redo reach the views too.
      await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
      await page.keyboard.press('Control+z');
      await expect(list.locator('li').nth(1).getByRole('combobox', { name: 'Test shown with the view' })).toHaveValue('');
      await page.keyboard.press('Control+Shift+z');
      await expect(list.locator('li').nth(1).getByRole('combobox', { name: 'Test shown with the view' })).not.toHaveValue('');
      await snap(page, testInfo, 'views-saved');
    });

    await test.step('presentation mode: arrow keys step through the views, Esc leaves', async () => {
      await views.getByRole('button', { name: 'Present' }).click();
      const header = page.getByRole('banner', { name: 'Presentation' });
      await expect(header).toBeVisible();
      await expect(page.getByRole('complementary', { name: 'Prompt and target' })).toBeHidden();
      await expect(page.getByTestId('presentation-view-name')).toHaveText('Whole graph');
      await expect(page.getByTestId('presentation-position')).toHaveText('1 / 2');
      await expect(page.getByTestId('subgraph-figure')).toHaveCount(0);
      await expect.poll(() => nodeCount(page)).toBeGreaterThan(0);
      await snap(page, testInfo, 'present-view-1');
      await page.keyboard.press('ArrowRight');
      await expect(page.getByTestId('presentation-view-name')).toHaveText('The “say Lily” supernode');
      await expect(page.getByTestId('presentation-position')).toHaveText('2 / 2');
      await expect(page.getByTestId('subgraph-figure').locator('svg')).toContainText(LABEL, { timeout: 30_000 });
      await expect(page.getByRole('banner', { name: 'Presentation' })).toContainText('Two L4 features that push the prediction');
      const card = page.getByTestId('presented-test');
      await expect(card).toContainText(`ablate ${LABEL}`);
      await expect(card.getByRole('img', { name: 'Test result before and after' })).toBeVisible();
      await snap(page, testInfo, 'present-view-2');
      await page.keyboard.press('ArrowLeft');
      await expect(page.getByTestId('presentation-view-name')).toHaveText('Whole graph');
      await page.keyboard.press('ArrowRight');
      await expect(page.getByTestId('presentation-position')).toHaveText('2 / 2');
      await page.keyboard.press('Escape');
      await expect(header).toBeHidden();
      await expect(page.getByRole('complementary', { name: 'Prompt and target' })).toBeVisible();
    });

    let reportPath = '';
    await test.step('export the view as SVG and PNG, and the HTML report', async () => {
      // The subgraph view is still applied: the figure is what is exported.
      const svg = (await exportVia(page, server.workspace, 'SVG', 'lily-figure.svg')).toString('utf8');
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg).toContain(LABEL);
      expect(svg).toContain('“Once upon a time');
      const png = await exportVia(page, server.workspace, 'PNG', 'lily-figure.png');
      expect(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
      expect(png.length).toBeGreaterThan(20_000);
      await attachFile(testInfo, 'lily-figure.png', png, 'image/png');
      await attachFile(testInfo, 'lily-figure.svg', svg, 'image/svg+xml');
      // The graph canvas as a vector file: nodes, edges and the supernode frame with its label.
      await views.getByRole('button', { name: 'Graph', exact: true }).click();
      const graphSvg = (await exportVia(page, server.workspace, 'SVG', 'lily-graph.svg')).toString('utf8');
      expect(graphSvg).toContain(LABEL);
      expect((graphSvg.match(/<line /g) ?? []).length).toBeGreaterThan(10);
      await attachFile(testInfo, 'lily-graph.svg', graphSvg, 'image/svg+xml');
      const graphPng = await exportVia(page, server.workspace, 'PNG', 'lily-graph.png');
      expect(graphPng.length).toBeGreaterThan(20_000);
      await attachFile(testInfo, 'lily-graph.png', graphPng, 'image/png');
      const html = (await exportVia(page, server.workspace, 'Report…', 'lily-report.html')).toString('utf8');
      expect(html).toContain('<svg');
      reportPath = path.join(server.workspace, 'lily-report.html');
    });

    await test.step('the report renders offline in Chromium', async () => {
      const ctx = await browser.newContext({ offline: true, viewport: { width: 1200, height: 900 } });
      const requests: string[] = [];
      await ctx.route('**/*', (route) => {
        const url = route.request().url();
        if (url.startsWith('file:')) return route.continue();
        requests.push(url);
        return route.abort();
      });
      const report = await ctx.newPage();
      await report.goto(`file://${reportPath}`);
      await expect(report.getByRole('heading', { level: 1 })).toContainText('Once upon a time');
      await expect(report.locator('.prompt')).toHaveText(PROMPT);
      const fig = report.locator('figure svg');
      await expect(fig).toBeVisible();
      await expect(fig).toContainText(LABEL);
      expect((await fig.boundingBox())!.height).toBeGreaterThan(100);
      await expect(report.getByRole('table').filter({ hasText: 'Intervention' })).toContainText(`ablate ${LABEL}`);
      await expect(report.getByRole('table').filter({ hasText: 'Intervention' })).toContainText(/PASS|FAIL/);
      expect(requests, 'the report fetched nothing').toEqual([]);
      await snap(report, testInfo, 'report-offline');
      await ctx.close();
    });

    await test.step('patch and steer from the causal test panel', async () => {
      await causal.getByRole('combobox', { name: 'Operation' }).selectOption('patch');
      await causal.getByRole('textbox', { name: 'Patch from prompt' }).fill('Once upon a time, there was a little boy named Tim');
      await causal.getByRole('button', { name: 'Run', exact: true }).click();
      await expect(causal.getByTestId('intervention-result')).toContainText('patch frozen', { timeout: 30_000 });
      await causal.getByRole('combobox', { name: 'Operation' }).selectOption('steer');
      await causal.getByRole('spinbutton', { name: 'Strength' }).fill('-20');
      await causal.getByRole('spinbutton', { name: 'Generate tokens' }).fill('4');
      await causal.getByRole('button', { name: 'Run', exact: true }).click();
      await expect(causal.getByTestId('intervention-result')).toContainText('steer frozen', { timeout: 30_000 });
      await expect(causal.getByTestId('generated')).toContainText('Generated:');
      await snap(page, testInfo, 'steered');
    });

    await test.step('the views are saved in the file: save, reload, open, present again', async () => {
      await page.getByRole('region', { name: 'Explanation' }).getByRole('button', { name: 'Save', exact: true }).click();
      const save = page.getByRole('dialog', { name: 'Save explanation' });
      await save.getByRole('textbox', { name: 'File name' }).fill('lily-views');
      await save.getByRole('button', { name: 'Save', exact: true }).click();
      await expect(save).toBeHidden({ timeout: 30_000 });
      await page.reload();
      await expect(page.getByRole('banner')).toContainText('stories260K');
      await page.getByRole('region', { name: 'Explanation' }).getByRole('button', { name: 'Open…' }).click();
      const open = page.getByRole('dialog', { name: 'Open explanation' });
      await open.getByRole('button', { name: /lily-views\.circuit\.json/ }).click();
      await expect(open).toBeHidden({ timeout: 30_000 });
      const list = views.getByRole('list', { name: 'Saved views' });
      await expect(list.getByRole('textbox', { name: 'View name' })).toHaveCount(2);
      await expect(list.getByRole('textbox', { name: 'View name' }).nth(1)).toHaveValue('The “say Lily” supernode');
      await expect(list.locator('li').nth(1).getByRole('combobox', { name: 'Test shown with the view' })).not.toHaveValue('');
      await page.keyboard.press('p');
      await expect(page.getByTestId('presentation-view-name')).toHaveText('Whole graph');
      await page.keyboard.press('End');
      await expect(page.getByTestId('presented-test')).toContainText(`ablate ${LABEL}`);
      await expect(page.getByTestId('subgraph-figure').locator('svg')).toContainText(LABEL, { timeout: 30_000 });
      await snap(page, testInfo, 'reopened-presented');
      await page.keyboard.press('Escape');
    });

    expect(pageErrors, 'uncaught errors in the page').toEqual([]);
  });
});
