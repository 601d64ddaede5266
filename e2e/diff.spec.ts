/**
 * The Diff view in the browser against the real server and engine: a workspace holding a rank-one edited copy of
 * the embedded model (layer 3 MLP, " Lily" → " Tim") and a prompt suite; open "Diff models…", choose the edited
 * model and the suite, run: the ranked components show blocks.3.mlp first with a rank-1 change, patching puts
 * blocks.3.hook_mlp_out first, the most affected prompts are naming prompts that flipped, and the graph pair of
 * the top prompt is drawn with gained/lost nodes coloured, and the explanation saved on v1 that depends on
 * " Lily" is reported broken; clicking another prompt traces its pair.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, snap, test } from './fixtures';

test.describe('model diff in the browser', () => {
  test('edited model: ranked components, patching, flipped prompts, graph pair', async ({ page, startServer }, testInfo) => {
    test.setTimeout(150_000);
    const workspace = mkdtempSync(path.join(os.tmpdir(), 'cwb-e2e-diff-'));
    const setup = spawnSync(process.execPath, ['--import', 'tsx', path.join(path.dirname(fileURLToPath(import.meta.url)), 'diffSetup.ts'), workspace], { encoding: 'utf8', timeout: 60_000 });
    expect(setup.status, setup.stderr).toBe(0);
    const server = await startServer({ workspace });
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));

    await page.goto(server.url);
    await expect(page.getByRole('banner')).toContainText('stories260K');
    await page.getByRole('button', { name: 'Diff models…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Model diff' });
    await expect(dialog.getByLabel('Base (A)')).toHaveValue(/stories260K\.bin$/);
    await dialog.getByLabel('Candidate (B)').fill(path.join(workspace, 'edited.bin'));
    await dialog.getByLabel('Prompt suite').fill(path.join(workspace, 'suite.txt'));
    await dialog.getByLabel('Explanations').fill(path.join(workspace, 'expl'));
    await dialog.getByRole('button', { name: 'Run diff' }).click();

    const components = dialog.getByTestId('diff-components');
    await expect(components).toBeVisible({ timeout: 90_000 });
    const firstComponent = components.locator('tbody tr').first();
    await expect(firstComponent).toContainText('blocks.3.mlp');
    await expect(firstComponent).toContainText('W_out rank 1');
    await expect(components.locator('tbody tr')).toHaveCount(1);
    await expect(components.locator('tfoot')).toContainText('unchanged');
    await expect(dialog.getByTestId('diff-patching').locator('tbody tr').first()).toContainText('blocks.3.hook_mlp_out');
    await expect(dialog.getByTestId('diff-patching').locator('tbody tr').first()).toContainText('100.0%');
    await expect(dialog.getByRole('region', { name: 'Features and explanations' })).toContainText('BROKEN — lily.circuit.json');
    const topPrompt = dialog.getByTestId('diff-prompts').locator('tbody tr').first();
    await expect(topPrompt).toContainText('named');
    await expect(topPrompt).toContainText('" Lily" → " Tim"');

    // The report's graph pair for the top prompt: both graphs drawn, differences coloured.
    const pair = dialog.getByLabel('Graph pair');
    await expect(pair.getByRole('img', { name: 'graph A' })).toBeVisible();
    await expect(pair.getByRole('img', { name: 'graph B' })).toBeVisible();
    expect(await pair.locator('circle.diff-gained').count()).toBeGreaterThan(0);
    expect(await pair.locator('circle.diff-lost').count()).toBeGreaterThan(0);
    expect(await pair.locator('circle.diff-common').count()).toBeGreaterThan(0);
    await snap(page, testInfo, 'diff-report');

    // Another prompt (not among the report's graph pairs): its pair is traced on demand.
    const fourth = dialog.getByTestId('diff-prompts').locator('tbody tr').nth(3);
    const text = (await fourth.locator('td').nth(1).textContent()) ?? '';
    await fourth.click();
    await expect(pair.locator('code').first()).toHaveText(text, { timeout: 60_000 });
    await expect(pair.getByRole('img', { name: 'graph B' })).toBeVisible();
    await snap(page, testInfo, 'diff-other-prompt');
    expect(pageErrors).toEqual([]);
  });
});
