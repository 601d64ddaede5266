/**
 * `cwb diff` as a process: report files (JSON that validates against the schema, self-contained HTML with hostile
 * prompt text escaped), the outputs-only reduced report for a model of another shape with the same tokenizer, a
 * clear refusal for a different tokenizer, one-line errors for bad input; and the suite parser under fuzzing.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { diffReportSchema } from '../shared/diff';
import { loadModel } from '../main/model/load';
import { writeLlama2cV0 } from '../main/model/llama2cWrite';
import { embeddedModelPath, packageRoot } from '../main/paths';
import { parseSuiteText } from '../main/diff/suite';
import { isUserError } from '../main/errors';
import { randomLlama } from './helpers';
import { CONTROLS, NAMING, editedSpec, writeModel } from './diffModels';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'cwb-diffcli-'));
const HOSTILE = '<script>alert(1)</script> "quoted" & <img src=x onerror=alert(2)>';

function cwb(...args: string[]) {
  const r = spawnSync(process.execPath, [path.join(packageRoot, 'bin', 'cwb.js'), ...args], { encoding: 'utf8', timeout: 180_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let edit: string;
let suite: string;
beforeAll(async () => {
  const { spec, tokenizer } = await loadModel();
  edit = writeModel(path.join(tmp, 'edit'), 'edit.bin', writeLlama2cV0(await editedSpec(spec, tokenizer)));
  suite = path.join(tmp, 'suite.jsonl');
  const lines = [...NAMING.map((p) => ({ prompt: p, target: ' Lily' })), ...CONTROLS.map((p) => ({ prompt: p })), { prompt: HOSTILE }];
  writeFileSync(suite, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
});

describe('cwb diff', () => {
  it('writes a schema-valid JSON report and a self-contained, escaped HTML report', () => {
    const out = path.join(tmp, 'r.json');
    const html = path.join(tmp, 'r.html');
    const r = cwb('diff', '--base', embeddedModelPath, '--candidate', edit, '--prompts', suite, '--out', out, '--html', html, '--graph-prompts', '1', '--graph-at', '8');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/weights: blocks\.3\.mlp relative change/);
    expect(r.stdout).toMatch(/top tensor blocks\.3\.mlp\.W_out .*rank 1\n/);
    expect(r.stdout).toMatch(/patching: blocks\.3\.hook_mlp_out reproduces 100\.0%/);
    const report = diffReportSchema.parse(JSON.parse(readFileSync(out, 'utf8')));
    // The most affected prompt's graph pair, and the one asked for (suite line 8, a control prompt).
    expect(report.graphs!.map((g) => g.prompt)).toEqual([report.outputs.prompts[0].index, 7]);
    expect(report.graphs![1].text).toBe(CONTROLS[1]);
    const named = report.outputs.prompts.filter((p) => p.target);
    expect(named.every((p) => p.target!.text === ' Lily' && p.target!.pB < p.target!.pA)).toBe(true);
    const text = readFileSync(html, 'utf8');
    expect(text).toContain(`content="default-src 'none'; style-src 'unsafe-inline'"`);
    // No element that runs or fetches, and no attribute that could: the hostile prompt is inert text.
    expect(text).not.toMatch(/<(script|img|iframe|object|embed|link|a)\b/i);
    expect(text).not.toMatch(/<[^>]*\s(on\w+|href|src|xlink:href)\s*=/i);
    expect(text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(text).toContain('blocks.3.mlp.W_out');
    expect((text.match(/<svg /g) ?? []).length).toBeGreaterThanOrEqual(5); // 3 bar charts + a graph pair
  });

  it('same tokenizer, other shapes: a reduced report with the outputs level only', () => {
    const other = writeModel(path.join(tmp, 'other'), 'other.bin', writeLlama2cV0(randomLlama({ vocabSize: 512, maxSeqLen: 64 }, 4)));
    const out = path.join(tmp, 'reduced.json');
    const r = cwb('diff', '--base', embeddedModelPath, '--candidate', other, '--prompts', suite, '--out', out);
    expect(r.code, r.stderr).toBe(0);
    const report = diffReportSchema.parse(JSON.parse(readFileSync(out, 'utf8')));
    expect(report.comparability.level).toBe('outputs');
    expect(report.comparability.notes.join('\n')).toMatch(/dModel is 64 vs 32/);
    expect([report.weights, report.patching, report.features, report.graphs]).toEqual([null, null, null, null]);
    expect(report.outputs.prompts.length).toBe(NAMING.length + CONTROLS.length + 1);
    expect(report.outputs.meanKl).toBeGreaterThan(0);
  });

  it('a different tokenizer is refused with one clear line (exit 2) and nothing written', () => {
    // tok512.bin with one piece's bytes changed (same length): same vocabulary size, different vocabulary.
    const dir = path.join(tmp, 'othertok');
    const f = writeModel(dir, 'm.bin', readFileSync(embeddedModelPath));
    const tokFile = path.join(dir, 'tok512.bin');
    const b = readFileSync(tokFile);
    let off = 4;
    for (let id = 0; id < 300; id++) off += 8 + b.readInt32LE(off + 4);
    const len = b.readInt32LE(off + 4);
    for (let k = 0; k < len; k++) b[off + 8 + k] = 0x51; // 'Q'
    writeFileSync(tokFile, b);
    const out = path.join(tmp, 'never.json');
    const r = cwb('diff', '--base', embeddedModelPath, '--candidate', f, '--prompts', suite, '--out', out);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/not comparable: their tokenizers differ: token 300 is/);
    expect(readdirSync(tmp)).not.toContain('never.json');
  });

  it.each([
    [['--candidate', 'x.bin', '--prompts', 's.txt', '--out', 'r.json'], /--base MODEL and --candidate MODEL are required/],
    [['--base', embeddedModelPath, '--candidate', embeddedModelPath, '--out', 'r.json'], /--prompts SUITE/],
    [['--base', embeddedModelPath, '--candidate', embeddedModelPath, '--prompts', 'nope.txt', '--out', 'r.json'], /suite file not found/],
    [['--base', embeddedModelPath, '--candidate', 'missing.bin', '--prompts', 'SUITE', '--out', 'r.json'], /model file not found/],
    [['--base', embeddedModelPath, '--candidate', embeddedModelPath, '--prompts', 'SUITE', '--out', 'r.txt'], /should end in \.json/],
    [['--base', embeddedModelPath, '--candidate', embeddedModelPath, '--prompts', 'SUITE', '--out', 'r.json', '--graph-at', '99'], /graph prompt 99 is not in the suite/],
  ])('bad input %#: one line, exit 2', (args, re) => {
    const r = cwb('diff', ...args.map((a) => (a === 'SUITE' ? suite : a)));
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(re);
  });
});

describe('suite parser', () => {
  it('parses txt and jsonl, refuses bad lines with their number', () => {
    expect(parseSuiteText('a\n\n b \n', 's.txt')).toEqual([{ prompt: 'a' }, { prompt: ' b ' }]);
    expect(parseSuiteText('{"prompt":"x","target":" Lily"}\n{"prompt":"y","target":3}', 's.jsonl')).toEqual([{ prompt: 'x', target: ' Lily' }, { prompt: 'y', target: 3 }]);
    expect(() => parseSuiteText('{"prompt":"x"}\n{"prompt":1}', 's.jsonl')).toThrow(/line 2: prompt/);
    expect(() => parseSuiteText('{"prompt":"x","extra":1}', 's.jsonl')).toThrow(/line 1/);
    expect(() => parseSuiteText('\n\n', 's.txt')).toThrow(/no prompts/);
  });
  it('never fails with anything but a UserError (fuzzed)', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), fc.boolean(), (s, jsonl) => {
      try {
        parseSuiteText(s, jsonl ? 'f.jsonl' : 'f.txt');
      } catch (e) {
        expect(isUserError(e)).toBe(true);
      }
    }), { numRuns: 500 });
  });
});
