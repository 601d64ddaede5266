/**
 * `cwb trace` / `cwb paths` as a user runs them, on the embedded model and dictionary: the graph JSON validates
 * against Neuronpedia's schema and survives export → import → export unchanged; the raw file carries the full
 * graph; bad input exits 2 with one line.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exportImportedGraphJson, importGraphJson, stringifyGraphJson, validateGraphJsonSchema } from '../main/graph/neuronpediaJson';
import { readRawGraph } from '../main/graph/rawGraph';
import { packageRoot } from '../main/paths';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'cwb-trace-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const cwb = (...args: string[]) => {
  const r = spawnSync(process.execPath, [path.join(packageRoot, 'bin', 'cwb.js'), ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

describe('cwb trace', () => {
  const json = path.join(tmp, 'g.json');
  const raw = path.join(tmp, 'g.safetensors');
  it('writes a schema-valid graph JSON and a full raw graph', async () => {
    const r = cwb('trace', '--prompt', 'Once upon a time, there was a little girl named', '--out', json, '--raw', raw);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/replacement 0\.\d+, completeness 0\.\d+/);
    const obj = JSON.parse(readFileSync(json, 'utf8'));
    expect(validateGraphJsonSchema(obj)).toEqual([]);
    expect(obj.metadata.schema_version).toBe(1);
    const kinds = new Set(obj.nodes.map((n: { feature_type: string }) => n.feature_type));
    expect(kinds).toContain('embedding');
    expect(kinds).toContain('logit');
    expect(kinds).toContain('cross layer transcoder');
    const imported = importGraphJson(readFileSync(json, 'utf8'), json);
    expect(stringifyGraphJson(exportImportedGraphJson(imported))).toBe(readFileSync(json, 'utf8'));
    const g = await readRawGraph(raw);
    expect(g.tokens[0]).toBe(1);
    expect(g.features.layer.length).toBe(g.activeFeatureCount);
  });

  it('contrast and explicit targets, and thresholds of 1 keep every edge', () => {
    const c = cwb('trace', '--prompt', 'Once upon a time, there was a little girl named', '--contrast', 'Lily,Tim', '--node-threshold', '1', '--edge-threshold', '1', '--out', path.join(tmp, 'c.json'));
    expect(c.code, c.stderr).toBe(0);
    const obj = JSON.parse(readFileSync(path.join(tmp, 'c.json'), 'utf8'));
    expect(obj.nodes.filter((n: { feature_type: string }) => n.feature_type === 'logit')).toHaveLength(1);
    const t = cwb('trace', '--prompt', 'Once upon a time', '--target', ',', '--max-feature-nodes', '20', '--out', path.join(tmp, 't.json'));
    expect(t.code, t.stderr).toBe(0);
  });

  it('paths ranks paths into a logit from the JSON and from the raw graph', () => {
    const obj = JSON.parse(readFileSync(json, 'utf8'));
    const logit = obj.nodes.find((n: { feature_type: string }) => n.feature_type === 'logit').node_id;
    for (const file of [json, raw]) {
      const r = cwb('paths', file, '--to', logit, '--k', '5', '--json');
      expect(r.code, r.stderr).toBe(0);
      const paths = JSON.parse(r.stdout) as { nodes: string[]; score: number }[];
      expect(paths.length).toBeGreaterThan(0);
      expect(paths.every((p) => p.nodes[p.nodes.length - 1] === logit && p.nodes[0].startsWith('E_'))).toBe(true);
      for (let i = 1; i < paths.length; i++) expect(paths[i].score).toBeLessThanOrEqual(paths[i - 1].score);
    }
  });

  it.each([
    ['no output', ['trace', '--prompt', 'hi'], /--out/],
    ['multi-token target', ['trace', '--prompt', 'hi', '--target', 'elephantine', '--out', path.join(tmp, 'x.json')], /tokens/],
    ['unknown node', ['paths', path.join(tmp, 'g.json'), '--to', 'nope'], /no node "nope"/],
    ['missing graph', ['paths', path.join(tmp, 'missing.json'), '--to', 'x'], /not found/],
    ['wrong dictionary', ['trace', '--prompt', 'hi', '--dict', tmp, '--out', path.join(tmp, 'x.json')], /config\.yaml|dictionary/i],
  ])('%s: exit 2, one line', (_n, args, msg) => {
    const before = readdirSync(tmp).sort();
    const r = cwb(...(args as string[]));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(msg as RegExp);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(readdirSync(tmp).sort()).toEqual(before);
  });
});
