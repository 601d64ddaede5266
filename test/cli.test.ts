/**
 * The cwb command as a user runs it: a real process through bin/cwb.js. Golden outputs: llama2.c's published
 * reference text, and goldens written by scripts/make-golden.ts with the plain-TS reference forward.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../main/model/load';
import { referenceForward } from '../main/reference/forward';
import { embeddedModelPath, packageRoot } from '../main/paths';
import { tolRatio } from './helpers';

function cwb(...args: string[]) {
  const r = spawnSync(process.execPath, [path.join(packageRoot, 'bin', 'cwb.js'), ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'cwb-cli-'));
const modelBytes = readFileSync(embeddedModelPath);
const tokPath = path.join(path.dirname(embeddedModelPath), 'tok512.bin');

/** A broken copy of the embedded model, with the tokenizer beside it so only the checkpoint is at fault. */
function brokenModel(name: string, bytes: Uint8Array): string {
  const dir = mkdtempSync(path.join(tmp, 'm-'));
  copyFileSync(tokPath, path.join(dir, 'tok512.bin'));
  const p = path.join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

describe('cwb generate', () => {
  it('from BOS, greedy: llama2.c reference output byte for byte, then a newline', () => {
    const r = cwb('generate', '--steps', '200', '--temperature', '0');
    expect(r.code).toBe(0);
    const want = readFileSync(path.join(path.dirname(embeddedModelPath), 'greedy_200_from_bos.txt'), 'utf8') + '\n';
    expect(r.stdout).toBe(want);
  });

  it.each([
    ['Once upon a time', '200', 'generate_once_upon_a_time_200.txt'],
    ['The little dog was very happy because', '120', 'generate_little_dog_120.txt'],
  ])('prompt %j: golden output', (prompt, steps, file) => {
    const r = cwb('generate', '--prompt', prompt, '--steps', steps, '--temperature', '0');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(readFileSync(path.join(packageRoot, 'test', 'golden', file), 'utf8'));
  });

  it('sampling is deterministic for a seed and differs across seeds', () => {
    const a = cwb('generate', '--steps', '40', '--temperature', '1', '--seed', '7');
    const b = cwb('generate', '--steps', '40', '--temperature', '1', '--seed', '7');
    const c = cwb('generate', '--steps', '40', '--temperature', '1', '--seed', '8');
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout).not.toBe(c.stdout);
  });
});

describe('cwb logits and info', () => {
  it('logits --json: BOS-first tokens and per-position logits equal to the reference forward', async () => {
    const r = cwb('logits', '--prompt', 'Once upon a time', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as { tokens: number[]; logits: number[][] };
    expect(j.tokens).toEqual([1, 403, 407, 261, 378]);
    expect(j.logits).toHaveLength(5);
    const { spec } = await loadModel();
    const ref = referenceForward(spec, [j.tokens], { outputs: ['logits'] }).get('logits')!;
    expect(tolRatio(j.logits.flat(), ref.data, 1e-4)).toBeLessThanOrEqual(1);
  });

  it('logits --ids takes raw token ids', () => {
    const r = cwb('logits', '--ids', '1,403,407', '--json');
    expect(JSON.parse(r.stdout).tokens).toEqual([1, 403, 407]);
  });

  it('info --json: architecture, parameters, sha256, format', () => {
    const r = cwb('info', '--json');
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({
      format: 'llama2c-v0',
      sha256: 'b0a507e7ad0f626624f17112325e66691f9076d622e1d3274d103d00299f2696',
      parameters: 260032,
      architecture: { dModel: 64, nLayers: 5, nHeads: 8, nKvHeads: 4, dMlp: 172, vocabSize: 512, maxSeqLen: 512 },
    });
  });
});

describe('bad input: one line on stderr, exit 2, no stack trace', () => {
  const nanModel = new Uint8Array(modelBytes);
  new DataView(nanModel.buffer).setFloat32(28 + 4 * 100, NaN, true);
  const versioned = new Uint8Array(256 + 64);
  new DataView(versioned.buffer).setUint32(0, 0x616b3432, true);
  new DataView(versioned.buffer).setInt32(4, 9, true);
  const wrongDims = new Uint8Array(modelBytes);
  new DataView(wrongDims.buffer).setInt32(0, 96, true); // dim 96 does not fit the file size

  const cases: [string, string[], RegExp][] = [
    ['missing model file', ['info', '--model', path.join(tmp, 'nope.bin')], /not found/],
    ['truncated checkpoint', ['info', '--model', brokenModel('t.bin', modelBytes.subarray(0, modelBytes.length - 3))], /truncated|size|bytes/i],
    ['unknown llama2.c version', ['info', '--model', brokenModel('v.bin', versioned)], /version 9/],
    ['dims that do not match the file size', ['info', '--model', brokenModel('d.bin', wrongDims)], /bytes|size/i],
    ['NaN weights', ['info', '--model', brokenModel('n.bin', nanModel)], /NaN/],
    ['prompt longer than the context', ['logits', '--prompt', 'a b '.repeat(600)], /context/],
    ['unknown option', ['generate', '--bogus'], /bogus/],
    ['bad number', ['generate', '--steps', 'many'], /--steps/],
    ['token id out of range', ['logits', '--ids', '1,9999'], /9999/],
    ['unknown command', ['frobnicate'], /unknown command/],
  ];
  it.each(cases)('%s', (_name, args, message) => {
    const r = cwb(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
