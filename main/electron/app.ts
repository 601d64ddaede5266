/**
 * Circuit Workbench desktop shell: the Electron main process (loaded by main.mjs through tsx).
 *
 * - One instance per user data folder; one locked-down window (context isolation, sandbox, no Node in the
 *   page, web security, CSP, no navigation away from the app's file, no new windows, no permissions) showing
 *   renderer/dist/index.html. The page reaches the main process only through preload.cjs (`window.cwbBridge`).
 * - The engine runs in a child process (engineProcess.ts) so this process never blocks on model work. Every
 *   envelope from the page is checked (sender = the window's top frame on the app's file, shape =
 *   `clientMessageSchema`) before it is forwarded; ids are renamed per page load (envelope.ts).
 * - Application menu (menu.ts), native file dialogs (pickFile.ts), remembered window placement
 *   (windowState.ts). Those modules and security.ts hold the logic and are unit-tested without Electron.
 */
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  screen,
  session,
  shell,
  type IpcMainEvent,
  type IpcMainInvokeEvent,
  type Session,
  type WebContents,
} from 'electron';
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { EngineMessage, MenuAction } from '../../shared/api';
import { EngineSupervisor, engineForkSpec, tsxLoaderUrl, type CrashInfo } from './engineProcess';
import { EngineRouter, errorMessage, isEngineMessage, parseClientPayload } from './envelope';
import { appMenuDescription, buildMenuTemplate, shortcutList, type MenuCommand } from './menu';
import { dialogRequest, dialogResultPath, parsePickFileOptions } from './pickFile';
import { externalUrl, isAppUrl, isNetworkUrl, isTrustedSender, permissionAllowed, withCsp, type TrustedWindow } from './security';
import { MIN_SIZE, placeWindow, readWindowState, writeWindowState } from './windowState';

const APP_NAME = 'Circuit Workbench';
/** IPC channels (the preload uses the same names). */
const CH_SEND = 'cwb:send';
const CH_MESSAGE = 'cwb:message';
const CH_MENU = 'cwb:menu';
const CH_PICK_FILE = 'cwb:pick-file';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const indexHtml = path.join(root, 'renderer', 'dist', 'index.html');
const appUrl = pathToFileURL(indexHtml).href;
const preloadPath = path.join(root, 'main', 'electron', 'preload.cjs');

const log = (line: string) => console.warn(`[circuit-workbench] ${line}`);

// A separate profile (tests, a second configuration): must be set before the single-instance lock, which is
// held per user data folder.
if (process.env.CWB_USER_DATA_DIR) app.setPath('userData', path.resolve(process.env.CWB_USER_DATA_DIR));
// Sandbox every renderer, not only the ones we create (only possible before `ready`).
if (!app.isReady()) app.enableSandbox();

let mainWindow: BrowserWindow | null = null;
const router = new EngineRouter();

function liveWindow(): BrowserWindow | null {
  return mainWindow && !mainWindow.isDestroyed() ? mainWindow : null;
}

function toRenderer(channel: string, payload: EngineMessage | MenuAction): void {
  const w = liveWindow();
  if (w && !w.webContents.isDestroyed()) w.webContents.send(channel, payload);
}

// ------------------------------------------------------------------------------------------------ engine

const engine = new EngineSupervisor({
  spawn: () => {
    const spec = engineForkSpec({ root, tsxLoader: tsxLoaderUrl(), env: process.env, dataDir: app.getPath('userData') });
    return fork(spec.modulePath, [...spec.args], spec.options);
  },
  onMessage: (msg) => {
    if (!isEngineMessage(msg)) {
      log('malformed message from the engine dropped');
      return;
    }
    const out = router.fromEngine(msg);
    if (out) toRenderer(CH_MESSAGE, out);
  },
  onCrash: (info) => engineCrashed(info),
  log,
});

function engineCrashed({ code, signal, error, restartInMs }: CrashInfo): void {
  const why = error ? `could not start (${error})` : `exited (${signal ?? `code ${code}`})`;
  log(`engine ${why}; ${restartInMs === null ? 'not restarting' : `restarting in ${restartInMs} ms`}`);
  const message =
    restartInMs === null
      ? 'The engine stopped repeatedly and was not restarted; restart it from the dialog or restart Circuit Workbench.'
      : 'The engine stopped unexpectedly and is restarting; open or trace the graph again.';
  for (const m of router.engineGone({ code: 'internal', message })) toRenderer(CH_MESSAGE, m);
  if (restartInMs !== null) return;
  const w = liveWindow();
  const opts = {
    type: 'error' as const,
    title: APP_NAME,
    message: 'The engine keeps stopping.',
    detail: `The engine process ${why}. Its output in the terminal that started the app may say why.`,
    buttons: ['Restart Engine', 'Quit'],
    defaultId: 0,
    cancelId: 1,
  };
  void (w ? dialog.showMessageBox(w, opts) : dialog.showMessageBox(opts)).then((r) => (r.response === 0 ? engine.restart() : app.quit()));
}

/** The page (re)loaded or its renderer died: drop its calls in flight and cancel them in the engine. */
function rendererReset(): void {
  for (const cancel of router.rendererReset()) engine.send(cancel);
}

// ------------------------------------------------------------------------------------------------ IPC

function trustedWindow(): TrustedWindow | null {
  const w = liveWindow();
  if (!w || w.webContents.isDestroyed()) return null;
  return { webContentsId: w.webContents.id, mainFrameToken: w.webContents.mainFrame.frameToken, appUrl };
}

function fromApp(event: IpcMainEvent | IpcMainInvokeEvent): boolean {
  return isTrustedSender({ senderId: event.sender.id, frame: event.senderFrame }, trustedWindow());
}

function registerIpc(): void {
  ipcMain.on(CH_SEND, (event, payload: unknown) => {
    if (!fromApp(event)) {
      log(`${CH_SEND}: message from an untrusted frame dropped`);
      return;
    }
    const parsed = parseClientPayload(payload);
    if (!parsed.ok) {
      log(`${CH_SEND}: invalid message dropped (${parsed.reason})`);
      return;
    }
    const route = router.toEngine(parsed.msg);
    if (route.reply) toRenderer(CH_MESSAGE, route.reply);
    const fwd = route.forward;
    if (fwd && !engine.send(fwd) && fwd.type === 'call') {
      const failed = router.fromEngine(
        errorMessage(fwd.id, { code: 'internal', message: 'The engine is not running (it is restarting after a failure); try again in a moment.' }),
      );
      if (failed) toRenderer(CH_MESSAGE, failed);
    }
  });

  ipcMain.handle(CH_PICK_FILE, async (event, options: unknown) => {
    if (!fromApp(event)) throw new Error('pickFile refused: the request did not come from the app window');
    const parsed = parsePickFileOptions(options);
    if (!parsed.ok) throw new Error(`pickFile: invalid options (${parsed.reason})`);
    const req = dialogRequest(parsed.options);
    const w = liveWindow();
    if (req.kind === 'open') return dialogResultPath(await (w ? dialog.showOpenDialog(w, req.options) : dialog.showOpenDialog(req.options)));
    return dialogResultPath(await (w ? dialog.showSaveDialog(w, req.options) : dialog.showSaveDialog(req.options)));
  });
}

// ------------------------------------------------------------------------------------------------ menu

function runCommand(command: MenuCommand): void {
  const w = liveWindow();
  const show = (message: string, detail: string) => {
    const opts = { type: 'info' as const, title: APP_NAME, message, detail, buttons: ['OK'] };
    void (w ? dialog.showMessageBox(w, opts) : dialog.showMessageBox(opts));
  };
  if (command === 'about') {
    const v = process.versions;
    show(APP_NAME, `Version ${app.getVersion()}\nLocal attribution-graph workbench for open-weight language models.\n\nElectron ${v.electron} · Chromium ${v.chrome} · Node ${v.node}`);
  } else {
    const list = shortcutList(appMenuDescription(menuContext()), process.platform);
    show('Keyboard Shortcuts', list.map((s) => `${s.keys}\t${s.label}`).join('\n'));
  }
}

function menuContext() {
  return { platform: process.platform, isPackaged: app.isPackaged, appName: APP_NAME };
}

function installMenu(): void {
  const template = buildMenuTemplate(appMenuDescription(menuContext()), {
    action: (action) => toRenderer(CH_MENU, action),
    command: runCommand,
  });
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}

// ------------------------------------------------------------------------------------------------ security

function hardenSession(ses: Session): void {
  // Local only: nothing the page (or a bug in it) asks for goes to the network.
  ses.webRequest.onBeforeRequest((details, callback) => {
    const cancel = isNetworkUrl(details.url);
    if (cancel) log(`network request blocked: ${details.url.slice(0, 200)}`);
    callback({ cancel });
  });
  // Defence in depth beside the page's CSP meta tag (see security.ts); only our own file:// documents get it.
  ses.webRequest.onHeadersReceived((details, callback) =>
    callback(details.url.startsWith('file:') ? { responseHeaders: withCsp(details.responseHeaders) } : {}),
  );
  ses.setPermissionRequestHandler((_wc, permission, callback, details) => callback(permissionAllowed(permission, details.requestingUrl, appUrl)));
  ses.setPermissionCheckHandler((_wc, permission, _origin, details) => permissionAllowed(permission, details.requestingUrl, appUrl));
}

function openExternally(url: string): void {
  const ext = externalUrl(url);
  if (ext) void shell.openExternal(ext);
}

/** Applied to every WebContents the app ever gets (the window, devtools excluded by Electron). */
function hardenContents(contents: WebContents): void {
  contents.setWindowOpenHandler(({ url }) => {
    openExternally(url);
    return { action: 'deny' };
  });
  contents.on('will-navigate', (event) => {
    if (isAppUrl(event.url, appUrl)) return;
    event.preventDefault();
    openExternally(event.url);
  });
  contents.on('will-frame-navigate', (event) => {
    if (!event.isMainFrame && !isAppUrl(event.url, appUrl)) event.preventDefault();
  });
  contents.on('will-redirect', (event) => {
    if (!isAppUrl(event.url, appUrl)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

// ------------------------------------------------------------------------------------------------ window

function createWindow(): BrowserWindow {
  const userData = app.getPath('userData');
  const placement = placeWindow(
    readWindowState(userData),
    screen.getAllDisplays().map((d) => d.workArea),
    screen.getPrimaryDisplay().workArea,
  );
  const win = new BrowserWindow({
    ...(placement.x !== undefined && placement.y !== undefined ? { x: placement.x, y: placement.y } : {}),
    width: placement.width,
    height: placement.height,
    minWidth: MIN_SIZE.width,
    minHeight: MIN_SIZE.height,
    title: APP_NAME,
    show: false,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
    },
  });
  mainWindow = win;
  if (placement.maximized) win.maximize();
  win.once('ready-to-show', () => win.show());

  win.on('close', () => {
    try {
      writeWindowState(userData, { ...win.getNormalBounds(), maximized: win.isMaximized() });
    } catch (e) {
      log(`could not save the window state: ${e instanceof Error ? e.message : String(e)}`);
    }
  });
  win.on('closed', () => {
    if (mainWindow === win) mainWindow = null;
  });

  const wc = win.webContents;
  wc.on('did-start-navigation', (event) => {
    if (event.isMainFrame && !event.isSameDocument) rendererReset();
  });
  wc.on('render-process-gone', (_event, details) => {
    rendererReset();
    if (details.reason === 'clean-exit') return;
    log(`window renderer gone (${details.reason}, exit code ${details.exitCode})`);
    const opts = {
      type: 'error' as const,
      title: APP_NAME,
      message: 'The window stopped working.',
      detail: `Reason: ${details.reason}. Reloading starts the page again; the engine keeps its state.`,
      buttons: ['Reload', 'Quit'],
      defaultId: 0,
      cancelId: 1,
    };
    void dialog.showMessageBox(win, opts).then((r) => {
      if (r.response === 0 && !win.isDestroyed()) void win.loadFile(indexHtml);
      else app.quit();
    });
  });

  win.loadFile(indexHtml).catch((e: unknown) => {
    dialog.showErrorBox(APP_NAME, `Could not load the user interface (${indexHtml}): ${e instanceof Error ? e.message : String(e)}`);
  });
  return win;
}

// ------------------------------------------------------------------------------------------------ start

async function start(): Promise<void> {
  await app.whenReady();
  if (!existsSync(indexHtml)) {
    dialog.showErrorBox(
      APP_NAME,
      `The user interface has not been built: ${indexHtml} is missing.\n\nRun "npm run build:renderer" (npm start does it), then start the app again.`,
    );
    app.quit();
    return;
  }
  hardenSession(session.defaultSession);
  installMenu();
  registerIpc();
  engine.start();
  createWindow();
}

if (!app.requestSingleInstanceLock()) {
  // Another instance owns this profile: it gets our 'second-instance' event and comes to the front.
  app.quit();
} else {
  app.on('second-instance', () => {
    const w = liveWindow();
    if (!w) return;
    if (w.isMinimized()) w.restore();
    w.focus();
  });
  app.on('web-contents-created', (_event, contents) => hardenContents(contents));
  app.on('window-all-closed', () => app.quit());
  app.on('will-quit', () => engine.stop());
  start().catch((e: unknown) => {
    dialog.showErrorBox(APP_NAME, `Circuit Workbench could not start: ${e instanceof Error ? e.message : String(e)}`);
    app.quit();
  });
}
