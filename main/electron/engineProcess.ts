/**
 * The engine runs in a child process so the Electron main process (window, menus, IPC) never blocks on model
 * work: `child_process.fork` of main/api/host.ts on Electron's own Node (`ELECTRON_RUN_AS_NODE=1`), with tsx
 * registered in the child through `--import`. The host reads ClientMessage objects from `process.on('message')`
 * and answers with EngineMessage objects through `process.send`. `EngineSupervisor` restarts the child when it
 * dies (with backoff, giving up after repeated crashes). No Electron import: unit-tested with plain Node.
 */
import type { ChildProcess, ForkOptions } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** file:// URL of tsx's loader (`--import` needs a URL, not a Windows path). Resolved from this package. */
export function tsxLoaderUrl(): string {
  // tsx's package "exports" maps "." to dist/loader.mjs, which registers both its ESM and CJS hooks.
  return pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
}

export interface ForkSpec {
  readonly modulePath: string;
  readonly args: readonly string[];
  readonly options: ForkOptions;
}

export function engineForkSpec(opts: { readonly root: string; readonly tsxLoader: string; readonly env: NodeJS.ProcessEnv; readonly hostPath?: string; readonly dataDir?: string }): ForkSpec {
  return {
    modulePath: opts.hostPath ?? path.join(opts.root, 'main', 'api', 'host.ts'),
    // No --workspace: the desktop app reads and writes wherever the user picks with the native dialogs.
    // --data-dir: where recovery copies and feature labels go (Electron's userData).
    args: opts.dataDir !== undefined ? ['--data-dir', opts.dataDir] : [],
    options: {
      execArgv: ['--import', opts.tsxLoader],
      // Electron's binary behaves as plain Node with this; without it the child would start a second app.
      // tsx is told where tsconfig.json is: a packaged app's working directory is not the app folder.
      env: { ...opts.env, ELECTRON_RUN_AS_NODE: '1', TSX_TSCONFIG_PATH: path.join(opts.root, 'tsconfig.json') },
      // Structured clone instead of JSON: typed arrays and large payloads cross without re-encoding.
      serialization: 'advanced',
      // The engine's diagnostics go to the terminal that started the app; stdin is not used.
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  };
}

export interface RestartPolicy {
  /** This many crashes within `windowMs` and the supervisor stops restarting. */
  readonly maxCrashes: number;
  readonly windowMs: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = { maxCrashes: 5, windowMs: 60_000, baseDelayMs: 250, maxDelayMs: 5_000 };

/**
 * Delay before the next restart given the crash times (including the one that just happened), or null to give
 * up: exponential backoff over the crashes in the recent window.
 */
export function restartDelay(crashTimes: readonly number[], now: number, policy: RestartPolicy = DEFAULT_RESTART_POLICY): number | null {
  const recent = crashTimes.filter((t) => now - t <= policy.windowMs).length;
  if (recent >= policy.maxCrashes) return null;
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, recent - 1));
}

export interface CrashInfo {
  readonly code: number | null;
  readonly signal: string | null;
  /** Set when the process could not be started at all. */
  readonly error: string | null;
  /** ms until the restart, or null when the supervisor gave up (see `restart()`). */
  readonly restartInMs: number | null;
}

export interface EngineSupervisorOptions {
  readonly spawn: () => ChildProcess;
  readonly onMessage: (msg: unknown) => void;
  readonly onCrash: (info: CrashInfo) => void;
  readonly policy?: RestartPolicy;
  readonly now?: () => number;
  readonly log?: (line: string) => void;
}

export class EngineSupervisor {
  private child: ChildProcess | null = null;
  private crashes: number[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;

  constructor(private readonly opts: EngineSupervisorOptions) {}

  /** Whether a child is up and its IPC channel open. */
  get running(): boolean {
    return this.child !== null && this.child.connected;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    if (this.stopped || this.child) return;
    const log = this.opts.log ?? (() => {});
    let child: ChildProcess;
    try {
      child = this.opts.spawn();
    } catch (e) {
      this.crashed(null, null, null, e instanceof Error ? e.message : String(e));
      return;
    }
    this.child = child;
    let done = false;
    const finish = (code: number | null, signal: string | null, error: string | null) => {
      if (done) return;
      done = true;
      this.crashed(child, code, signal, error);
    };
    child.on('message', (msg: unknown) => {
      if (this.child === child) this.opts.onMessage(msg);
    });
    child.once('exit', (code, signal) => finish(code, signal, null));
    child.on('error', (e) => {
      // 'error' covers a failed spawn (no pid; 'exit' may never come), a failed kill or a failed send.
      if (child.pid === undefined) finish(null, null, e.message);
      else log(`engine process: ${e.message}`);
    });
  }

  /** Sends one message to the engine; false when no engine is running (restart pending or given up). */
  send(msg: unknown): boolean {
    const child = this.child;
    if (!child || !child.connected) return false;
    try {
      child.send(msg as Parameters<ChildProcess['send']>[0], (err) => {
        if (err) (this.opts.log ?? (() => {}))(`engine send failed: ${err.message}`);
      });
      return true;
    } catch {
      return false;
    }
  }

  /** Starts again after the supervisor gave up (user asked), forgetting the crash history. */
  restart(): void {
    if (this.stopped) return;
    this.crashes = [];
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.child) this.start();
  }

  /** Stops for good (app quit): no restart; SIGKILL if the child has not exited after `graceMs`. */
  stop(graceMs = 2_000): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    if (child.connected) child.disconnect();
    child.kill();
    const t = setTimeout(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }, graceMs);
    t.unref();
    child.once('exit', () => clearTimeout(t));
  }

  private crashed(child: ChildProcess | null, code: number | null, signal: string | null, error: string | null): void {
    if (child !== null && this.child !== child) return; // a child we already let go (stop)
    this.child = null;
    if (this.stopped) return;
    const now = (this.opts.now ?? Date.now)();
    this.crashes.push(now);
    const delay = restartDelay(this.crashes, now, this.opts.policy);
    this.crashes = this.crashes.filter((t) => now - t <= (this.opts.policy ?? DEFAULT_RESTART_POLICY).windowMs);
    this.opts.onCrash({ code, signal, error, restartInMs: delay });
    if (delay !== null) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.start();
      }, delay);
    }
  }
}
