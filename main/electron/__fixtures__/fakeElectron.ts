/**
 * A recording stand-in for the `electron` module, for tests that load app.ts on plain Node (app.test.ts,
 * appNoRenderer.test.ts): `vi.mock('electron', () => import('./__fixtures__/fakeElectron'))`. `__fake` gives the
 * test the recorded calls, the registered handlers and a way to fire `ready`.
 */
import { EventEmitter } from 'node:events';
import { pathToFileURL as toUrl } from 'node:url';

const calls: { name: string; args: unknown[] }[] = [];
const record =
  <R,>(name: string, ret?: (...args: unknown[]) => R) =>
  (...args: unknown[]) => {
    calls.push({ name, args });
    return ret?.(...args);
  };
let resolveReady: () => void = () => {};
const ready = new Promise<void>((r) => (resolveReady = r));
const paths: Record<string, string> = { userData: '/nonexistent' };
const app = Object.assign(new EventEmitter(), {
  isPackaged: false,
  isReady: () => false,
  enableSandbox: record('app.enableSandbox'),
  setPath: record('app.setPath', (k, v) => (paths[k as string] = v as string)),
  getPath: (k: string) => paths[k],
  requestSingleInstanceLock: record('app.requestSingleInstanceLock', () => true),
  whenReady: () => ready,
  quit: record('app.quit'),
  getVersion: () => '0.1.0',
});
class WebContents extends EventEmitter {
  id = 1;
  sent: [string, unknown][] = [];
  mainFrame = { frameToken: 'top', url: 'about:blank', parent: null };
  windowOpenHandler: ((d: { url: string }) => unknown) | null = null;
  isDestroyed = () => false;
  send(ch: string, payload: unknown) {
    this.sent.push([ch, payload]);
  }
  setWindowOpenHandler(h: (d: { url: string }) => unknown) {
    this.windowOpenHandler = h;
  }
}
class BrowserWindow extends EventEmitter {
  static created: BrowserWindow[] = [];
  webContents = new WebContents();
  loaded: string | null = null;
  constructor(readonly options: Record<string, unknown>) {
    super();
    BrowserWindow.created.push(this);
    app.emit('web-contents-created', {}, this.webContents);
  }
  loadFile(p: string) {
    this.loaded = p;
    this.webContents.mainFrame.url = toUrl(p).href;
    return Promise.resolve();
  }
  isDestroyed = () => false;
  isMinimized = () => false;
  isMaximized = () => false;
  getNormalBounds = () => ({ x: 40, y: 30, width: 1100, height: 750 });
  maximize = record('win.maximize');
  show = record('win.show');
  restore = record('win.restore');
  focus = record('win.focus');
}
const ipc = { on: new Map<string, (...a: unknown[]) => void>(), handle: new Map<string, (...a: unknown[]) => unknown>() };
const ses = {
  headers: null as null | ((d: unknown, cb: (r: unknown) => void) => void),
  beforeRequest: null as null | ((d: unknown, cb: (r: unknown) => void) => void),
  permissionRequest: null as null | ((...a: unknown[]) => void),
  permissionCheck: null as null | ((...a: unknown[]) => boolean),
};
const workArea = { x: 0, y: 0, width: 1920, height: 1040 };
export const __fake = { calls, resolveReady, ipc, ses, BrowserWindow };
export { app, BrowserWindow };
export const ipcMain = {
  on: (ch: string, l: (...a: unknown[]) => void) => ipc.on.set(ch, l),
  handle: (ch: string, h: (...a: unknown[]) => unknown) => ipc.handle.set(ch, h),
};
export const dialog = {
  showErrorBox: record('dialog.showErrorBox'),
  showMessageBox: record('dialog.showMessageBox', async () => ({ response: 0 })),
  showOpenDialog: record('dialog.showOpenDialog', async () => ({ canceled: false, filePaths: ['/data/graph.json'] })),
  showSaveDialog: record('dialog.showSaveDialog', async () => ({ canceled: true, filePath: '' })),
};
export const Menu = { buildFromTemplate: (t: unknown) => ({ template: t }), setApplicationMenu: record('Menu.setApplicationMenu') };
export const screen = { getAllDisplays: () => [{ workArea }], getPrimaryDisplay: () => ({ workArea }) };
export const session = {
  defaultSession: {
    webRequest: {
      onHeadersReceived: (l: typeof ses.headers) => (ses.headers = l),
      onBeforeRequest: (l: typeof ses.beforeRequest) => (ses.beforeRequest = l),
    },
    setPermissionRequestHandler: (h: typeof ses.permissionRequest) => (ses.permissionRequest = h),
    setPermissionCheckHandler: (h: typeof ses.permissionCheck) => (ses.permissionCheck = h),
  },
};
export const shell = { openExternal: record('shell.openExternal', async () => {}) };
