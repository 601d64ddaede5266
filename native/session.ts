/**
 * onnxruntime sessions, built once per (model fingerprint, program purpose, options) and reused: building a
 * session costs milliseconds to seconds, running a small one costs microseconds.
 */
import ort from 'onnxruntime-node';

import type { BuiltProgram } from './onnx/builder';

export type Session = ort.InferenceSession;

const cache = new Map<string, Promise<Session>>();

/** A session plus the external weight tensors it is fed on every run. */
export interface Program {
  readonly session: Session;
  readonly inputNames: readonly string[];
  /** `outputs`: preallocated output tensors, written in place (e.g. views into a caller's buffer). */
  run(feeds: Record<string, ort.Tensor>, outputs?: Record<string, ort.Tensor>): Promise<ort.InferenceSession.OnnxValueMapType>;
}

const programs = new Map<string, Promise<Program>>();

export function getProgram(key: string, build: () => BuiltProgram, opts: SessionOptions = {}): Promise<Program> {
  let p = programs.get(key);
  if (!p) {
    let built: BuiltProgram | null = null;
    p = getSession(key, () => (built = build()).bytes, opts).then((session) => {
      const ext: Record<string, ort.Tensor> = {};
      for (const [name, t] of built!.externals) ext[name] = new ort.Tensor('float32', t.data, [...t.shape]);
      built = null;
      return { session, inputNames: session.inputNames, run: (feeds, outputs) => (outputs ? session.run({ ...feeds, ...ext }, outputs) : session.run({ ...feeds, ...ext })) };
    });
    p.catch(() => programs.delete(key));
    programs.set(key, p);
  }
  return p;
}

export interface SessionSettings {
  /** Threads for one operator; defaults to onnxruntime's choice (all cores). */
  readonly intraOpThreads?: number;
}

let settings: SessionSettings = {};

export function configureSessions(s: SessionSettings): void {
  settings = s;
  cache.clear();
  programs.clear();
}

export interface SessionOptions {
  /**
   * Keep onnxruntime's CPU arena (fast reuse of buffers between runs). Programs with large, short-lived
   * intermediates and many variants (the backward program) turn it off so their peak memory is returned
   * after each run instead of being held per session.
   */
  readonly arena?: boolean;
  /**
   * onnxruntime's memory pattern: planned from the first run of each input shape, and applied from the second —
   * whose one big fresh block costs about as much as the first run. Programs run on ever-changing shapes
   * (the backward program) turn it off.
   */
  readonly memPattern?: boolean;
  /** Threads for one operator (overrides the process-wide setting). */
  readonly threads?: number;
}

export function getSession(key: string, build: () => Uint8Array, opts: SessionOptions = {}): Promise<Session> {
  let s = cache.get(key);
  if (!s) {
    s = ort.InferenceSession.create(build(), {
      graphOptimizationLevel: 'all',
      executionProviders: ['cpu'],
      logSeverityLevel: 3,
      enableCpuMemArena: opts.arena ?? true,
      enableMemPattern: opts.memPattern ?? true,
      ...(opts.threads || settings.intraOpThreads ? { intraOpNumThreads: opts.threads || settings.intraOpThreads } : {}),
    });
    // A failed build must not poison the cache: the next call tries again.
    s.catch(() => cache.delete(key));
    cache.set(key, s);
  }
  return s;
}

/** Drops cached sessions of one model (e.g. when it is unloaded). */
export async function releaseSessions(prefix: string): Promise<void> {
  for (const k of [...programs.keys()]) if (k.startsWith(prefix)) programs.delete(k);
  for (const [k, s] of [...cache]) {
    if (!k.startsWith(prefix)) continue;
    cache.delete(k);
    await (await s).release().catch(() => undefined);
  }
}

export function sessionCount(): number {
  return cache.size;
}

export { ort };
