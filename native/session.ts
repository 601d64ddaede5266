/**
 * onnxruntime sessions, built once per (model fingerprint, program purpose, options) and reused: building a
 * session costs milliseconds to seconds, running a small one costs microseconds.
 */
import ort from 'onnxruntime-node';

export type Session = ort.InferenceSession;

const cache = new Map<string, Promise<Session>>();

export interface SessionSettings {
  /** Threads for one operator; defaults to onnxruntime's choice (all cores). */
  readonly intraOpThreads?: number;
}

let settings: SessionSettings = {};

export function configureSessions(s: SessionSettings): void {
  settings = s;
  cache.clear();
}

export function getSession(key: string, build: () => Uint8Array): Promise<Session> {
  let s = cache.get(key);
  if (!s) {
    s = ort.InferenceSession.create(build(), {
      graphOptimizationLevel: 'all',
      executionProviders: ['cpu'],
      logSeverityLevel: 3,
      ...(settings.intraOpThreads ? { intraOpNumThreads: settings.intraOpThreads } : {}),
    });
    // A failed build must not poison the cache: the next call tries again.
    s.catch(() => cache.delete(key));
    cache.set(key, s);
  }
  return s;
}

/** Drops cached sessions of one model (e.g. when it is unloaded). */
export async function releaseSessions(prefix: string): Promise<void> {
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
