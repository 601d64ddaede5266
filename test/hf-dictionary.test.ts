/**
 * Published transcoder layouts on HF models: GemmaScope params.npz (W_enc stored (d, D)), written by numpy
 * (test/fixtures/gemmascope-tiny/make.py: np.savez and np.savez_compressed) for tiny Gemma-2. Encoding matches
 * numpy's float64 JumpReLU activations, and attribution with it passes the intervention check. The npz parser
 * is fuzzed: corrupt archives give a UserError, never a crash.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { graphLayout } from '../shared/graph';
import { UserError } from '../main/errors';
import { loadDictionary } from '../main/dictionary/format';
import { gemmaScopeLayer } from '../main/dictionary/import/gemmaScope';
import { parseNpz, writeNpz } from '../main/dictionary/import/npz';
import { writeSafetensors } from '../main/dictionary/safetensors';
import { loadHfModel } from '../main/model/hf/load';
import { idsOnlyTokenizer } from '../main/model/hf/open';
import { runForward } from '../native/forwardRun';
import { runEncode } from '../native/encodeRun';
import { attributeGraph } from '../main/attribution/attribute';
import { buildPromptContext } from '../main/attribution/context';
import { Rng } from '../main/engine/sampler';
import { hfFixtureDir } from './hfFixtures';
import { checkAdjacencyColumns } from './attributionCheck';

const dir = path.join(import.meta.dirname, 'fixtures', 'gemmascope-tiny');
const npz0 = readFileSync(path.join(dir, 'layer_0', 'params.npz'));
const npz1 = readFileSync(path.join(dir, 'layer_1', 'params.npz')); // deflate

describe('npz', () => {
  it('reads numpy archives (stored and deflate) and round-trips its own writer', () => {
    for (const buf of [npz0, npz1]) {
      const a = parseNpz(buf, 'p.npz');
      expect([...a.keys()].sort()).toEqual(['W_dec', 'W_enc', 'b_dec', 'b_enc', 'threshold']);
      expect(a.get('W_enc')!.shape).toEqual([48, 32]);
      const back = parseNpz(writeNpz(a), 'x.npz');
      for (const [k, t] of a) expect(back.get(k)).toEqual(t);
    }
  });
  it('GemmaScope W_enc (d, D) is transposed to (D, d)', () => {
    const raw = parseNpz(npz0, 'p.npz').get('W_enc')!;
    const layer = gemmaScopeLayer(npz0, 'p.npz').get('W_enc')!;
    expect(layer.shape).toEqual([32, 48]);
    for (const [i, j] of [[0, 1], [5, 17], [47, 31]]) expect(layer.data[j * 48 + i]).toBe(raw.data[i * 32 + j]);
    const wrong = parseNpz(npz0, 'p.npz');
    wrong.set('W_enc', { data: layer.data, shape: [32, 48] });
    expect(() => gemmaScopeLayer(writeNpz(wrong), 'w.npz')).toThrow(/W_enc has shape \[32, 48\] but GemmaScope stores it \(d, D\) = \[48, 32\]/);
    wrong.delete('threshold');
    expect(() => gemmaScopeLayer(writeNpz(wrong), 'w.npz')).toThrow(/missing array threshold/);
  });
  it('fuzz: truncated or corrupted archives give a UserError', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: npz1.length - 1 }), fc.integer({ min: 0, max: 255 }), fc.boolean(), (at, byte, cut) => {
        const buf = cut ? npz1.subarray(0, at) : Uint8Array.from(npz1, (b, i) => (i === at ? byte : b));
        try {
          parseNpz(buf, 'f.npz');
        } catch (e) {
          if (!(e instanceof UserError)) throw e;
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('GemmaScope-2 PLT safetensors (w_enc (d, D), affine_skip_connection)', () => {
  it('loads as the same transcoder, with W_skip = affine_skip_connectionᵀ', async () => {
    const gs2 = path.join(tmpdir(), `cwb-gs2-${process.pid}`);
    mkdirSync(gs2, { recursive: true });
    const files: string[] = [];
    for (let l = 0; l < 3; l++) {
      const a = parseNpz(readFileSync(path.join(dir, `layer_${l}`, 'params.npz')), 'p');
      const skip = { data: Float32Array.from({ length: 48 * 48 }, (_, i) => Math.sin(i + l)), shape: [48, 48] };
      const t = new Map([['w_enc', a.get('W_enc')!], ['w_dec', a.get('W_dec')!], ['b_enc', a.get('b_enc')!], ['b_dec', a.get('b_dec')!], ['threshold', a.get('threshold')!], ['affine_skip_connection', skip]]);
      files.push(`l${l}.safetensors`);
      writeFileSync(path.join(gs2, files[l]), writeSafetensors(t));
    }
    writeFileSync(path.join(gs2, 'config.yaml'), `model_kind: transcoder_set\nfeature_input_hook: ln2.hook_normalized\nfeature_output_hook: hook_mlp_out\ntranscoders:\n${files.map((f) => `  - ${f}\n`).join('')}`);
    const [g2, g1] = [await loadDictionary(gs2), await loadDictionary(dir)];
    rmSync(gs2, { recursive: true, force: true });
    for (let l = 0; l < 3; l++) {
      expect(g2.layers[l].W_enc).toEqual(g1.layers[l].W_enc);
      expect(g2.layers[l].threshold).toEqual(g1.layers[l].threshold);
      const W = g2.layers[l].W_skip!.data;
      for (const [i, j] of [[0, 1], [7, 30], [47, 2]]) expect(W[j * 48 + i]).toBeCloseTo(Math.sin(i * 48 + j + l), 6);
    }
  });
});

describe('GemmaScope dictionary on tiny Gemma-2', () => {
  it('loads as a JumpReLU PLT reading ln2.hook_normalized', async () => {
    const dict = await loadDictionary(dir);
    expect([dict.kind, dict.inputHook, dict.outputHook, dict.activation.kind, dict.nFeatures, dict.dModel, dict.nLayers]).toEqual(['plt', 'ln2.hook_normalized', 'hook_mlp_out', 'jumprelu', 32, 48, 3]);
  });

  it('layer-0 activations equal numpy float64 from the fixture expectations', async () => {
    const dict = await loadDictionary(dir);
    const spec = loadHfModel(hfFixtureDir('tiny-gemma2'));
    const exp = JSON.parse(readFileSync(path.join(dir, 'expected_layer0.json'), 'utf8')) as { input_ids: number[]; act: { data: number[][] } };
    const names = [0, 1, 2].map((l) => `blocks.${l}.ln2.hook_normalized`);
    const out = await runForward(spec, { tokens: [exp.input_ids], outputs: names });
    const T = exp.input_ids.length;
    const x = names.map((n) => ({ data: out.get(n)!.data, shape: [T, 48] }));
    const enc = await runEncode(dict, { x, zeroPositions: 0 });
    const want = exp.act.data.flat();
    const got = enc.act[0].data;
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
    expect(want.filter((v) => v > 0).length).toBeGreaterThan(100);
    expect(worst).toBeLessThan(1e-4);
  });

  it('attribution edges equal forward interventions', async () => {
    const dict = await loadDictionary(dir);
    const spec = loadHfModel(hfFixtureDir('tiny-gemma2'));
    const tok = idsOnlyTokenizer(spec);
    const rng = new Rng(3);
    const tokens = [spec.config.bosId, ...Array.from({ length: 11 }, () => 3 + (rng.u32() % 380))];
    const graph = await attributeGraph(spec, dict, tok, tokens, { targets: { kind: 'salient' }, batchSize: 64 });
    const ctx = await buildPromptContext(spec, dict, tokens);
    const lay = graphLayout(graph);
    expect(lay.F).toBeGreaterThan(20);
    const sources = [...Array(lay.N - lay.K).keys()].filter((s) => s < lay.F || s >= lay.errorStart);
    const { worst, checked } = await checkAdjacencyColumns(spec, dict, tok, graph, ctx, { kind: 'salient' }, sources);
    expect(checked).toBeGreaterThan(100);
    expect(worst).toBeLessThanOrEqual(1);
  });
});
