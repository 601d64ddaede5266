// Electron shell (minimal for now): starts the engine's local server in a child Node process and shows it in a
// locked-down window. The typed IPC transport replaces the child server in the app issue.
import { app, BrowserWindow, shell } from 'electron';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
let engine = null;

function startEngine() {
  return new Promise((resolve, reject) => {
    engine = spawn(process.execPath, [path.join(root, 'bin', 'cwb.js'), 'serve', '--port', '0'], {
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    engine.stdout.setEncoding('utf8');
    engine.stdout.on('data', (chunk) => {
      const m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+)/.exec(chunk);
      if (m) resolve(m[1]);
    });
    engine.once('exit', (code) => reject(new Error(`engine exited with code ${code}`)));
  });
}

async function createWindow() {
  const url = await startEngine();
  const origin = new URL(url).origin;
  const win = new BrowserWindow({
    width: 1280,
    height: 860,
    title: 'Circuit Workbench',
    webPreferences: { contextIsolation: true, sandbox: true, nodeIntegration: false },
  });
  // Navigation away from the engine's origin and new windows are refused; links open in the system browser.
  win.webContents.on('will-navigate', (e, target) => {
    if (new URL(target).origin !== origin) e.preventDefault();
  });
  win.webContents.setWindowOpenHandler(({ url: target }) => {
    if (/^https?:/.test(target)) void shell.openExternal(target);
    return { action: 'deny' };
  });
  await win.loadURL(url);
}

app.whenReady().then(createWindow).catch((e) => {
  console.error(`Circuit Workbench could not start: ${e.message}`);
  app.quit();
});
app.on('window-all-closed', () => app.quit());
app.on('quit', () => engine?.kill());
