/**
 * Debian's Chromium for every browser test and the UI benchmark: never a downloaded Playwright browser.
 * CWB_CHROMIUM overrides the path.
 */
import { accessSync, constants } from 'node:fs';

export const chromiumPath = process.env.CWB_CHROMIUM || '/usr/bin/chromium';

export const chromiumArgs = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** Why the browser cannot be launched, or null when the executable is there. */
export function chromiumProblem(): string | null {
  try {
    accessSync(chromiumPath, constants.X_OK);
    return null;
  } catch {
    return (
      `Chromium not found at ${chromiumPath}. The browser tests use Debian's Chromium, never a downloaded browser: ` +
      `install it with \`sudo apt-get install -y chromium\` (or set CWB_CHROMIUM=/path/to/chromium).`
    );
  }
}

export function assertChromium(): void {
  const why = chromiumProblem();
  if (why) throw new Error(why);
}
