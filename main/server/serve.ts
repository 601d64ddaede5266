/**
 * `cwb serve`: the engine behind a local HTTP server for browser mode. Bound to 127.0.0.1 only, every request
 * must carry the per-run random token (query `token=` or header `x-cwb-token`), and requests whose Origin is
 * not this server are refused. The UI here is a minimal page; the full workbench UI is its own issue.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { parameterCount } from '../../shared/model';
import { runForward } from '../../native/forwardRun';
import { packageRoot } from '../paths';
import { UserError, isUserError } from '../errors';
import { loadModel, type LoadedModel } from '../model/load';
import { generate } from '../engine/generate';
import { softmaxF32 } from '../engine/sampler';
import { intOption, parseCommandArgs } from '../cli/args';
import type { Out } from '../cli/commands';

const MAX_BODY = 1 << 20;

function tokenMatches(given: string | null, token: string): boolean {
  if (!given || given.length !== token.length) return false;
  return timingSafeEqual(Buffer.from(given), Buffer.from(token));
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new UserError('request body too large');
    chunks.push(c as Buffer);
  }
  try {
    const v: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
    return v as Record<string, unknown>;
  } catch {
    throw new UserError('request body must be a JSON object');
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

async function predict(m: LoadedModel, prompt: string) {
  const ids = m.tokenizer.encode(prompt, { bos: true });
  if (ids.length > m.spec.config.maxSeqLen) throw new UserError(`prompt is ${ids.length} tokens; the context is ${m.spec.config.maxSeqLen}`);
  const logits = (await runForward(m.spec, { tokens: [ids], outputs: ['logits'] })).get('logits')!;
  const V = m.spec.config.vocabSize;
  const p = softmaxF32(logits.data.subarray((ids.length - 1) * V));
  const top = [...p.keys()].sort((a, b) => p[b] - p[a]).slice(0, 10);
  return {
    tokens: ids.map((id) => ({ id, text: m.tokenizer.decode([id]) })),
    top: top.map((id) => ({ id, text: m.tokenizer.decode([id]), prob: p[id] })),
  };
}

export async function startServer(opts: { port: number; model?: string }) {
  const model = await loadModel({ model: opts.model });
  const token = randomBytes(24).toString('hex');
  const page = await readFile(path.join(packageRoot, 'renderer', 'minimal', 'index.html'));
  let origin = '';
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const o = req.headers.origin;
      if (o && o !== origin) return send(res, 403, { error: 'foreign origin refused' });
      const given = url.searchParams.get('token') ?? (req.headers['x-cwb-token'] as string | undefined) ?? null;
      if (!tokenMatches(given, token)) return send(res, 401, { error: 'missing or wrong token' });
      if (req.method === 'GET' && url.pathname === '/') {
        res.writeHead(200, {
          'content-type': 'text/html; charset=utf-8',
          'content-security-policy': "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'",
        });
        return res.end(page);
      }
      if (req.method === 'GET' && url.pathname === '/api/info') {
        const { spec } = model;
        return send(res, 200, { name: spec.name, format: spec.format, sha256: spec.fingerprint, parameters: parameterCount(spec), config: spec.config });
      }
      if (req.method === 'POST' && url.pathname === '/api/predict') {
        const body = await readJson(req);
        return send(res, 200, await predict(model, String(body.prompt ?? '')));
      }
      if (req.method === 'POST' && url.pathname === '/api/generate') {
        const body = await readJson(req);
        const steps = Math.max(1, Math.min(Number(body.steps ?? 64) | 0, model.spec.config.maxSeqLen));
        const r = await generate(model.spec, model.tokenizer, { prompt: String(body.prompt ?? ''), steps, temperature: 0, topP: 0.9, seed: 0 });
        return send(res, 200, { text: Buffer.from(r.bytes).toString('utf8'), ids: r.ids });
      }
      send(res, 404, { error: 'not found' });
    })().catch((e: unknown) => send(res, isUserError(e) ? 400 : 500, { error: e instanceof Error ? e.message : String(e) }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '127.0.0.1', resolve);
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  origin = `http://127.0.0.1:${port}`;
  return { server, token, port, url: `${origin}/?token=${token}` };
}

export async function cmdServe(argv: string[], out: Out): Promise<number> {
  const { values } = parseCommandArgs('serve', argv, {
    port: { type: 'string' },
    model: { type: 'string' },
    workspace: { type: 'string' },
    open: { type: 'boolean' },
  });
  const port = intOption('port', values.port, 5174, 0);
  const s = await startServer({ port, model: values.model }).catch((e: unknown) => {
    if (e instanceof Error && 'code' in e && e.code === 'EADDRINUSE') throw new UserError(`port ${port} is in use: pass --port P (0 picks a free one)`);
    throw e;
  });
  out.stdout(`Circuit Workbench is running at ${s.url}\n(press Ctrl+C to stop)\n`);
  if (values.open && process.env.CI !== 'true') {
    const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
    spawn(opener, [s.url], { stdio: 'ignore', detached: true }).on('error', () => undefined).unref();
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  s.server.close();
  return 0;
}
