/** The CLI's "\r"-progress lines on stderr: throttled, with percentage, rate and ETA. */
import type { Out } from './commands';

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${Math.ceil(s)}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export interface ProgressOptions {
  /** Print the 100 % line too (off when a summary line follows anyway). */
  readonly final?: boolean;
  readonly intervalMs?: number;
}

/** `label: done/total unit (pct%), rate unit/s, ETA …[ detail]`, at most every `intervalMs`. */
export function progressLine(out: Out, label: string, unit: string, o: ProgressOptions = {}): (done: number, total: number, detail?: string) => void {
  const start = performance.now();
  const interval = o.intervalMs ?? 500;
  let last = 0;
  return (done, total, detail) => {
    const now = performance.now();
    const finished = done >= total;
    if (finished ? o.final === false : now - last < interval) return;
    last = now;
    const rate = done / Math.max(1e-3, (now - start) / 1000);
    const eta = rate > 0 ? (total - done) / rate : Infinity;
    const pct = ((100 * done) / Math.max(1, total)).toFixed(1);
    out.stderr(`\r${label}: ${done}/${total} ${unit} (${pct}%), ${rate.toFixed(0)} ${unit}/s, ETA ${formatSeconds(eta)}${detail ? `, ${detail}` : ''}\u001b[K`);
  };
}

export const INTERRUPTED = Symbol('interrupted');

/**
 * Runs long work with Ctrl-C turned into its abort signal. An interrupted run prints `message` (what happened
 * to the output, how to resume) and yields INTERRUPTED; the command then exits 130.
 */
export async function interruptible<T>(out: Out, message: string, work: (signal: AbortSignal) => Promise<T>): Promise<T | typeof INTERRUPTED> {
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  try {
    return await work(abort.signal);
  } catch (e) {
    if (!abort.signal.aborted) throw e;
    out.stderr(`\n${message}\n`);
    return INTERRUPTED;
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}
