/**
 * The main process's engine path without Electron: a renderer payload is validated, routed (ids renamed), sent
 * to the real engine host (main/api/host.ts) forked exactly as app.ts forks it, and the answer comes back with
 * the renderer's id. Only the window and ipcMain are missing.
 */
import { describe, expect, it } from 'vitest';
import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EngineMessage, SessionInfo } from '../../shared/api';
import { EngineSupervisor, engineForkSpec, tsxLoaderUrl } from './engineProcess';
import { EngineRouter, isEngineMessage, parseClientPayload } from './envelope';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('renderer → main → engine host → renderer', () => {
  it('answers session.info and a bad request with the renderer ids', async () => {
    const router = new EngineRouter();
    const toRenderer: EngineMessage[] = [];
    const spec = engineForkSpec({ root, tsxLoader: tsxLoaderUrl(), env: process.env });
    const sup = new EngineSupervisor({
      spawn: () => fork(spec.modulePath, [...spec.args], { ...spec.options, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }),
      onMessage: (m) => {
        if (!isEngineMessage(m)) throw new Error(`malformed engine message ${JSON.stringify(m)}`);
        const out = router.fromEngine(m);
        if (out) toRenderer.push(out);
      },
      onCrash: (c) => {
        throw new Error(`engine crashed: ${JSON.stringify(c)}`);
      },
    });
    const fromRenderer = (payload: unknown) => {
      const parsed = parseClientPayload(payload);
      if (!parsed.ok) throw new Error(parsed.reason);
      const route = router.toEngine(parsed.msg);
      if (route.forward) expect(sup.send(route.forward)).toBe(true);
      return route.forward;
    };
    const answer = async (id: string) => {
      const deadline = Date.now() + 50_000;
      for (;;) {
        const m = toRenderer.find((x) => x.id === id && x.type !== 'progress');
        if (m) return m;
        if (Date.now() > deadline) throw new Error(`no answer for ${id}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    try {
      sup.start();
      expect(fromRenderer({ type: 'call', id: 'r1', method: 'session.info', params: {} })?.id).toBe('e1');
      fromRenderer({ type: 'call', id: 'r2', method: 'graph.prune', params: { graphId: 'g1' } });
      const info = await answer('r1');
      expect(info.type, JSON.stringify(info)).toBe('result');
      const s = (info as { result: SessionInfo }).result;
      expect(s.workspace).toBeNull(); // the desktop app is not confined to a workspace folder
      expect(s.model.name).toBe('stories260K');
      expect(await answer('r2')).toMatchObject({ type: 'error', id: 'r2', error: { code: 'bad-request' } });
      expect(router.pending).toBe(0);
    } finally {
      sup.stop();
    }
  });
});
