// Preload of the app window (sandboxed: CommonJS, and only 'electron' can be required). Exposes exactly the
// HostBridge of shared/api.ts as `window.cwbBridge` through contextBridge: four functions over fixed channels.
// The page never gets ipcRenderer, the IPC event object or any Node API. The main process validates every
// message again (sender frame, envelope schema, dialog options); the checks here only keep junk away from the
// page's listeners.
'use strict';

const { contextBridge, ipcRenderer } = require('electron');

const MENU_ACTIONS = new Set(['open', 'save', 'save-as', 'export', 'presentation', 'export-svg', 'export-png', 'export-report']);
const ENGINE_TYPES = new Set(['progress', 'result', 'error']);

function subscribe(channel, listener, accept) {
  if (typeof listener !== 'function') throw new TypeError('cwbBridge: listener must be a function');
  const wrapped = (_event, payload) => {
    if (accept(payload)) listener(payload);
  };
  ipcRenderer.on(channel, wrapped);
  let active = true;
  return () => {
    if (!active) return;
    active = false;
    ipcRenderer.removeListener(channel, wrapped);
  };
}

const bridge = {
  send(msg) {
    ipcRenderer.send('cwb:send', msg);
  },
  onMessage(listener) {
    return subscribe('cwb:message', listener, (m) => m !== null && typeof m === 'object' && ENGINE_TYPES.has(m.type) && typeof m.id === 'string');
  },
  onMenu(listener) {
    return subscribe('cwb:menu', listener, (a) => MENU_ACTIONS.has(a));
  },
  pickFile(opts) {
    return ipcRenderer.invoke('cwb:pick-file', opts);
  },
};

contextBridge.exposeInMainWorld('cwbBridge', bridge);
