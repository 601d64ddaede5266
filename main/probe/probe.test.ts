/**
 * Linear probes end to end on the embedded model: a label planted as a linear function of a hook's activation
 * (computed by the independent reference forward, one sequence at a time, no padding) is recovered from the
 * batched, padded forward program; shuffled labels give chance. Metrics and the data parser are checked
 * against brute force and fuzzed.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ModelSpec } from '../../shared/model';
import { loadModel } from '../model/load';
import type { Tokenizer } from '../tokenizer/types';
import { referenceForward } from '../reference/forward';
import { Rng } from '../engine/sampler';
import { UserError } from '../errors';
import { readLabeled, parseStreamLine } from './data';
import { loadProbe, saveProbe } from './file';
import { auroc } from './metrics';
import { evalProbe, trainProbe } from './train';

let spec: ModelSpec;
let tok: Tokenizer;
let dir: string;
const HOOK = 'blocks.2.hook_resid_post';
const N = 1000;
let seqs: number[][];
let planted: Uint8Array;

beforeAll(async () => {
  ({ spec, tokenizer: tok } = await loadModel());
  dir = mkdtempSync(path.join(os.tmpdir(), 'cwb-probe-'));
  const rng = new Rng(7);
  seqs = Array.from({ length: N }, () => [1, ...Array.from({ length: 3 + (rng.u32() % 18) }, () => 3 + (rng.u32() % 509))]);
  // Label = sign of a random direction's projection of the last position's activation, centred at the median.
  const d = spec.config.dModel;
  const u = Array.from({ length: d }, () => rng.f32() - 0.5);
  const proj = seqs.map((s) => {
    const x = referenceForward(spec, [s], { outputs: [HOOK] }).get(HOOK)!.data;
    const base = (s.length - 1) * d;
    return u.reduce((acc, uj, j) => acc + uj * x[base + j], 0);
  });
  const median = [...proj].sort((a, b) => a - b)[N / 2];
  planted = Uint8Array.from(proj, (p) => (p >= median ? 1 : 0));
});

function writeData(name: string, labels: Uint8Array): string {
  const file = path.join(dir, name);
  writeFileSync(file, seqs.map((ids, i) => JSON.stringify({ id: i, ids, label: labels[i] })).join('\n') + '\n');
  return file;
}

const ctx = () => ({ tokenizer: tok, vocabSize: spec.config.vocabSize, maxSeqLen: spec.config.maxSeqLen });

describe('linear probe', () => {
  it('recovers a planted linear signal (test AUROC ≈ 1) and round-trips through its file', async () => {
    const data = readLabeled(writeData('planted.jsonl', planted), ctx());
    const probe = await trainProbe(spec, data, { hook: HOOK, position: 'last', seed: 0, batchTokens: 2048 });
    expect(probe.metrics.test.n).toBe(200);
    expect(probe.metrics.test.auroc!).toBeGreaterThan(0.98);
    const file = path.join(dir, 'p.json');
    saveProbe(file, probe);
    const again = loadProbe(file, spec);
    const r = await evalProbe(spec, again, data);
    expect(r.scope).toBe('test split');
    expect(r.metrics.auroc).toBeCloseTo(probe.metrics.test.auroc!, 10);
  });

  it('is at chance on shuffled labels', async () => {
    const rng = new Rng(99);
    const shuffled = Uint8Array.from(planted);
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = rng.u32() % (i + 1);
      [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
    }
    const data = readLabeled(writeData('shuffled.jsonl', shuffled), ctx());
    const probe = await trainProbe(spec, data, { hook: HOOK, position: 'last', seed: 0 });
    // Under the null, the test AUROC (100 positives, 100 negatives) has sd √((n₁+n₂+1)/(12 n₁ n₂)) ≈ 0.041:
    // 4 sd ≈ 0.16 leaves a false-failure rate below 1e-4 while a probe that learned the planted signal (> 0.98)
    // or even a weak one (> 0.66) would fail it.
    expect(Math.abs(probe.metrics.test.auroc! - 0.5)).toBeLessThan(0.16);
  });

  it('rejects bad probe files and labeled data with one clear line', () => {
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ format: 'cwb-probe', version: 2 }));
    expect(() => loadProbe(bad, spec)).toThrow(UserError);
    const badData = path.join(dir, 'bad.jsonl');
    writeFileSync(badData, '{"prompt": "hi", "label": 3}\n');
    expect(() => readLabeled(badData, ctx())).toThrow(/bad\.jsonl:1: label/);
  });
});

describe('metrics and parsing', () => {
  it('AUROC equals the pairwise probability with ties counting ½', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 1 })), { minLength: 2, maxLength: 40 }), (xs) => {
        const s = xs.map((x) => x[0]);
        const y = xs.map((x) => x[1]);
        let num = 0;
        let den = 0;
        for (let i = 0; i < xs.length; i++) for (let j = 0; j < xs.length; j++) {
          if (y[i] === 1 && y[j] === 0) {
            den++;
            num += s[i] > s[j] ? 1 : s[i] === s[j] ? 0.5 : 0;
          }
        }
        const a = auroc(s, y);
        if (den === 0) expect(a).toBeNull();
        else expect(a!).toBeCloseTo(num / den, 12);
      }),
    );
  });

  it('stream lines: any input gives an item, null or a UserError, never another exception', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (line) => {
        try {
          parseStreamLine(line, 'x:1');
        } catch (e) {
          expect(e).toBeInstanceOf(UserError);
        }
      }),
      { numRuns: 500 },
    );
  });
});
