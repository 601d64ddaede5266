/**
 * End-to-end tests (e2e/README.md). `web`: the real server (`cwb serve`) driven in Debian's Chromium — never a
 * downloaded Playwright browser; a missing /usr/bin/chromium fails those tests with the install command.
 * `electron`: the desktop shell, no browser.
 */
import { defineConfig } from '@playwright/test';
import { chromiumArgs, chromiumPath } from './e2e/chromium';

export default defineConfig({
  testDir: 'e2e',
  outputDir: 'test-results',
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 60_000,
  forbidOnly: !!process.env.CI,
  reporter: [['list'], ['html', { open: 'never', outputFolder: 'playwright-report' }]],
  use: {
    screenshot: 'on',
    trace: 'retain-on-failure',
  },
  projects: [
    {
      name: 'web',
      testIgnore: ['**/e2e/electron/**'],
      use: {
        browserName: 'chromium',
        headless: true,
        viewport: { width: 1400, height: 900 },
        launchOptions: { executablePath: chromiumPath, args: chromiumArgs },
      },
    },
    {
      name: 'electron',
      testDir: 'e2e/electron',
    },
  ],
});
