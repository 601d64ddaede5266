/**
 * Workspace containment: the unit (resolve) and through the service, on the real engine: `..`, absolute paths
 * outside and symlinks pointing outside are 'forbidden' for reading, listing and writing.
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiCallError, type ApiClient } from '../../shared/api';
import { embeddedDictionaryPath, embeddedModelPath } from '../paths';
import { ApiFailure } from './errors';
import { createEngineService, localClient, type EngineService } from './service';
import { createWorkspace, isInside } from './workspace';

const base = mkdtempSync(path.join(os.tmpdir(), 'cwb-ws-'));
const ws = path.join(base, 'ws');
const outside = path.join(base, 'outside');
let service: EngineService;
let api: ApiClient;

const failure = (f: () => unknown): ApiFailure => {
  try {
    f();
  } catch (e) {
    if (e instanceof ApiFailure) return e;
    throw e;
  }
  throw new Error('no failure');
};
const codeOf = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
  } catch (e) {
    return e instanceof ApiCallError ? e.code : `not an ApiCallError: ${String(e)}`;
  }
  return 'ok';
};

beforeAll(async () => {
  mkdirSync(path.join(ws, 'sub'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(path.join(outside, 'secret.json'), '{}');
  writeFileSync(path.join(ws, 'sub', 'inside.json'), '{}');
  symlinkSync(outside, path.join(ws, 'link-out'));
  symlinkSync(path.join(ws, 'sub'), path.join(ws, 'link-in'));
  service = await createEngineService({ workspace: ws });
  api = localClient(service);
});
afterAll(async () => {
  await service.close();
  rmSync(base, { recursive: true, force: true });
});

describe('workspace', () => {
  it('resolves paths inside, refuses paths outside', () => {
    const w = createWorkspace(ws);
    expect(w.resolve('sub/inside.json')).toBe(path.join(w.root!, 'sub', 'inside.json'));
    expect(w.resolve('.')).toBe(w.root);
    expect(w.resolve('not/yet/there.json')).toBe(path.join(w.root!, 'not', 'yet', 'there.json'));
    expect(w.resolve('link-in/inside.json')).toBe(path.join(w.root!, 'sub', 'inside.json'));
    for (const p of ['../x', '..', 'sub/../../x', outside, '/etc/passwd', 'link-out/secret.json', 'link-out', 'link-out/new/file.json']) {
      const f = failure(() => w.resolve(p));
      expect(f.code, p).toBe('forbidden');
      expect(f.message).toMatch(/is outside the workspace/);
    }
    expect(w.resolve(embeddedModelPath, [path.dirname(embeddedModelPath)])).toBe(embeddedModelPath);
  });

  it('without a workspace, any absolute path and no relative one', () => {
    const w = createWorkspace(null);
    expect(w.root).toBeNull();
    expect(w.resolve(path.join(outside, 'secret.json'))).toBe(path.join(realpathSync(outside), 'secret.json'));
    expect(failure(() => w.resolve('relative.json')).code).toBe('bad-request');
  });

  it('isInside', () => {
    expect(isInside('/a/b', '/a/b')).toBe(true);
    expect(isInside('/a/b', '/a/b/c')).toBe(true);
    expect(isInside('/a/b', '/a/bc')).toBe(false);
    expect(isInside('/a/b', '/a')).toBe(false);
    expect(isInside('/a/b', '/a/b/..c')).toBe(true);
  });

  it('the service refuses to list, open or write outside the workspace', async () => {
    for (const dir of ['..', outside, 'link-out', '/']) expect(await codeOf(api.call('files.list', { dir })), dir).toBe('forbidden');
    for (const p of ['../outside/secret.json', path.join(outside, 'secret.json'), 'link-out/secret.json']) {
      expect(await codeOf(api.call('graph.open', { path: p })), p).toBe('forbidden');
    }
    const g = await api.call('graph.trace', { prompt: 'Once upon a time', target: { kind: 'salient' }, maxFeatureNodes: 20 });
    for (const p of ['../x.json', path.join(outside, 'x.json'), 'link-out/x.json']) {
      expect(await codeOf(api.call('graph.export', { graphId: g.graphId, path: p, nodeThreshold: 0.8, edgeThreshold: 0.98 })), p).toBe('forbidden');
    }
    expect(await codeOf(api.call('dictionary.open', { path: outside }))).toBe('forbidden');
    expect(await codeOf(api.call('model.open', { path: path.join(outside, 'm.bin') }))).toBe('forbidden');
    // The app's own embedded assets may be opened (read-only).
    expect(await codeOf(api.call('dictionary.open', { path: embeddedDictionaryPath }))).toBe('ok');
    expect((await api.call('files.list', { dir: 'link-in' })).entries.map((e) => e.name)).toEqual(['inside.json']);
  });
});
