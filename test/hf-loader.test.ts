/** Hugging Face folder loading: errors name what is wrong; every family hook exists; sharded = single file. */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../main/errors';
import { loadHfModel } from '../main/model/hf/load';
import { parseHfConfig } from '../main/model/hf/config';
import { loadModel } from '../main/model/load';
import { parseSafetensors, writeSafetensors } from '../main/dictionary/safetensors';
import { modelHookNames } from '../shared/hooks';
import { floatToHalf, halfToFloat } from '../main/dictionary/halfFloat';
import { runForward } from '../native/forwardRun';
import { maxAbsDiff, randomDictionary } from './helpers';
import { flat, hfFixtureDir, readExpected, worstRatio } from './hfFixtures';
import { runLens } from '../native/lensRun';
import { createDecoder } from '../native/decodeRun';
import { checkDictionaryFits } from '../main/dictionary/encode';

const tmp = mkdtempSync(path.join(tmpdir(), 'cwb-hf-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const config = (name: string) => JSON.parse(readFileSync(path.join(hfFixtureDir(name), 'config.json'), 'utf8')) as Record<string, unknown>;

describe('config.json errors', () => {
  it('unknown or missing model_type', () => {
    expect(() => parseHfConfig({ ...config('tiny-llama'), model_type: 'mamba' }, 'c.json')).toThrow(/model_type "mamba" is not supported \(supported: gpt2, llama/);
    const { model_type: _, ...rest } = config('tiny-llama');
    expect(() => parseHfConfig(rest, 'c.json')).toThrow(/missing key "model_type"/);
  });
  it('missing keys are named', () => {
    const { hidden_size: _, ...rest } = config('tiny-qwen2');
    expect(() => parseHfConfig(rest, 'c.json')).toThrow(UserError);
    expect(() => parseHfConfig(rest, 'c.json')).toThrow(/missing key "hidden_size"/);
    const { n_embd: __, ...g } = config('tiny-gpt2');
    expect(() => parseHfConfig(g, 'c.json')).toThrow(/missing key "n_embd"/);
  });
  it('unsupported rope scaling and activation are refused', () => {
    expect(() => parseHfConfig({ ...config('tiny-llama'), rope_scaling: { rope_type: 'yarn', factor: 4 } }, 'c.json')).toThrow(/rope scaling type "yarn"/);
    expect(() => parseHfConfig({ ...config('tiny-llama'), rope_scaling: { rope_type: 'llama3', factor: 8 } }, 'c.json')).toThrow(/missing "low_freq_factor"/);
    expect(() => parseHfConfig({ ...config('tiny-llama'), hidden_act: 'relu' }, 'c.json')).toThrow(/activation "relu"/);
  });
  it('family choices', () => {
    const g = parseHfConfig(config('tiny-gemma2'), 'c.json').arch;
    expect(g.slidingWindow).toEqual({ size: 8, layers: [0, 2] });
    expect(g.attnScale).toBeCloseTo(1 / Math.sqrt(24));
    expect(g.tiedEmbeddings).toBe(true);
    expect(parseHfConfig(config('tiny-qwen2'), 'c.json').arch.slidingWindow).toBeUndefined();
    expect(parseHfConfig(config('tiny-qwen3'), 'c.json').arch.headDim).toBe(16);
    expect(parseHfConfig(config('tiny-gpt2'), 'c.json').arch.dMlp).toBe(128);
    // head_dim absent: the config classes' defaults (Gemma2Config 256, Qwen3Config 128, else hidden / heads).
    const without = (n: string) => Object.fromEntries(Object.entries(config(n)).filter(([k]) => k !== 'head_dim'));
    expect([parseHfConfig(without('tiny-gemma2'), 'c').arch.headDim, parseHfConfig(without('tiny-qwen3'), 'c').arch.headDim, parseHfConfig(without('tiny-llama'), 'c').arch.headDim]).toEqual([256, 128, 16]);
  });
});

describe('folder errors', () => {
  it('missing tensors and wrong shapes name the tensor', () => {
    const dir = path.join(tmp, 'broken');
    cpSync(hfFixtureDir('tiny-llama'), dir, { recursive: true });
    const tensors = parseSafetensors(readFileSync(path.join(dir, 'model.safetensors')), 'x');
    tensors.delete('model.layers.1.mlp.up_proj.weight');
    writeFileSync(path.join(dir, 'model.safetensors'), writeSafetensors(new Map([...tensors].map(([k, t]) => [k, { data: t.data, shape: t.shape }]))));
    expect(() => loadHfModel(dir)).toThrow(/missing tensor model\.layers\.1\.mlp\.up_proj\.weight/);
    cpSync(path.join(hfFixtureDir('tiny-llama'), 'model.safetensors'), path.join(dir, 'model.safetensors'));
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...config('tiny-llama'), intermediate_size: 100 }));
    expect(() => loadHfModel(dir)).toThrow(/has shape \[128, 64\] but config.json implies \[100, 64\]/);
  });
  it('a folder without weights or config', async () => {
    const dir = path.join(tmp, 'empty');
    cpSync(path.join(hfFixtureDir('tiny-llama'), 'config.json'), path.join(dir, 'config.json'));
    await expect(loadModel({ model: dir })).rejects.toThrow(/no model\.safetensors or model\.safetensors\.index\.json/);
    rmSync(path.join(dir, 'config.json'));
    await expect(loadModel({ model: dir })).rejects.toThrow(/no config\.json/);
  });
  it('a model without tokenizer asks for --ids', async () => {
    const { tokenizer } = await loadModel({ model: hfFixtureDir('tiny-qwen2') });
    expect(() => tokenizer.encode('hello')).toThrow(/--ids/);
  });
});

describe('sharded checkpoints', () => {
  it('an index over two shards loads the same weights as the single file', async () => {
    const dir = path.join(tmp, 'sharded');
    cpSync(path.join(hfFixtureDir('tiny-gemma2'), 'config.json'), path.join(dir, 'config.json'));
    const tensors = [...parseSafetensors(readFileSync(path.join(hfFixtureDir('tiny-gemma2'), 'model.safetensors')), 'x')];
    const halves = [tensors.slice(0, 20), tensors.slice(20)];
    const weightMap: Record<string, string> = {};
    halves.forEach((h, i) => {
      const file = `model-0000${i + 1}-of-00002.safetensors`;
      // BF16 storage in the second shard exercises mixed dtypes too.
      writeFileSync(path.join(dir, file), writeSafetensors(new Map(h.map(([k, t]) => [k, { data: t.data, shape: t.shape }])), undefined, i === 1 ? 'BF16' : 'F32'));
      for (const [k] of h) weightMap[k] = file;
    });
    writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
    const a = loadHfModel(dir);
    const b = loadHfModel(hfFixtureDir('tiny-gemma2'));
    expect(a.format).toBe('hf-gemma2-bf16+f32');
    for (const [k, t] of b.weights) expect(maxAbsDiff(a.weights.get(k)!.data, t.data), k).toBeLessThan(0.02 * (1 + Math.max(...t.data.map(Math.abs))));
    writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { ...weightMap, extra: 'model-00003-of-00002.safetensors' } }));
    expect(() => loadHfModel(dir)).toThrow(/missing|listed/);
  });
});

describe('F16 storage', () => {
  it('weights are the F16 values exactly, widened to float32', () => {
    const dir = path.join(tmp, 'f16');
    cpSync(path.join(hfFixtureDir('tiny-gpt2'), 'config.json'), path.join(dir, 'config.json'));
    const tensors = parseSafetensors(readFileSync(path.join(hfFixtureDir('tiny-gpt2'), 'model.safetensors')), 'x');
    writeFileSync(path.join(dir, 'model.safetensors'), writeSafetensors(new Map([...tensors].map(([k, t]) => [k, { data: t.data, shape: t.shape }])), undefined, 'F16'));
    const a = loadHfModel(dir);
    expect(a.format).toBe('hf-gpt2-f16');
    const wte = tensors.get('transformer.wte.weight')!.data;
    const got = a.weights.get('embed.W_E')!.data;
    for (let i = 0; i < wte.length; i += 97) expect(got[i]).toBe(halfToFloat(floatToHalf(wte[i])));
  });
});

describe.each(['tiny-gpt2', 'tiny-llama', 'tiny-qwen2', 'tiny-qwen3', 'tiny-gemma2'])('%s: KV-cache decode step', (name) => {
  it('reproduces the forward logits at every position (40 tokens: past Gemma-2\'s sliding window)', async () => {
    const spec = loadHfModel(hfFixtureDir(name));
    const ids = readExpected(name).cases[2].input_ids;
    const full = (await runForward(spec, { tokens: [ids], outputs: ['logits'] })).get('logits')!.data;
    const dec = createDecoder(spec, 2);
    const V = spec.config.vocabSize;
    let worst = 0;
    for (let t = 0; t < ids.length; t++) {
      const rows = await dec.step([ids[t], ids[t]]);
      worst = Math.max(worst, maxAbsDiff(rows.subarray(0, V), full.subarray(t * V, (t + 1) * V)), maxAbsDiff(rows.subarray(V), full.subarray(t * V, (t + 1) * V)));
    }
    expect(worst).toBeLessThan(1e-4);
  });
});

describe('dictionaries declare their hooks', () => {
  it('a dictionary reading a hook the model lacks is refused', () => {
    const spec = loadHfModel(hfFixtureDir('tiny-llama'));
    const dict = { ...randomDictionary({ d: 64, L: 2, D: 8, kind: 'plt', activation: { kind: 'relu' } }), inputHook: 'ln2_post.hook_normalized' };
    expect(() => checkDictionaryFits(spec, dict)).toThrow(/uses hook ln2_post\.hook_normalized, which model tiny-llama does not have/);
  });
});

describe.each(['tiny-gpt2', 'tiny-gemma2'])('%s: logit lens', (name) => {
  it('of the last residual stream equals the model logits (LayerNorm / soft-cap included)', async () => {
    const spec = loadHfModel(hfFixtureDir(name));
    const c = readExpected(name).cases[1];
    const L = spec.config.nLayers;
    const out = await runForward(spec, { tokens: [c.input_ids], outputs: ['logits', `blocks.${L - 1}.hook_resid_post`] });
    const lens = await runLens(spec, out.get(`blocks.${L - 1}.hook_resid_post`)!, { withLogits: true });
    expect(maxAbsDiff(lens.logits!, out.get('logits')!.data)).toBeLessThan(1e-5);
    expect(worstRatio(lens.logits!, flat(c.logits), 1e-4, 1e-4)).toBeLessThanOrEqual(1);
  });
});

describe.each(['tiny-gpt2', 'tiny-qwen3', 'tiny-gemma2'])('%s: every hook of the family', (name) => {
  it('is computed, with the documented identities', async () => {
    const spec = loadHfModel(hfFixtureDir(name));
    const hooks = modelHookNames(spec.config);
    const out = await runForward(spec, { tokens: [[spec.config.bosId, 5, 9, 13, 2, 7]], outputs: hooks });
    // Scores hold -inf where masked; everything else is finite.
    for (const h of hooks) if (!h.endsWith('hook_attn_scores')) expect(out.get(h)!.data.every(Number.isFinite), h).toBe(true);
    const v = (h: string) => out.get(h)!.data;
    const add = (a: Float32Array, b: Float32Array) => a.map((x, i) => x + b[i]);
    for (let l = 0; l < spec.config.nLayers; l++) {
      expect(maxAbsDiff(v(`blocks.${l}.hook_resid_mid`), add(v(`blocks.${l}.hook_resid_pre`), v(`blocks.${l}.hook_attn_out`)))).toBeLessThan(1e-5);
      expect(maxAbsDiff(v(`blocks.${l}.hook_resid_post`), add(v(`blocks.${l}.hook_resid_mid`), v(`blocks.${l}.hook_mlp_out`)))).toBeLessThan(1e-5);
    }
    if (spec.config.sandwichNorms) {
      // hook_mlp_out = ln2_post.hook_normalized ⊙ (1 + w)
      const gain = spec.weights.get('blocks.1.ln2_post.w')!.data;
      const n = v('blocks.1.ln2_post.hook_normalized');
      expect(maxAbsDiff(v('blocks.1.hook_mlp_out'), n.map((x, i) => x * gain[i % gain.length]))).toBeLessThan(1e-5);
    }
  });
});
