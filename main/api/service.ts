/**
 * The engine behind the typed API (shared/api.ts), independent of the transport: `handle` takes one raw
 * envelope from a client channel and answers on that channel's `emit` with progress* and one result or error.
 * Every failure becomes an error message (see errors.ts); `handle` never throws. Request ids are per channel
 * (the `emit` function identifies the channel), so several clients can share one engine.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { z } from 'zod';
import type { ApiClient, ApiMethod, ApiParams, ApiResult, EngineMessage, Progress } from '../../shared/api';
import { apiParams, clientMessageSchema, createApiClient, isApiMethod } from '../../shared/api';
import { closeFeatureIndexes } from '../dictionary/cards';
import { assetsDir } from '../paths';
import { ApiFailure, oneLine, toApiError } from './errors';
import { listDirectory } from './files';
import { traceTargetChoice } from './explainCommon';
import { explainHandlers } from './explainService';
import { diffHandlers } from '../diff/api';
import { monitorHandlers } from '../monitor/api';
import { entryFromGraph, entryFromImported } from './graphEntry';
import { checkExportPath, prunedGraphJson, readGraphFile, writeGraphJson } from './graphFiles';
import { nodeDetail, pathsTo, pruneAt, prunedView } from './graphQueries';
import { GraphStore } from './graphStore';
import { analyzePrompt, tracePrompt } from './prompt';
import { EngineSession } from './session';
import { createWorkspace, realpathDeepest, type Workspace } from './workspace';

export type Emit = (m: EngineMessage) => void;

export interface EngineService {
  handle(raw: unknown, emit: Emit): void;
  /** Cancels every request still running for this channel (its client went away). */
  detach(emit: Emit): void;
  close(): Promise<void>;
}

export interface EngineServiceOptions {
  /** Browser mode: the only folder clients may name files in. null: any absolute path (Electron). */
  readonly workspace: string | null;
  /** Model checkpoint to open first (default: the embedded model). */
  readonly model?: string;
  /** Dictionary directory to open first (default: the embedded dictionary, when it fits the model). */
  readonly dictionary?: string;
  /**
   * The app's own data folder (Electron: userData), for recovery copies and feature labels (`.cwb/`) when there is
   * no workspace; with a workspace they live in the workspace.
   */
  readonly dataDir?: string | null;
  /** Where unexpected errors' stacks go (default: stderr). */
  readonly log?: (text: string) => void;
  /** Warm attribution up in the background after a model or dictionary opens (default true). */
  readonly warmUp?: boolean;
}

/** Progress events are sent at most this often per request. */
export const PROGRESS_INTERVAL_MS = 50;

interface CallContext {
  readonly signal: AbortSignal;
  readonly progress: (p: Progress) => void;
}

type Handlers = { [M in ApiMethod]: (p: ApiParams<M>, ctx: CallContext) => Promise<ApiResult<M>> };

/** One-line description of the first validation issue, naming the field. */
function describeIssue(method: string, e: z.ZodError): string {
  const issue = e.issues[0];
  const where = issue?.path.length ? issue.path.map(String).join('.') : 'params';
  return oneLine(`${method}: ${where}: ${issue?.message ?? 'invalid'}`);
}

function throttled(send: (p: Progress) => void): (p: Progress) => void {
  let last = -Infinity;
  return (p) => {
    const now = performance.now();
    if (now - last < PROGRESS_INTERVAL_MS) return;
    last = now;
    send({ phase: p.phase, done: p.done, total: p.total });
  };
}

const readableId = (raw: unknown): string | null => {
  const id = typeof raw === 'object' && raw !== null ? (raw as { id?: unknown }).id : undefined;
  return typeof id === 'string' && id.length >= 1 && id.length <= 64 ? id : null;
};

export async function createEngineService(opts: EngineServiceOptions): Promise<EngineService> {
  const log = opts.log ?? ((text: string) => process.stderr.write(`cwb engine: ${text}\n`));
  const ws: Workspace = createWorkspace(opts.workspace);
  // The initial model and dictionary come from the command line (the user's own choice), not from a client:
  // they are not subject to the workspace.
  const abs = (p: string | undefined) => (p === undefined ? undefined : path.resolve(p));
  const session = await EngineSession.create(ws.root, { model: abs(opts.model), dictionary: abs(opts.dictionary) });
  const warmUp = opts.warmUp ?? true;
  if (warmUp) session.startWarmUp();
  const graphs = new GraphStore();
  const dataRoot = ws.root ?? (opts.dataDir ? realpathDeepest(path.resolve(opts.dataDir)) : null);
  const explain = explainHandlers({ session, graphs, ws, dataRoot, runTag: `${Date.now().toString(36)}${randomBytes(3).toString('hex')}` });
  const channels = new Map<Emit, Map<string, AbortController>>();
  let closed = false;

  const handlers: Handlers = {
    'session.info': async () => session.info(),
    'model.open': async (p, ctx) => {
      ctx.progress({ phase: 'model', done: 0, total: 1 });
      const file = ws.resolve(p.path, [assetsDir]);
      const tok = p.tokenizer === undefined ? undefined : ws.resolve(p.tokenizer, [assetsDir]);
      session.stopWarmUp();
      await session.openModel(file, tok);
      if (warmUp) session.startWarmUp();
      return session.info();
    },
    'dictionary.open': async (p, ctx) => {
      ctx.progress({ phase: 'dictionary', done: 0, total: 1 });
      session.stopWarmUp();
      await session.openDictionary(ws.resolve(p.path, [assetsDir]));
      if (warmUp) session.startWarmUp();
      return session.info();
    },
    'files.list': async (p) => listDirectory(ws, p.dir),
    'prompt.analyze': async (p) => analyzePrompt(session.model, p.prompt),
    'graph.trace': async (p, ctx) => {
      session.stopWarmUp();
      const t0 = performance.now();
      const g = await tracePrompt(session.model, session.dictionary, p, ctx.signal, ctx.progress);
      const ms = performance.now() - t0;
      ctx.signal.throwIfAborted();
      ctx.progress({ phase: 'prune', done: 0, total: 1 });
      const entry = entryFromGraph(graphs.newId(), g, { kind: 'trace' }, ms);
      entry.targetChoice = traceTargetChoice(p.target, g, session.model.tokenizer, session.model.spec.config.vocabSize);
      graphs.add(entry);
      return entry.summary;
    },
    'graph.open': async (p, ctx) => {
      const file = ws.resolve(p.path);
      ctx.progress({ phase: 'read', done: 0, total: 1 });
      const read = await readGraphFile(file);
      ctx.signal.throwIfAborted();
      ctx.progress({ phase: 'prune', done: 0, total: 1 });
      const id = graphs.newId();
      const entry = read.kind === 'json' ? entryFromImported(id, read.graph, file) : entryFromGraph(id, read.graph, { kind: 'file', path: file }, null);
      graphs.add(entry);
      return entry.summary;
    },
    'graph.prune': async (p) => prunedView(graphs.get(p.graphId), p.nodeThreshold, p.edgeThreshold, p.maxEdges),
    'graph.node': async (p) => {
      const entry = graphs.get(p.graphId);
      return nodeDetail(entry, p.node, p.k ?? 20, { dictionary: session.dictionary, tokenizer: session.model.tokenizer });
    },
    'graph.paths': async (p) => pathsTo(graphs.get(p.graphId), p),
    'graph.export': async (p) => {
      const entry = graphs.get(p.graphId);
      const file = ws.resolve(p.path);
      checkExportPath(file);
      const json = prunedGraphJson(entry, pruneAt(entry, p.nodeThreshold, p.edgeThreshold), { slug: path.basename(file).replace(/\.json$/i, ''), nodeThreshold: p.nodeThreshold, edgeThreshold: p.edgeThreshold });
      return writeGraphJson(file, json);
    },
    ...explain,
    ...diffHandlers({ ws, sessionDictionary: () => session.dictionary?.dict.path ?? null }),
    ...monitorHandlers({ session, graphs, ws }),
  };

  async function run(method: ApiMethod, params: unknown, ctx: CallContext): Promise<unknown> {
    const parsed = apiParams[method].safeParse(params ?? {});
    if (!parsed.success) throw new ApiFailure('bad-request', describeIssue(method, parsed.error));
    const handler = handlers[method] as (p: unknown, c: CallContext) => Promise<unknown>;
    return handler(parsed.data, ctx);
  }

  function call(id: string, method: string, params: unknown, emit: Emit): void {
    if (channels.get(emit)?.has(id)) return emit({ type: 'error', id, error: { code: 'bad-request', message: `request id "${id}" is already in use` } });
    if (!isApiMethod(method)) return emit({ type: 'error', id, error: { code: 'bad-request', message: `unknown method "${oneLine(method, 64)}"` } });
    let pending = channels.get(emit);
    if (!pending) channels.set(emit, (pending = new Map()));
    const abort = new AbortController();
    pending.set(id, abort);
    let done = false;
    const progress = throttled((p) => {
      if (!done) emit({ type: 'progress', id, progress: p });
    });
    const finish = (m: EngineMessage) => {
      done = true;
      const ch = channels.get(emit);
      ch?.delete(id);
      if (ch?.size === 0) channels.delete(emit);
      try {
        emit(m);
      } catch (e) {
        log(`could not send the answer to ${method} (${id}): ${e instanceof Error ? e.message : String(e)}`);
      }
    };
    // Deferred so that a call never answers before handle() returns (and never re-enters the caller).
    void Promise.resolve()
      .then(() => {
        if (closed) throw new ApiFailure('bad-request', 'the engine is shutting down');
        return run(method, params, { signal: abort.signal, progress });
      })
      .then(
        (result) => (abort.signal.aborted ? finish({ type: 'error', id, error: { code: 'cancelled', message: 'cancelled' } }) : finish({ type: 'result', id, result })),
        (e: unknown) => finish({ type: 'error', id, error: toApiError(e, abort.signal.aborted, (t) => log(`${method} (${id}): ${t}`)) }),
      );
  }

  return {
    handle(raw, emit) {
      try {
        const msg = clientMessageSchema.safeParse(raw);
        if (!msg.success) {
          const id = readableId(raw);
          if (id !== null) emit({ type: 'error', id, error: { code: 'bad-request', message: `malformed message: ${describeIssue('envelope', msg.error)}` } });
          return;
        }
        const m = msg.data;
        if (m.type === 'cancel') return channels.get(emit)?.get(m.id)?.abort();
        call(m.id, m.method, m.params, emit);
      } catch (e) {
        log(`handle: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      }
    },
    detach(emit) {
      for (const a of channels.get(emit)?.values() ?? []) a.abort();
      channels.delete(emit);
    },
    async close() {
      closed = true;
      session.stopWarmUp();
      for (const ch of channels.values()) for (const a of ch.values()) a.abort();
      channels.clear();
      graphs.clear();
      closeFeatureIndexes();
    },
  };
}

/** A typed in-process client of a service (tests, scripts, the server's /api/info). */
export function localClient(service: EngineService): ApiClient {
  let listener: Emit = () => undefined;
  const emit: Emit = (m) => listener(m);
  return createApiClient({ send: (m) => service.handle(m, emit), onMessage: (l) => (listener = l) });
}
