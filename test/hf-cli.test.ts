/** The cwb commands on Hugging Face folders, as a user runs them (a real process through bin/cwb.js). */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../main/paths';
import { flat, hfFixtureDir, readExpected, worstRatio } from './hfFixtures';

function cwb(...args: string[]) {
  const r = spawnSync(process.execPath, [path.join(packageRoot, 'bin', 'cwb.js'), ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const tmp = mkdtempSync(path.join(os.tmpdir(), 'cwb-hfcli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('cwb on HF folders', () => {
  it('logits --ids reproduces the fixture (tiny Qwen2)', () => {
    const c = readExpected('tiny-qwen2').cases[0];
    const r = cwb('logits', '--model', hfFixtureDir('tiny-qwen2'), '--ids', c.input_ids.join(','), '--json');
    expect(r.stderr).toBe('');
    const got = JSON.parse(r.stdout) as { tokens: number[]; logits: number[][] };
    expect(got.tokens).toEqual(c.input_ids);
    expect(worstRatio(got.logits.flat(), flat(c.logits), 1e-4, 1e-4)).toBeLessThanOrEqual(1);
  });

  it('generate --ids on stories260K-hf with the llama2.c tokenizer continues as the reference', () => {
    const tok = path.join(packageRoot, 'assets', 'models', 'stories260K', 'tok512.bin');
    const r = cwb('generate', '--model', hfFixtureDir('stories260K-hf'), '--tokenizer', tok, '--ids', '1,403,407', '--steps', '20', '--temperature', '0');
    const ref = readExpected('stories260K-hf').greedy_200_from_bos!.text;
    expect(r.stdout.trimEnd()).toBe(ref.slice(0, r.stdout.trimEnd().length));
    expect(r.stdout.length).toBeGreaterThan(40);
  });

  it('--prompt without a tokenizer asks for --ids (exit 2, one line)', () => {
    const r = cwb('logits', '--model', hfFixtureDir('tiny-llama'), '--prompt', 'hi');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^cwb logits: .*has no tokenizer\.json: pass token ids with --ids/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('import reports family, size, dtype, memory and compatible dictionaries', () => {
    const dir = path.join(tmp, 'models');
    cpSync(hfFixtureDir('tiny-gemma2'), path.join(dir, 'tiny-gemma2'), { recursive: true });
    cpSync(path.join(import.meta.dirname, 'fixtures', 'gemmascope-tiny'), path.join(dir, 'gemmascope-tiny'), { recursive: true });
    const r = cwb('import', path.join(dir, 'tiny-gemma2'), '--json', '--prompt-length', '16');
    expect(r.stderr).toBe('');
    const rep = JSON.parse(r.stdout) as { family: string; parameters: number; storedDtypes: string[]; traceMemory: { promptTokens: number; totalBytes: number }; dictionaries: { path: string; compatible: boolean }[] };
    expect(rep.family).toBe('gemma2');
    expect(rep.parameters).toBe(384 * 48 + 48 + 3 * (3 * 48 + 48 * 64 + 2 * 48 * 32 + 64 * 48 + 3 * 96 * 48 + 48)); // embed + final norm + layers
    expect(rep.storedDtypes).toEqual(['F32']);
    expect(rep.traceMemory.promptTokens).toBe(16);
    expect(rep.dictionaries).toEqual([expect.objectContaining({ path: path.join(dir, 'gemmascope-tiny'), compatible: true })]);
    const q = cwb('import', hfFixtureDir('tiny-qwen3'));
    expect(q.stdout).toMatch(/family {6}qwen3: 3 layers, d_model 48/);
    expect(q.stdout).toMatch(/stored BF16; the engine computes in float32/);
  });

  it('import of a broken folder names what is missing (exit 2)', () => {
    const dir = path.join(tmp, 'broken');
    cpSync(hfFixtureDir('tiny-llama'), dir, { recursive: true });
    rmSync(path.join(dir, 'model.safetensors'));
    const r = cwb('import', dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no model\.safetensors or model\.safetensors\.index\.json/);
  });
});
