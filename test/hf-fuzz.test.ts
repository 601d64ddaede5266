/** Fuzzing the Hugging Face folder parsers: bad input is a UserError naming the problem, never a crash. */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../main/errors';
import { parseHfConfig } from '../main/model/hf/config';
import { loadHfModel } from '../main/model/hf/load';
import { hfFixtureDir } from './hfFixtures';

const tmp = mkdtempSync(path.join(tmpdir(), 'cwb-hffuzz-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const userErrorOr = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
  }
};

describe('config.json', () => {
  const names = ['tiny-gpt2', 'tiny-llama', 'tiny-qwen2', 'tiny-qwen3', 'tiny-gemma2'];
  const configs = names.map((n) => JSON.parse(readFileSync(path.join(hfFixtureDir(n), 'config.json'), 'utf8')) as Record<string, unknown>);
  it('any key replaced by any JSON value, or removed: a valid ArchConfig or a UserError', () => {
    const value = fc.oneof(fc.constant(undefined), fc.constant(null), fc.integer({ min: -5, max: 1 << 20 }), fc.double(), fc.string(), fc.boolean(), fc.array(fc.integer()), fc.dictionary(fc.string(), fc.integer()));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: configs.length - 1 }), fc.nat(), value, (ci, ki, v) => {
        const c = { ...configs[ci] };
        const keys = Object.keys(c);
        const k = keys[ki % keys.length];
        if (v === undefined) delete c[k];
        else c[k] = v;
        userErrorOr(() => {
          const a = parseHfConfig(c, 'c.json').arch;
          for (const n of [a.dModel, a.nLayers, a.nHeads, a.nKvHeads, a.headDim, a.dMlp, a.vocabSize, a.maxSeqLen]) expect(Number.isInteger(n) && n > 0).toBe(true);
          expect(a.nHeads % a.nKvHeads).toBe(0);
        });
      }),
      { numRuns: 1500 },
    );
  });
  it('non-objects', () => {
    for (const v of [null, 3, 'x', [], [1]]) expect(() => parseHfConfig(v, 'c.json')).toThrow(UserError);
  });
});

describe('model.safetensors', () => {
  it('truncated or corrupted weight files give a UserError', () => {
    const dir = path.join(tmp, 'st');
    cpSync(hfFixtureDir('tiny-qwen3'), dir, { recursive: true });
    const good = readFileSync(path.join(hfFixtureDir('tiny-qwen3'), 'model.safetensors'));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4000 }), fc.integer({ min: 0, max: 255 }), fc.boolean(), (at, byte, cut) => {
        const buf = cut ? good.subarray(0, at) : Uint8Array.from(good.subarray(0, 4096), (b, i) => (i === at ? byte : b));
        writeFileSync(path.join(dir, 'model.safetensors'), cut ? buf : Buffer.concat([buf, good.subarray(4096)]));
        userErrorOr(() => loadHfModel(dir));
      }),
      { numRuns: 150 },
    );
  });
  it('a malformed shard index', () => {
    const dir = path.join(tmp, 'idx');
    cpSync(hfFixtureDir('tiny-llama'), dir, { recursive: true });
    for (const idx of ['{', '[]', '{"weight_map": 3}', '{"weight_map": {"model.embed_tokens.weight": "../x.safetensors"}}', '{"weight_map": {"a": "missing.safetensors"}}']) {
      writeFileSync(path.join(dir, 'model.safetensors.index.json'), idx);
      expect(() => loadHfModel(dir), idx).toThrow(UserError);
    }
  });
});
