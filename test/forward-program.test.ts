/**
 * The onnxruntime forward program against the plain-TypeScript reference: every hook tensor of every layer,
 * interventions, freezing, dynamic shapes.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { ModelSpec } from '../shared/model';
import type { Tensor } from '../shared/tensor';
import { allHookNames } from '../shared/hooks';
import { loadModel } from '../main/model/load';
import { referenceForward } from '../main/reference/forward';
import { Rng } from '../main/engine/sampler';
import { runForward } from '../native/forwardRun';
import { sessionCount } from '../native/session';
import { randomLlama, randomTokens, tolRatio } from './helpers';

let spec: ModelSpec;
beforeAll(async () => {
  spec = (await loadModel()).spec;
});

/**
 * Within 1e-5 of the tensor's own scale (max(1, max|x|)). Attention scores reach |x| ≈ 75 here, where one
 * float32 ulp is 8e-6: onnxruntime sums in float32 in its own order, the reference in float64.
 */
function expectClose(got: Tensor, want: Tensor, name: string, tol = 1e-5): void {
  expect(got.shape, name).toEqual(want.shape);
  let scale = 1;
  for (const x of want.data) if (Number.isFinite(x)) scale = Math.max(scale, Math.abs(x));
  const r = tolRatio(got.data, want.data, tol * scale);
  expect(r, `${name}: worst error is ${r.toFixed(2)}× the tolerance`).toBeLessThanOrEqual(1);
}

function checkAllHooks(model: ModelSpec, tokens: number[][]) {
  return async () => {
    const hooks = allHookNames(model.config.nLayers);
    const got = await runForward(model, { tokens, outputs: hooks });
    const want = referenceForward(model, tokens, { outputs: hooks });
    for (const h of hooks) expectClose(got.get(h)!, want.get(h)!, h);
  };
}

describe('forward program = reference, every hook', () => {
  const rng = new Rng(11);
  it('embedded model, one 24-token sequence', async () => checkAllHooks(spec, [randomTokens(rng, 24, 512)])());
  it('embedded model, batch of 3', async () => checkAllHooks(spec, [0, 1, 2].map(() => randomTokens(rng, 9, 512)))());
  it('random model: MHA (K = H), rotate-half RoPE, untied unembedding', async () =>
    checkAllHooks(randomLlama({ nKvHeads: 4, rope: { kind: 'half', theta: 500000 }, tiedEmbeddings: false }, 5), [randomTokens(rng, 17, 64)])());
  it('random model: 4 query heads per kv head', async () =>
    checkAllHooks(randomLlama({ nHeads: 8, nKvHeads: 2, headDim: 4 }, 6), [randomTokens(rng, 12, 64)])());
});

describe('interventions', () => {
  const rng = new Rng(3);
  const tokens = [randomTokens(rng, 12, 512)];

  it('a zero delta changes nothing', async () => {
    const clean = await runForward(spec, { tokens, outputs: ['logits'] });
    const zero = await runForward(spec, {
      tokens,
      outputs: ['logits'],
      interventions: [{ hook: 'blocks.2.hook_mlp_out', op: 'add', value: new Float32Array(64), positions: [3, 7] }],
    });
    expect(zero.get('logits')!.data).toEqual(clean.get('logits')!.data);
  });

  it('a delta at hook_mlp_out equals the same change made in the reference', async () => {
    const value = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i) * 0.7);
    const iv = [{ hook: 'blocks.1.hook_mlp_out', op: 'add' as const, value, positions: [5] }];
    const outs = ['logits', 'blocks.1.hook_resid_post', 'blocks.3.mlp.hook_in'];
    const got = await runForward(spec, { tokens, outputs: outs, interventions: iv });
    const want = referenceForward(spec, tokens, { outputs: outs, interventions: iv });
    const clean = await runForward(spec, { tokens, outputs: outs });
    for (const h of outs) expectClose(got.get(h)!, want.get(h)!, h);
    // The edit is real: position 5 moved, position 4 did not.
    const V = 512;
    const l = got.get('logits')!.data;
    const c = clean.get('logits')!.data;
    expect(Math.max(...l.subarray(5 * V, 6 * V).map((x, i) => Math.abs(x - c[5 * V + i])))).toBeGreaterThan(1e-2);
    expect(l.subarray(4 * V, 5 * V)).toEqual(c.subarray(4 * V, 5 * V));
  });

  it('set on a pattern and on a residual matches the reference', async () => {
    const pattern = new Float32Array(8 * 12);
    for (let h = 0; h < 8; h++) pattern[h * 12 + 0] = 1; // every head of query 6 attends only to BOS
    const iv = [
      { hook: 'blocks.0.attn.hook_pattern', op: 'set' as const, value: pattern, positions: [6] },
      { hook: 'blocks.2.hook_resid_pre', op: 'set' as const, value: new Float32Array(64).fill(0.1), positions: [2], batch: 0 },
    ];
    const outs = ['logits', 'blocks.0.attn.hook_pattern', 'blocks.0.attn.hook_z'];
    const got = await runForward(spec, { tokens, outputs: outs, interventions: iv });
    const want = referenceForward(spec, tokens, { outputs: outs, interventions: iv });
    for (const h of outs) expectClose(got.get(h)!, want.get(h)!, h);
  });

  it('frozen patterns and scales from a clean run reproduce it exactly', async () => {
    const L = spec.config.nLayers;
    const frozenHooks = ['ln_final.hook_scale'];
    for (let l = 0; l < L; l++) frozenHooks.push(`blocks.${l}.attn.hook_pattern`, `blocks.${l}.ln1.hook_scale`, `blocks.${l}.ln2.hook_scale`);
    const clean = await runForward(spec, { tokens, outputs: ['logits', ...frozenHooks] });
    const freeze = new Map(frozenHooks.map((h) => [h, clean.get(h)!]));
    const frozen = await runForward(spec, { tokens, outputs: ['logits'], freeze });
    expect(tolRatio(frozen.get('logits')!.data, clean.get('logits')!.data, 1e-6)).toBeLessThanOrEqual(1);
  });

  it('frozen runs are linear: the response to a delta scales with the delta', async () => {
    const L = spec.config.nLayers;
    const frozenHooks = ['ln_final.hook_scale'];
    for (let l = 0; l < L; l++) {
      frozenHooks.push(`blocks.${l}.attn.hook_pattern`, `blocks.${l}.ln1.hook_scale`, `blocks.${l}.ln2.hook_scale`, `blocks.${l}.hook_mlp_out`);
    }
    const clean = await runForward(spec, { tokens, outputs: ['logits', ...frozenHooks] });
    const freeze = new Map(frozenHooks.map((h) => [h, clean.get(h)!]));
    const v = Float32Array.from({ length: 64 }, (_, i) => Math.cos(i));
    const run = (k: number) =>
      runForward(spec, { tokens, outputs: ['logits'], freeze, interventions: [{ hook: 'hook_embed', op: 'add', value: v.map((x) => x * k), positions: [2] }] });
    const [a, b] = [await run(1), await run(3)];
    const base = clean.get('logits')!.data;
    const da = a.get('logits')!.data.map((x, i) => x - base[i]);
    const db = b.get('logits')!.data.map((x, i) => x - base[i]);
    expect(tolRatio(db, da.map((x) => 3 * x), 1e-4, 1e-4)).toBeLessThanOrEqual(1);
  });

  it('rejects bad requests with clear messages', async () => {
    await expect(runForward(spec, { tokens, outputs: ['blocks.9.hook_resid_pre'] })).rejects.toThrow(/unknown hook "blocks.9.hook_resid_pre"/);
    await expect(runForward(spec, { tokens: [[1, 600]], outputs: ['logits'] })).rejects.toThrow(/outside the vocabulary/);
    await expect(
      runForward(spec, { tokens, outputs: ['logits'], interventions: [{ hook: 'hook_embed', op: 'add', value: new Float32Array(3) }] }),
    ).rejects.toThrow(/one position needs 64/);
    await expect(runForward(spec, { tokens: [Array(513).fill(1)], outputs: ['logits'] })).rejects.toThrow(/context of 512/);
  });
});

describe('sessions', () => {
  it('one session serves every batch size and length', async () => {
    await runForward(spec, { tokens: [[1, 5, 6]], outputs: ['blocks.0.hook_resid_mid'] });
    const n = sessionCount();
    await runForward(spec, { tokens: [[1, 5, 6, 7, 8], [1, 9, 9, 9, 9]], outputs: ['blocks.0.hook_resid_mid'] });
    expect(sessionCount()).toBe(n);
  });
});
