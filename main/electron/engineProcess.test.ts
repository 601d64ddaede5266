import { afterEach, describe, expect, it, vi } from 'vitest';
import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_RESTART_POLICY, EngineSupervisor, engineForkSpec, restartDelay, tsxLoaderUrl, type CrashInfo } from './engineProcess';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');

describe('engineForkSpec', () => {
  it('forks main/api/host.ts on Electron-as-Node with tsx and structured-clone IPC', () => {
    const spec = engineForkSpec({ root: '/app', tsxLoader: 'file:///app/node_modules/tsx/dist/loader.mjs', env: { PATH: '/bin', ELECTRON_RUN_AS_NODE: '0' } });
    expect(spec.modulePath).toBe(path.join('/app', 'main', 'api', 'host.ts'));
    expect(spec.args).toEqual([]);
    expect(spec.options.execArgv).toEqual(['--import', 'file:///app/node_modules/tsx/dist/loader.mjs']);
    expect(spec.options.env).toEqual({ PATH: '/bin', ELECTRON_RUN_AS_NODE: '1', TSX_TSCONFIG_PATH: path.join('/app', 'tsconfig.json') });
    expect(spec.options.serialization).toBe('advanced');
    expect(spec.options.stdio).toEqual(['ignore', 'inherit', 'inherit', 'ipc']);
  });

  it('resolves tsx to its loader as a file URL', () => {
    const url = tsxLoaderUrl();
    expect(url).toMatch(/^file:\/\/.*\/tsx\/dist\/loader\.mjs$/);
    expect(existsSync(fileURLToPath(url))).toBe(true);
  });
});

describe('restartDelay', () => {
  const p = DEFAULT_RESTART_POLICY;
  it('backs off exponentially over recent crashes and gives up after maxCrashes in the window', () => {
    expect(restartDelay([1000], 1000, p)).toBe(p.baseDelayMs);
    expect(restartDelay([1000, 2000], 2000, p)).toBe(p.baseDelayMs * 2);
    expect(restartDelay([1000, 2000, 3000], 3000, p)).toBe(p.baseDelayMs * 4);
    expect(restartDelay([1, 2, 3, 4, 5], 5, p)).toBeNull();
    expect(restartDelay([1, 2, 3, 4, 5 + p.windowMs], 5 + p.windowMs, p)).toBe(p.baseDelayMs);
    expect(restartDelay([1, 2, 3, 4], 4, { ...p, maxCrashes: 10, maxDelayMs: 300 })).toBe(300);
  });
});

class FakeChild extends EventEmitter {
  connected = true;
  pid: number | undefined = 1234;
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  readonly sent: unknown[] = [];
  readonly kills: (string | undefined)[] = [];
  send(msg: unknown, cb?: (e: Error | null) => void): boolean {
    this.sent.push(msg);
    cb?.(null);
    return true;
  }
  kill(signal?: string): boolean {
    this.kills.push(signal);
    return true;
  }
  disconnect(): void {
    this.connected = false;
  }
  die(code: number | null, signal: NodeJS.Signals | null = null): void {
    this.connected = false;
    this.exitCode = code;
    this.signalCode = signal;
    this.emit('exit', code, signal);
  }
}

describe('EngineSupervisor', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  function setup(policy = DEFAULT_RESTART_POLICY) {
    const children: FakeChild[] = [];
    const messages: unknown[] = [];
    const crashes: CrashInfo[] = [];
    let now = 0;
    const sup = new EngineSupervisor({
      spawn: () => {
        const c = new FakeChild();
        children.push(c);
        return c as unknown as ChildProcess;
      },
      onMessage: (m) => messages.push(m),
      onCrash: (i) => crashes.push(i),
      policy,
      now: () => now,
    });
    return { sup, children, messages, crashes, advance: (ms: number) => ((now += ms), vi.advanceTimersByTime(ms)) };
  }

  it('relays messages both ways while the child runs', () => {
    const { sup, children, messages } = setup();
    sup.start();
    expect(sup.running).toBe(true);
    expect(sup.send({ type: 'call', id: 'e1', method: 'session.info', params: {} })).toBe(true);
    expect(children[0].sent).toEqual([{ type: 'call', id: 'e1', method: 'session.info', params: {} }]);
    children[0].emit('message', { type: 'result', id: 'e1', result: 1 });
    expect(messages).toEqual([{ type: 'result', id: 'e1', result: 1 }]);
  });

  it('restarts a dead child after the backoff, and refuses sends meanwhile', () => {
    vi.useFakeTimers();
    const { sup, children, crashes, advance } = setup();
    sup.start();
    children[0].die(1);
    expect(crashes).toEqual([{ code: 1, signal: null, error: null, restartInMs: DEFAULT_RESTART_POLICY.baseDelayMs }]);
    expect(sup.running).toBe(false);
    expect(sup.send({ type: 'cancel', id: 'e1' })).toBe(false);
    advance(DEFAULT_RESTART_POLICY.baseDelayMs);
    expect(children).toHaveLength(2);
    expect(sup.running).toBe(true);
    // A message from the dead child's stale listeners is ignored.
    children[0].emit('message', { stale: true });
  });

  it('gives up after repeated crashes until restart() is asked for', () => {
    vi.useFakeTimers();
    const policy = { maxCrashes: 3, windowMs: 60_000, baseDelayMs: 10, maxDelayMs: 100 };
    const { sup, children, crashes, advance } = setup(policy);
    sup.start();
    children[0].die(null, 'SIGSEGV');
    advance(10);
    children[1].die(1);
    advance(20);
    children[2].die(1);
    expect(crashes.map((c) => c.restartInMs)).toEqual([10, 20, null]);
    expect(crashes[0].signal).toBe('SIGSEGV');
    advance(10_000);
    expect(children).toHaveLength(3);
    sup.restart();
    expect(children).toHaveLength(4);
    expect(sup.running).toBe(true);
  });

  it('treats a failed spawn (error without pid) as a crash', () => {
    vi.useFakeTimers();
    const { sup, children, crashes } = setup();
    sup.start();
    children[0].pid = undefined;
    children[0].connected = false;
    children[0].emit('error', new Error('spawn ENOENT'));
    children[0].emit('exit', -2, null); // and a late exit is not counted twice
    expect(crashes).toEqual([{ code: null, signal: null, error: 'spawn ENOENT', restartInMs: DEFAULT_RESTART_POLICY.baseDelayMs }]);
  });

  it('does not restart after stop(), and kills the child', () => {
    vi.useFakeTimers();
    const { sup, children, crashes, advance } = setup();
    sup.start();
    sup.stop(50);
    expect(children[0].connected).toBe(false);
    expect(children[0].kills).toEqual([undefined]);
    advance(50);
    expect(children[0].kills).toEqual([undefined, 'SIGKILL']);
    children[0].die(null, 'SIGKILL');
    advance(10_000);
    expect(crashes).toEqual([]);
    expect(children).toHaveLength(1);
    sup.start();
    expect(children).toHaveLength(1);
  });
});

describe('EngineSupervisor with a real child process', () => {
  it('runs a TypeScript host through tsx, keeps typed arrays over IPC and restarts it after a crash', async () => {
    const spec = engineForkSpec({ root, tsxLoader: tsxLoaderUrl(), env: process.env, hostPath: path.join(here, '__fixtures__', 'echoHost.ts') });
    const messages: unknown[] = [];
    const crashes: CrashInfo[] = [];
    let waiter: (() => void) | null = null;
    const wake = () => waiter?.();
    const until = async (cond: () => boolean) => {
      const deadline = Date.now() + 20_000;
      while (!cond()) {
        if (Date.now() > deadline) throw new Error('timed out');
        await new Promise<void>((r) => {
          waiter = r;
          setTimeout(r, 50);
        });
      }
    };
    const sup = new EngineSupervisor({
      spawn: () => fork(spec.modulePath, [...spec.args], spec.options),
      onMessage: (m) => (messages.push(m), wake()),
      onCrash: (c) => (crashes.push(c), wake()),
      policy: { ...DEFAULT_RESTART_POLICY, baseDelayMs: 10 },
    });
    try {
      sup.start();
      const firstPid = sup.pid;
      expect(sup.send({ type: 'call', id: 'e1', method: 'echo', params: { prompt: 'Once' } })).toBe(true);
      await until(() => messages.length >= 2);
      expect(messages[0]).toEqual({ type: 'progress', id: 'e1', progress: { phase: 'echo', done: 1, total: 1 } });
      const res = messages[1] as { type: string; id: string; result: { params: unknown; floats: unknown; runAsNode: unknown; argv: unknown } };
      expect(res.type).toBe('result');
      expect(res.result.params).toEqual({ prompt: 'Once' });
      expect(res.result.floats).toBeInstanceOf(Float32Array);
      expect(Array.from(res.result.floats as Float32Array)).toEqual([1.5, -2]);
      expect(res.result.runAsNode).toBe('1');
      expect(res.result.argv).toEqual([]);

      sup.send({ type: 'call', id: 'e2', method: 'crash', params: {} });
      await until(() => crashes.length === 1);
      expect(crashes[0]).toMatchObject({ code: 3, signal: null, error: null, restartInMs: 10 });
      await until(() => sup.running);
      expect(sup.pid).not.toBe(firstPid);
      sup.send({ type: 'call', id: 'e3', method: 'echo', params: 1 });
      await until(() => messages.some((m) => (m as { id: string }).id === 'e3' && (m as { type: string }).type === 'result'));
    } finally {
      sup.stop();
    }
  });
});
