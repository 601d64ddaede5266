/**
 * Starts the real browser-mode server (`cwb serve --port 0 --workspace DIR`) as a child process and parses the
 * URL it prints. Shared by the Playwright fixtures (e2e/fixtures.ts) and the UI benchmark (bench/ui.ts); it
 * imports nothing from Playwright.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface CwbServer {
  /** The printed URL, e.g. http://127.0.0.1:PORT/?token=T */
  readonly url: string;
  /** http://127.0.0.1:PORT */
  readonly origin: string;
  readonly port: number;
  readonly token: string;
  /** The fresh temporary folder passed as --workspace (deleted on stop unless it was given). */
  readonly workspace: string;
  readonly pid: number;
  /** Everything the server wrote on stdout / stderr so far. */
  stdout(): string;
  stderr(): string;
  /** SIGTERM, then SIGKILL after 5 s; resolves when the process has exited. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Use this folder instead of a fresh temp dir (it is then not deleted on stop). */
  readonly workspace?: string;
  /** Extra `cwb serve` arguments. */
  readonly args?: readonly string[];
  /** How long to wait for the URL line (default 30 s). */
  readonly timeoutMs?: number;
  readonly env?: NodeJS.ProcessEnv;
}

const URL_LINE = /Circuit Workbench is running at (http:\/\/127\.0\.0\.1:(\d+)\/\?token=([A-Za-z0-9_-]+))/;

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

export async function startCwbServer(opts: StartOptions = {}): Promise<CwbServer> {
  const ownWorkspace = opts.workspace === undefined;
  const workspace = opts.workspace ?? mkdtempSync(path.join(os.tmpdir(), 'cwb-e2e-ws-'));
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const argv = ['--import', 'tsx', path.join(repoRoot, 'main', 'cli', 'index.ts'), 'serve', '--port', '0', '--workspace', workspace, ...(opts.args ?? [])];
  const child = spawn(process.execPath, argv, {
    cwd: repoRoot,
    env: { ...process.env, CI: 'true', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));

  // Never outlive the test process (a worker killed on timeout still runs 'exit' handlers).
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));

  const cleanup = () => {
    if (ownWorkspace) rmSync(workspace, { recursive: true, force: true });
  };
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      if (!(await waitExit(child, 5000))) {
        child.kill('SIGKILL');
        await waitExit(child, 5000);
      }
    }
    cleanup();
  };

  try {
    const m = await new Promise<RegExpExecArray>((resolve, reject) => {
      const describe = (why: string) =>
        new Error(`cwb serve ${why}\n  command: ${process.execPath} ${argv.join(' ')}\n  stdout: ${out.trim() || '(empty)'}\n  stderr: ${err.trim() || '(empty)'}`);
      const timer = setTimeout(() => reject(describe(`did not print "Circuit Workbench is running at http://127.0.0.1:PORT/?token=T" within ${timeoutMs / 1000} s`)), timeoutMs);
      const onData = () => {
        const hit = URL_LINE.exec(out);
        if (!hit) return;
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve(hit);
      };
      child.stdout!.on('data', onData);
      child.once('error', (e) => {
        clearTimeout(timer);
        reject(describe(`could not be started: ${e.message}`));
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(describe(`exited (code ${code}, signal ${signal}) before printing its URL`));
      });
    });
    const port = Number(m[2]);
    return {
      url: m[1],
      origin: `http://127.0.0.1:${port}`,
      port,
      token: m[3],
      workspace,
      pid: child.pid!,
      stdout: () => out,
      stderr: () => err,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
