/**
 * Explanation files (issue 5): lossless round trip, atomic validated writes, hostile files refused with nothing
 * else on disk changing, the test-spec grammar, and `cwb explain` / `cwb verify` as processes — on the embedded
 * model (exit 0) and on a copy whose layer-3 MLP is sign-flipped (drift reported, dependent tests fail, exit 1).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Explanation } from '../shared/explanation';
import type { ModelSpec } from '../shared/model';
import { loadModel } from '../main/model/load';
import { loadDictionary } from '../main/dictionary/format';
import { writeLlama2cV0 } from '../main/model/llama2cWrite';
import { embeddedDictionaryPath, embeddedModelPath, packageRoot } from '../main/paths';
import type { Tokenizer } from '../main/tokenizer/types';
import { resolveToken } from '../main/attribution/targets';
import { interventionRequestSchema } from '../shared/intervention';
import { makeExplanation } from '../main/explain/build';
import { loadExplanation, saveExplanation, stringifyExplanation } from '../main/explain/file';
import { parseTestSpec } from '../main/explain/testSpec';
import { isUserError } from '../main/errors';

const PROMPT = 'Once upon a time, there was a little girl named Lily. She';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'cwb-explain-'));

function cwb(...args: string[]) {
  const r = spawnSync(process.execPath, [path.join(packageRoot, 'bin', 'cwb.js'), ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const listing = (dir: string) => readdirSync(dir).sort().map((n) => `${n}:${statSync(path.join(dir, n)).size}`);
const refusal = (f: () => unknown): Error => {
  try {
    f();
  } catch (e) {
    expect(isUserError(e), String(e)).toBe(true);
    return e as Error;
  }
  throw new Error('not refused');
};

let spec: ModelSpec;
let tok: Tokenizer;
let explanation: Explanation;

beforeAll(async () => {
  ({ spec, tokenizer: tok } = await loadModel());
  const dict = await loadDictionary(embeddedDictionaryPath);
  const tokens = tok.encode(PROMPT, { bos: true });
  const lo = resolveToken(tok, 512, ' lo');
  const e = await makeExplanation(spec, dict, tok, {
    prompt: PROMPT,
    tokens,
    targets: { kind: 'salient' },
    attribution: { maxFeatureNodes: null, batchSize: 256, nodeThreshold: 0.8, edgeThreshold: 0.98 },
    tests: [{ name: 'baseline', intervention: interventionRequestSchema.parse({ edits: [] }), expectation: { kind: 'probAtLeast', token: lo, value: 0.6 } }],
  });
  const ids = (e.graph.json.nodes as { node_id: string }[]).map((n) => n.node_id);
  explanation = {
    ...e,
    work: {
      pinnedNodeIds: ids.slice(0, 3),
      supernodes: [{ id: 'sn1', label: 'girl → she', nodeIds: ids.slice(3, 6) }],
      nodeLabels: { [ids[0]]: 'Lily', [ids[1]]: 'pronoun "she" — ü, 中文' },
      notes: 'multi-line\nnotes',
      views: [{ name: 'main', positions: { [ids[0]]: { x: 1.5, y: -2 } }, nodeThreshold: 0.7, edgeThreshold: 0.95, highlightedPaths: [[ids[0], ids[1]]] }],
    },
  };
});

describe('explanation file', () => {
  it('round trip is lossless (deep-equal, and the same bytes when saved again)', () => {
    const f = path.join(tmp, 'rt.circuit.json');
    saveExplanation(f, explanation);
    const back = loadExplanation(f);
    expect(back).toEqual(explanation);
    expect(stringifyExplanation(back)).toBe(readFileSync(f, 'utf8'));
  });

  it('refuses to write an invalid explanation and leaves the old file untouched', () => {
    const dir = mkdtempSync(path.join(tmp, 'w-'));
    const f = path.join(dir, 'x.circuit.json');
    saveExplanation(f, explanation);
    const before = listing(dir);
    const bad = { ...explanation, model: { ...explanation.model, fingerprint: 'nope' } };
    expect(refusal(() => saveExplanation(f, bad)).message).toMatch(/model\.fingerprint/);
    expect(listing(dir)).toEqual(before);
    expect(loadExplanation(f)).toEqual(explanation);
  });

  const good = () => stringifyExplanation(explanation);
  const hostile: [string, () => string | Uint8Array, RegExp, number?][] = [
    ['corrupt', () => 'this is not json {', /not valid JSON/],
    ['truncated', () => good().slice(0, good().length / 2), /not valid JSON/],
    ['oversized (limit lowered to 1000 bytes)', () => good(), /over the 1000 bytes limit/, 1000],
    ['future version', () => good().replace('"formatVersion": 1', '"formatVersion": 2'), /newer Circuit Workbench \(format 2\); this version reads format 1: update the app/],
    ['__proto__ key', () => good().replace('"notes":', '"__proto__": {"polluted": true}, "notes":'), /"__proto__".*prototype pollution/],
    ['escaped constructor key', () => good().replace('"notes":', '"\\u0063onstructor": 1, "notes":'), /"constructor"/],
    ['deeply nested', () => good().replace('"notes": "multi-line\\nnotes"', `"notes": ${'['.repeat(100)}${']'.repeat(100)}`), /nested more than 64/],
    ['not UTF-8', () => Uint8Array.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), /not UTF-8/],
    ['schema violation', () => good().replace('"kind": "plt"', '"kind": "sae"'), /dictionary\.kind/],
    ['no formatVersion', () => '{"hello": 1}', /no valid formatVersion/],
  ];
  it.each(hostile)('%s: refused with a clear message, nothing else on disk changes', (_name, content, re, maxBytes) => {
    const dir = mkdtempSync(path.join(tmp, 'h-'));
    const f = path.join(dir, 'bad.circuit.json');
    writeFileSync(f, content());
    const before = listing(dir);
    const e = refusal(() => loadExplanation(f, maxBytes ? { maxBytes } : {}));
    expect(e.message).toMatch(re);
    expect(e.message).not.toContain('\n');
    expect(listing(dir)).toEqual(before);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('test spec grammar', () => {
  const T = 17;
  it.each([
    ['ablate 3:517:5,2:88:5 => p( lo) drops >= 50%', { mode: 'frozen', expectation: { kind: 'probDrop', atLeastFraction: 0.5 } }],
    ['free: scale 1:12:4=2 => logit( lo) >= +1', { mode: 'free', edits: [{ type: 'feature', layer: 1, feature: 12, pos: 4, op: 'scale', value: 2 }], expectation: { kind: 'logitChange', atLeast: 1 } }],
    ['constrained: ablate 2:-1:-1; set 4:7:16=3 => p(#300) <= 5%', { mode: 'constrained', edits: [{ type: 'error', layer: 2, pos: 16, op: 'ablate' }, { type: 'feature', layer: 4, feature: 7, pos: 16, op: 'set', value: 3 }], expectation: { kind: 'probAtMost', token: 300, value: 0.05 } }],
    ['none => logit( lo) - logit( had) flips', { edits: [], expectation: { kind: 'contrastSign', sign: 'flips' } }],
    ['steer 3:5@-1=4 => p( lo) >= 0.2', { edits: [{ type: 'steer', layer: 3, feature: 5, positions: [16], strength: 4 }], expectation: { kind: 'probAtLeast', value: 0.2 } }],
  ])('%s', (s, want) => {
    expect(parseTestSpec(s, tok, 512, T)).toMatchObject(want);
  });
  it.each([
    ['ablate 3:517:5', /INTERVENTION => EXPECTATION/],
    ['remove 3:517:5 => p( lo) >= 1%', /not an action/],
    ['scale 3:517:5 => p( lo) >= 1%', /give the factor/],
    ['ablate 3:517:99 => p( lo) >= 1%', /position 99 is outside/],
    ['ablate 3:517:5 => p( lo) rises', /not an expectation/],
    ['ablate 3:517:5 => p( lo) >= 150%', /between 0 and 1/],
    ['ablate 3:517:5 => p( Once upon) >= 1%', /not one/],
  ])('refused: %s', (s, re) => {
    expect(refusal(() => parseTestSpec(s, tok, 512, T)).message).toMatch(re);
  });
});

describe('cwb explain / cwb verify', () => {
  const file = path.join(tmp, 'lily.circuit.json');
  const tests = [
    'none => p( lo) >= 60%', // breaks when layer 3's MLP changes
    'scale 3:-1:-1=1 => p( lo) >= 60%', // likewise, through an (identity) edit of layer 3's error node
    'ablate 3:-1:-1,4:-1:-1 => p( lo) >= 20%', // holds on both models
  ];
  beforeAll(() => {
    const r = cwb('explain', '--prompt', PROMPT, ...tests.flatMap((t) => ['--test', t]), '--out', file);
    expect(r.code, r.stderr).toBe(0);
  });

  it('an explanation made on the embedded model verifies (exit 0)', () => {
    const t0 = performance.now();
    const r = cwb('verify', file, '--json');
    console.log(`cwb verify (process, ${tests.length} tests): ${(performance.now() - t0).toFixed(0)} ms`);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.ok).toBe(true);
    expect(j.fingerprints.model.match).toBe(true);
    expect(j.drift.nodes.gained).toEqual([]);
    expect(j.drift.nodes.lost).toEqual([]);
    expect(j.drift.subgraphPresent).toBe(1);
    expect(j.tests.map((t: { passed: boolean }) => t.passed)).toEqual([true, true, true]);
  });

  it('on a copy with layer 3 MLP sign-flipped: fingerprint changed, drift, dependent tests fail (exit 1)', async () => {
    const dir = mkdtempSync(path.join(tmp, 'm-'));
    copyFileSync(path.join(path.dirname(embeddedModelPath), 'tok512.bin'), path.join(dir, 'tok512.bin'));
    const weights = new Map(spec.weights);
    const W = spec.weights.get('blocks.3.mlp.W_out')!;
    weights.set('blocks.3.mlp.W_out', { data: W.data.map((x) => -x), shape: W.shape });
    writeFileSync(path.join(dir, 'model.bin'), writeLlama2cV0({ ...spec, weights }));
    const r = cwb('verify', file, '--model', path.join(dir, 'model.bin'), '--json');
    expect(r.code, r.stderr).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j.fingerprints.model.match).toBe(false);
    expect(j.fingerprints.dictionary.match).toBe(true);
    expect(j.drift.nodes.gained.length + j.drift.nodes.lost.length).toBeGreaterThan(0);
    expect(j.drift.subgraphPresent).toBeLessThan(1);
    expect(j.tests.map((t: { passed: boolean }) => t.passed)).toEqual([false, false, true]);
    expect(j.tests[0].old.after).toBeGreaterThan(0.6);
    expect(j.tests[0].new.after).toBeLessThan(0.6);
    const text = cwb('verify', file, '--model', path.join(dir, 'model.bin'));
    expect(text.stdout).toMatch(/model fingerprint: CHANGED/);
    expect(text.stdout).toMatch(/FAIL t1/);
  });

  it('bad input exits 2 with one line and changes nothing', () => {
    const dir = mkdtempSync(path.join(tmp, 'b-'));
    mkdirSync(path.join(dir, 'sub'));
    const f = path.join(dir, 'evil.circuit.json');
    writeFileSync(f, readFileSync(file, 'utf8').replace('"formatVersion": 1', '"formatVersion": 7'));
    const before = listing(dir);
    const r = cwb('verify', f);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/format 7/);
    expect(listing(dir)).toEqual(before);
    expect(cwb('explain', '--prompt', PROMPT, '--test', 'ablate 3 => p( lo) >= 1%', '--out', path.join(dir, 'x.json')).code).toBe(2);
    expect(listing(dir)).toEqual(before);
  });
});
