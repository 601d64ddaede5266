/**
 * `cwb lens`, `cwb probe` and `cwb monitor` as a user runs them (a real process through bin/cwb.js): JSON
 * output agrees with `cwb logits`, the stream command writes one result line per item and its throughput on
 * stderr, and bad input exits 2 with one line on stderr and no stack trace.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../paths';

function cwb(...args: string[]) {
  const r = spawnSync(process.execPath, [path.join(packageRoot, 'bin', 'cwb.js'), ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const tmp = mkdtempSync(path.join(os.tmpdir(), 'cwb-monitor-cli-'));

describe('cwb lens / probe / monitor', () => {
  it('lens --json: the final row’s top token is the argmax of cwb logits', () => {
    const lens = cwb('lens', '--ids', '1,403,407,261', '--target', '#378', '--json');
    expect(lens.code, lens.stderr).toBe(0);
    const view = JSON.parse(lens.stdout) as { rows: string[]; cells: { top: { id: number }[]; targetRank: number }[][] };
    const logits = JSON.parse(cwb('logits', '--ids', '1,403,407,261', '--json').stdout) as { logits: number[][] };
    const last = logits.logits[3];
    const argmax = last.indexOf(Math.max(...last));
    expect(view.rows.length).toBe(6);
    expect(view.cells[5][3].top[0].id).toBe(argmax);
    expect(view.cells[5][3].targetRank).toBe(last.filter((x) => x > last[378]).length);
  });

  it('monitor streams one line per item with throughput on stderr', () => {
    const monitors = path.join(tmp, 'm.json');
    writeFileSync(monitors, JSON.stringify({ format: 'cwb-monitors', version: 1, monitors: [{ kind: 'lens', name: 'H', layer: 5, measure: 'entropy', threshold: 0.5 }, { kind: 'feature', name: 'f', layer: 1, feature: 3, threshold: 0 }] }));
    const input = path.join(tmp, 'in.jsonl');
    writeFileSync(input, ['{"id": "a", "prompt": "Once upon a time"}', '', '{"prompt": "Tim", "completion": " was happy"}', '{"ids": [1, 403]}'].join('\n') + '\n');
    const out = path.join(tmp, 'out.jsonl');
    const r = cwb('monitor', '--monitors', monitors, '--input', input, '--out', out, '--batch', '2');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/3 items in .* items\/s/);
    const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { line: number; id?: string; scores: Record<string, number>; alerts: string[] });
    expect(lines.map((l) => l.line)).toEqual([1, 3, 4]);
    expect(lines[0].id).toBe('a');
    for (const l of lines) expect(l.alerts.includes('H')).toBe(l.scores.H >= 0.5);
  });

  it('bad input exits 2 with one line', () => {
    const cases = [
      cwb('lens'),
      cwb('lens', '--prompt', 'hi', '--target', 'not one token at all'),
      cwb('probe', 'train', '--hook', 'blocks.9.nope', '--data', path.join(packageRoot, 'data/mom.jsonl'), '--out', path.join(tmp, 'p.json')),
      cwb('probe', 'eval', '--probe', path.join(tmp, 'missing.json'), '--data', path.join(packageRoot, 'data/mom.jsonl')),
      cwb('monitor', '--monitors', path.join(tmp, 'missing.json'), '--input', 'x'),
      cwb('monitor', 'eval', '--monitors', path.join(packageRoot, 'data/mom.monitors.json')),
    ];
    for (const r of cases) {
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
