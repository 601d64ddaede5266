/**
 * preload.cjs evaluated with a fake `electron` module: it exposes exactly the HostBridge as `cwbBridge`, over
 * the right channels, without handing the page ipcRenderer or the IPC event, and requires nothing else (a
 * sandboxed preload can only require 'electron').
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import type { HostBridge } from '../../shared/api';

type Listener = (event: unknown, payload: unknown) => void;

function loadPreload() {
  const exposed = new Map<string, unknown>();
  const listeners = new Map<string, Set<Listener>>();
  const sent: unknown[][] = [];
  const invoked: unknown[][] = [];
  const ipcRenderer = {
    send: (...args: unknown[]) => sent.push(args),
    invoke: (...args: unknown[]) => (invoked.push(args), Promise.resolve('/picked/file.json')),
    on: (ch: string, l: Listener) => (listeners.get(ch) ?? listeners.set(ch, new Set()).get(ch)!).add(l),
    removeListener: (ch: string, l: Listener) => listeners.get(ch)?.delete(l),
  };
  const electron = { contextBridge: { exposeInMainWorld: (key: string, api: unknown) => exposed.set(key, api) }, ipcRenderer };
  const required: string[] = [];
  const requireFake = (id: string) => {
    required.push(id);
    if (id !== 'electron') throw new Error(`preload required ${id}`);
    return electron;
  };
  const file = path.join(path.dirname(fileURLToPath(import.meta.url)), 'preload.cjs');
  const wrapper = vm.runInThisContext(`(function (require, module, exports) {${readFileSync(file, 'utf8')}\n})`, { filename: file }) as (
    r: typeof requireFake,
    m: { exports: unknown },
    e: unknown,
  ) => void;
  const mod = { exports: {} };
  wrapper(requireFake, mod, mod.exports);
  const emit = (ch: string, payload: unknown) => {
    for (const l of listeners.get(ch) ?? []) l({ sender: 'the IPC event' }, payload);
  };
  return { exposed, listeners, sent, invoked, required, emit };
}

describe('preload.cjs', () => {
  it('exposes only cwbBridge with the four HostBridge functions', () => {
    const p = loadPreload();
    expect([...p.exposed.keys()]).toEqual(['cwbBridge']);
    const bridge = p.exposed.get('cwbBridge') as Record<string, unknown>;
    expect(Object.keys(bridge).sort()).toEqual(['onMenu', 'onMessage', 'pickFile', 'send']);
    for (const v of Object.values(bridge)) expect(typeof v).toBe('function');
    expect(p.required).toEqual(['electron']);
  });

  it('sends envelopes on cwb:send and dialogs on cwb:pick-file', async () => {
    const p = loadPreload();
    const bridge = p.exposed.get('cwbBridge') as HostBridge;
    const ret = (bridge.send as (m: unknown) => unknown)({ type: 'cancel', id: 'r1' });
    expect(ret).toBeUndefined();
    expect(p.sent).toEqual([['cwb:send', { type: 'cancel', id: 'r1' }]]);
    await expect(bridge.pickFile({ mode: 'open', title: 'Open' })).resolves.toBe('/picked/file.json');
    expect(p.invoked).toEqual([['cwb:pick-file', { mode: 'open', title: 'Open' }]]);
  });

  it('delivers engine messages without the event object, and unsubscribes', () => {
    const p = loadPreload();
    const bridge = p.exposed.get('cwbBridge') as HostBridge;
    const got: unknown[][] = [];
    const off = bridge.onMessage((...args: unknown[]) => got.push(args));
    const msg = { type: 'result', id: 'r1', result: { ok: true } };
    p.emit('cwb:message', msg);
    p.emit('cwb:message', { type: 'bogus', id: 'r1' });
    p.emit('cwb:message', null);
    expect(got).toEqual([[msg]]);
    off();
    off(); // idempotent
    p.emit('cwb:message', msg);
    expect(got).toHaveLength(1);
    expect(p.listeners.get('cwb:message')?.size).toBe(0);
  });

  it('delivers known menu actions only', () => {
    const p = loadPreload();
    const bridge = p.exposed.get('cwbBridge') as HostBridge;
    const got: unknown[] = [];
    const off = bridge.onMenu((a) => got.push(a));
    for (const a of ['open', 'save', 'save-as', 'export', 'presentation', 'export-svg', 'export-png', 'export-report', 'quit', 42]) p.emit('cwb:menu', a);
    expect(got).toEqual(['open', 'save', 'save-as', 'export', 'presentation', 'export-svg', 'export-png', 'export-report']);
    off();
    expect(p.listeners.get('cwb:menu')?.size).toBe(0);
    expect(() => bridge.onMenu('not a function' as unknown as () => void)).toThrow(TypeError);
  });
});
