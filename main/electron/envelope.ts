/**
 * Envelopes between the renderer and the engine child process, as seen by the Electron main process (no
 * Electron import, unit-tested):
 * - `parseClientPayload` validates what the renderer sends with the API's `clientMessageSchema`;
 * - `isEngineMessage` checks the shape of what the child sends before it is passed to the window;
 * - `EngineRouter` renames request ids on the way to the engine (`e1`, `e2`, …) and back, so a reloaded
 *   renderer (whose client starts again at `r1`) never receives an answer meant for its previous page, and
 *   so the calls in flight are known when the engine dies.
 */
import { clientMessageSchema, type ClientMessage, type EngineMessage, type ApiError } from '../../shared/api';

export type ParsedPayload = { readonly ok: true; readonly msg: ClientMessage } | { readonly ok: false; readonly reason: string };

export function parseClientPayload(payload: unknown): ParsedPayload {
  const r = clientMessageSchema.safeParse(payload);
  if (r.success) return { ok: true, msg: r.data };
  const issue = r.error.issues[0];
  const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  return { ok: false, reason: `${where}${issue?.message ?? 'invalid message'}` };
}

const ERROR_CODES: ReadonlySet<string> = new Set(['bad-request', 'user', 'cancelled', 'not-found', 'forbidden', 'internal']);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function isEngineMessage(v: unknown): v is EngineMessage {
  if (!isObject(v) || typeof v.id !== 'string' || v.id.length === 0) return false;
  switch (v.type) {
    case 'result':
      return 'result' in v;
    case 'progress': {
      const p = v.progress;
      return isObject(p) && typeof p.phase === 'string' && typeof p.done === 'number' && typeof p.total === 'number';
    }
    case 'error': {
      const e = v.error;
      return isObject(e) && typeof e.code === 'string' && ERROR_CODES.has(e.code) && typeof e.message === 'string';
    }
    default:
      return false;
  }
}

interface InFlight {
  readonly rendererId: string;
  /** Which page load of the renderer made the call. */
  readonly generation: number;
}

/** What to do with one message from the renderer. */
export interface RouteToEngine {
  /** Send this to the engine (ids renamed), if any. */
  readonly forward: ClientMessage | null;
  /** Answer the renderer directly with this, if any. */
  readonly reply: EngineMessage | null;
}

export class EngineRouter {
  private next = 0;
  private generation = 0;
  private readonly byEngineId = new Map<string, InFlight>();
  /** Calls of the current page only: renderer id → engine id. */
  private readonly byRendererId = new Map<string, string>();

  /** A validated message from the renderer. */
  toEngine(msg: ClientMessage): RouteToEngine {
    if (msg.type === 'call') {
      if (this.byRendererId.has(msg.id)) {
        return { forward: null, reply: errorMessage(msg.id, { code: 'bad-request', message: `Request id "${msg.id}" is already in use.` }) };
      }
      const engineId = `e${++this.next}`;
      this.byEngineId.set(engineId, { rendererId: msg.id, generation: this.generation });
      this.byRendererId.set(msg.id, engineId);
      return { forward: { ...msg, id: engineId }, reply: null };
    }
    const engineId = this.byRendererId.get(msg.id);
    // Cancelling something already finished (or unknown) is a no-op, as on every other transport.
    return { forward: engineId === undefined ? null : { type: 'cancel', id: engineId }, reply: null };
  }

  /** A message from the engine: the renderer's version of it, or null to drop it (stale or unknown id). */
  fromEngine(msg: EngineMessage): EngineMessage | null {
    const entry = this.byEngineId.get(msg.id);
    if (!entry) return null;
    if (msg.type !== 'progress') {
      this.byEngineId.delete(msg.id);
      if (entry.generation === this.generation) this.byRendererId.delete(entry.rendererId);
    }
    if (entry.generation !== this.generation) return null;
    return { ...msg, id: entry.rendererId };
  }

  /**
   * The renderer loaded a new page (reload, crash recovery): its calls in flight are cancelled in the engine and
   * their late answers dropped. Returns the cancel messages to send to the engine.
   */
  rendererReset(): ClientMessage[] {
    const cancels: ClientMessage[] = [...this.byRendererId.values()].map((id) => ({ type: 'cancel', id }));
    this.byRendererId.clear();
    this.generation++;
    return cancels;
  }

  /**
   * The engine process is gone: every call of the current page fails with `error` (the renderer's client
   * rejects them); nothing else is in flight any more. Returns the messages for the renderer.
   */
  engineGone(error: ApiError): EngineMessage[] {
    const out = [...this.byRendererId.keys()].map((id) => errorMessage(id, error));
    this.byRendererId.clear();
    this.byEngineId.clear();
    return out;
  }

  /** Calls of the current page still waiting for an answer. */
  get pending(): number {
    return this.byRendererId.size;
  }
}

export function errorMessage(id: string, error: ApiError): EngineMessage {
  return { type: 'error', id, error: { code: error.code, message: error.message } };
}
