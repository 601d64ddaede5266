/**
 * Test helpers for driving renderer stores against the real engine in-process: a client that records every
 * call and how the engine answered it, and a poll for asynchronous outcomes.
 */
import { ApiCallError, type ApiClient, type ApiMethod, type ApiParams, type ApiResult, type CallOptions } from '../shared/api';

export interface Recorded {
  readonly method: ApiMethod;
  readonly params: unknown;
  /** 'pending', 'result', or the error code the engine answered with. */
  outcome: string;
}

export type RecordingClient = ApiClient & { readonly calls: Recorded[]; of(m: ApiMethod): Recorded[] };

/** The real client, recording each call and how it ended. */
export function recording(client: ApiClient): RecordingClient {
  const calls: Recorded[] = [];
  return {
    calls,
    of: (m) => calls.filter((c) => c.method === m),
    call<M extends ApiMethod>(method: M, params: ApiParams<M>, opts?: CallOptions): Promise<ApiResult<M>> {
      const rec: Recorded = { method, params, outcome: 'pending' };
      calls.push(rec);
      const p = client.call(method, params, opts);
      p.then(
        () => (rec.outcome = 'result'),
        (e: unknown) => (rec.outcome = e instanceof ApiCallError ? e.code : 'error'),
      );
      return p;
    },
  };
}

/** Polls until `ok()` holds (the engine answers asynchronously). */
export async function until(ok: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
