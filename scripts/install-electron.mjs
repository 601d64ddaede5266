// Why: Electron's own install script downloads a binary. On machines without internet (CI here) that fails,
// so npm is told not to run it (package.json "allowScripts") and we run it ourselves, tolerating failure:
// a normal machine gets Electron for `npm start`, an offline one still gets a working `npm ci`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const script = 'node_modules/electron/install.js';
if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD === '1' || !existsSync(script)) process.exit(0);
const r = spawnSync(process.execPath, [script], { stdio: 'inherit', timeout: 120_000 });
if (r.status !== 0) {
  console.warn('[circuit-workbench] Electron binary not installed (offline?). `npm run web` and the CLI still work; `npm start` needs it.');
}
process.exit(0);
