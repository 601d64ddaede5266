/**
 * The explanation journey in the browser against the real server and engine (embedded stories260K model and
 * dictionary): trace, pin three nodes (Ctrl-click and the Pin button), group two into a labelled supernode
 * (with undo/redo), ablate it and see the target probability change, save that as a causal test, save the
 * explanation file, reload the page, open the file: pins, the supernode label and the test are restored and the
 * test re-runs with the same verdict. A screenshot is attached at every step.
 */
import { collectPageErrors, expect, nodeCount, selectById, snap, test, visibleIds } from './fixtures';

const PROMPT = 'Once upon a time, there was a little girl named Lily';

const isFeature = (id: string, nLayers: number) => {
  const m = /^(\d+)_(\d+)_(\d+)$/.exec(id);
  return m !== null && Number(m[1]) < nLayers;
};

test.describe('explain in the browser', () => {
  test('pin → supernode → ablate → test → save → reload → open', async ({ page, server }, testInfo) => {
    test.setTimeout(150_000);
    const pageErrors = collectPageErrors(page);
    const subgraph = page.getByRole('region', { name: 'Subgraph' });
    const causal = page.getByRole('region', { name: 'Causal test' });
    const explanation = page.getByRole('region', { name: 'Explanation' });

    await page.goto(server.url);
    await expect(page.getByRole('banner')).toContainText('stories260K');

    let features: string[] = [];
    await test.step('trace', async () => {
      await page.getByRole('textbox', { name: 'Prompt' }).fill(PROMPT);
      await page.getByRole('button', { name: 'Trace', exact: true }).click();
      await expect.poll(() => nodeCount(page), { timeout: 60_000 }).toBeGreaterThan(0);
      const ids = await visibleIds(page);
      // Logit ids carry nLayers + 1 as their layer (token ids start with "E").
      const logitLayer = Math.max(...ids.map((id) => Number(id.split('_')[0])).filter(Number.isFinite));
      // Features at the last position first (they act on the prediction directly), the most recent layers first.
      features = ids.filter((id) => isFeature(id, logitLayer - 1)).sort((a, b) => Number(b.split('_')[2]) - Number(a.split('_')[2]) || Number(b.split('_')[0]) - Number(a.split('_')[0]));
      expect(features.length).toBeGreaterThanOrEqual(3);
      await snap(page, testInfo, 'traced');
    });

    await test.step('pin three nodes (Ctrl-click one, the Pin button for two)', async () => {
      // Ctrl-click on the canvas pins (the first feature whose centre is on screen).
      const pos = await page.evaluate((id) => window.cwbDebug!.renderedPosition(id), features[0]);
      expect(pos).not.toBeNull();
      await page.keyboard.down('Control');
      await page.mouse.click(pos!.x, pos!.y);
      await page.keyboard.up('Control');
      await expect(subgraph.locator('li[data-node-id]')).toHaveCount(1);
      const pinnedByClick = await subgraph.locator('li[data-node-id]').first().getAttribute('data-node-id');
      const rest = features.filter((f) => f !== pinnedByClick);
      for (const id of rest.slice(0, 2)) {
        await selectById(page, id);
        await page.getByRole('region', { name: 'Node work' }).getByRole('button', { name: 'Pin' }).click();
      }
      await expect(subgraph.locator('li[data-node-id]')).toHaveCount(3);
      await expect(subgraph.getByRole('table', { name: 'Scores' })).toContainText('subgraph');
      await expect(explanation.getByLabel('unsaved changes')).toBeVisible();
      await snap(page, testInfo, 'pinned');
    });

    await test.step('group two into a labelled supernode (undo and redo it)', async () => {
      const boxes = subgraph.locator('li[data-node-id] input[type=checkbox]');
      await boxes.nth(1).check();
      await boxes.nth(2).check();
      await subgraph.getByRole('button', { name: 'Group' }).click();
      await expect(subgraph.locator('li[data-supernode]')).toHaveCount(1);
      await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
      await page.keyboard.press('Control+z');
      await expect(subgraph.locator('li[data-supernode]')).toHaveCount(0);
      await page.keyboard.press('Control+Shift+z');
      await expect(subgraph.locator('li[data-supernode]')).toHaveCount(1);
      await subgraph.getByRole('textbox', { name: 'Supernode label' }).fill('say Lily');
      await expect(subgraph.locator('li[data-supernode] .chip')).toHaveCount(2);
      await snap(page, testInfo, 'supernode');
    });

    let verdict = '';
    await test.step('ablate the supernode and save it as a test', async () => {
      await causal.getByRole('combobox', { name: 'Intervene on' }).selectOption({ label: 'Supernode: say Lily' });
      await causal.getByRole('combobox', { name: 'Operation' }).selectOption('ablate');
      await causal.getByRole('button', { name: 'Run', exact: true }).click();
      const result = causal.getByTestId('intervention-result');
      await expect(result).toBeVisible({ timeout: 30_000 });
      await expect(result.getByRole('img', { name: /before and after/ })).toBeVisible();
      // The top target's probability moved: its before and after bars differ.
      const widths = await result.locator('svg g[data-target]').first().locator('rect').evaluateAll((rs) => rs.map((r) => Number(r.getAttribute('width'))));
      expect(widths[0]).not.toBeCloseTo(widths[1], 3);
      await snap(page, testInfo, 'ablated');
      await causal.getByRole('textbox', { name: 'New test name' }).fill('ablate say Lily');
      await causal.getByRole('spinbutton', { name: 'Drop at least (%)' }).fill('1');
      await causal.getByRole('button', { name: 'Save as test' }).click();
      const v = causal.getByRole('list', { name: 'Tests' }).getByTestId('verdict');
      await expect(v).toHaveText(/PASS|FAIL/, { timeout: 30_000 });
      verdict = (await v.textContent())!;
      await snap(page, testInfo, 'test-saved');
    });

    await test.step('save the explanation file', async () => {
      await explanation.getByRole('button', { name: 'Save', exact: true }).click();
      const dialog = page.getByRole('dialog', { name: 'Save explanation' });
      await expect(dialog).toBeVisible();
      await dialog.getByRole('textbox', { name: 'File name' }).fill('lily');
      await snap(page, testInfo, 'save-dialog');
      await dialog.getByRole('button', { name: 'Save', exact: true }).click();
      await expect(dialog).toBeHidden({ timeout: 30_000 });
      await expect(page.getByTestId('explanation-name')).toHaveText('lily.circuit.json');
      await expect(explanation.getByLabel('unsaved changes')).toHaveCount(0);
    });

    await test.step('reload and open the file', async () => {
      await page.reload();
      await expect(page.getByRole('banner')).toContainText('stories260K');
      await expect(subgraph).toContainText('Trace or open a graph');
      await explanation.getByRole('button', { name: 'Open…' }).click();
      const dialog = page.getByRole('dialog', { name: 'Open explanation' });
      await dialog.getByRole('button', { name: /lily\.circuit\.json/ }).click();
      await expect(dialog).toBeHidden({ timeout: 30_000 });
      await expect.poll(() => nodeCount(page), { timeout: 30_000 }).toBeGreaterThan(0);
      await expect(page.getByTestId('explanation-name')).toHaveText('lily.circuit.json');
      await expect(subgraph.getByRole('textbox', { name: 'Supernode label' })).toHaveValue('say Lily');
      await expect(subgraph.locator('li[data-supernode] .chip')).toHaveCount(2);
      await expect(subgraph.locator('li[data-node-id]')).toHaveCount(1);
      const tests = causal.getByRole('list', { name: 'Tests' });
      await expect(tests.getByRole('textbox', { name: 'Test name' })).toHaveValue('ablate say Lily');
      await expect(tests.getByTestId('verdict')).toHaveText(verdict);
      await expect(tests).toContainText('(saved)');
      await snap(page, testInfo, 'reopened');
      await tests.getByRole('button', { name: 'Re-run' }).click();
      await expect(tests).not.toContainText('(saved)', { timeout: 30_000 });
      await expect(tests.getByTestId('verdict')).toHaveText(verdict);
      await expect(explanation.getByLabel('unsaved changes')).toHaveCount(0);
      await snap(page, testInfo, 'rerun');
    });

    expect(pageErrors, 'uncaught errors in the page').toEqual([]);
  });
});
