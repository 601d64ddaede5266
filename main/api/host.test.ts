/** The engine host as the Electron shell runs it: forked with tsx, spoken to over Node IPC. */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { EngineMessage, SessionInfo } from '../../shared/api';
import { packageRoot } from '../paths';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'cwb-host-'));
let child: ChildProcess | null = null;
afterAll(() => {
  child?.kill();
  rmSync(tmp, { recursive: true, force: true });
});

describe('engine host (child process)', () => {
  it('answers session.info and bad requests over IPC', async () => {
    child = fork('main/api/host.ts', ['--workspace', tmp], { cwd: packageRoot, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const waiting = new Map<string, (m: EngineMessage) => void>();
    child.on('message', (m: EngineMessage) => {
      if (m.type === 'progress') return;
      waiting.get(m.id)?.(m);
    });
    const exited = new Promise<never>((_, reject) => child!.on('exit', (code) => reject(new Error(`host exited with ${code}: ${stderr}`))));
    const call = (id: string, method: string, params: unknown): Promise<EngineMessage> => {
      const answer = new Promise<EngineMessage>((resolve) => waiting.set(id, resolve));
      child!.send({ type: 'call', id, method, params });
      return Promise.race([exited, answer]);
    };
    // Sent right away: the host queues calls while the model loads.
    const info = await call('a', 'session.info', {});
    expect(info.type, JSON.stringify(info)).toBe('result');
    const r = (info as { result: SessionInfo }).result;
    expect(r.workspace).toBe(path.resolve(tmp));
    expect(r.model.name).toBe('stories260K');
    expect(r.dictionary?.name).toBe('stories260K-plt');
    expect(await call('b', 'graph.prune', { graphId: 'g1' })).toMatchObject({ type: 'error', id: 'b', error: { code: 'bad-request' } });
    const exit = new Promise<number | null>((resolve) => child!.on('exit', resolve));
    child.disconnect();
    expect(await exit).toBe(0);
    child = null;
  });
});
