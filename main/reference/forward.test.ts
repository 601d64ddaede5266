import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { allHookNames, hookShape } from '../../shared/hooks';
import type { ArchConfig, ModelSpec } from '../../shared/model';
import type { Tensor } from '../../shared/tensor';
import expected from './__fixtures__/stories260k-expected.json';
import { referenceForward } from './forward';

const CHECKPOINT = fileURLToPath(new URL('../../assets/models/stories260K/stories260K.bin', import.meta.url));

/**
 * TEST-ONLY STAND-IN for `loadLlama2cCheckpoint` (main/model/llama2c.ts, written separately): a minimal parser
 * of the legacy (version 0) llama2.c layout, so these tests do not depend on the real loader. Do not reuse.
 */
async function loadLegacyLlama2cForTest(path: string): Promise<ModelSpec> {
  const buf = await readFile(path);
  const [dim, hidden, nLayers, nHeads, nKvHeads, vocabSigned, seqLen] = Array.from(new Int32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + 28)));
  const vocab = Math.abs(vocabSigned);
  const headDim = dim / nHeads;
  const kvDim = nKvHeads * headDim;
  let off = 28;
  const take = (shape: number[]): Tensor => {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(buf.buffer.slice(buf.byteOffset + off, buf.byteOffset + off + 4 * n));
    off += 4 * n;
    return { data, shape };
  };
  const perLayer = (shape: number[]): Tensor[] => {
    const all = take([nLayers, ...shape]);
    const n = all.data.length / nLayers;
    return Array.from({ length: nLayers }, (_, l) => ({ data: all.data.slice(l * n, (l + 1) * n), shape }));
  };
  const weights = new Map<string, Tensor>();
  const embed = take([vocab, dim]);
  weights.set('embed.W_E', embed);
  const groups: [string, number[]][] = [
    ['ln1.w', [dim]], ['attn.W_Q', [dim, dim]], ['attn.W_K', [kvDim, dim]], ['attn.W_V', [kvDim, dim]], ['attn.W_O', [dim, dim]],
    ['ln2.w', [dim]], ['mlp.W_gate', [hidden, dim]], ['mlp.W_out', [dim, hidden]], ['mlp.W_in', [hidden, dim]],
  ];
  for (const [name, shape] of groups) perLayer(shape).forEach((t, l) => weights.set(`blocks.${l}.${name}`, t));
  weights.set('ln_final.w', take([dim]));
  if (vocabSigned < 0) throw new Error('test stand-in handles tied classifiers only');
  weights.set('unembed.W_U', embed);
  const config: ArchConfig = {
    family: 'llama2c', norm: 'rms', mlp: 'gated-silu', rope: { kind: 'interleaved', theta: 10000 }, tiedEmbeddings: true,
    dModel: dim, nLayers, nHeads, nKvHeads, headDim, dMlp: hidden, vocabSize: vocab, maxSeqLen: seqLen,
    normEps: 1e-5, bosId: 1, eosId: 2,
  };
  const fingerprint = createHash('sha256').update(buf).digest('hex');
  return { name: 'stories260K', format: 'llama2c-v0', path, fingerprint, config, weights };
}

interface Stats { maxAbs: number; worst: number }
/** Asserts |a - e| <= atol + rtol·|e| elementwise; returns the max abs error. */
function expectClose(actual: ArrayLike<number>, want: ArrayLike<number>, what: string, atol = 1e-4, rtol = 1e-4): Stats {
  expect(actual.length, what).toBe(want.length);
  let maxAbs = 0;
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(actual[i] - want[i]);
    maxAbs = Math.max(maxAbs, err);
    worst = Math.max(worst, err / (atol + rtol * Math.abs(want[i])));
  }
  expect(worst, `${what}: max abs err ${maxAbs}`).toBeLessThanOrEqual(1);
  return { maxAbs, worst };
}

function argmax(x: Float32Array, from: number, n: number): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (x[from + i] > x[from + best]) best = i; // first max wins ties
  return best;
}

let spec: ModelSpec;
beforeAll(async () => {
  spec = await loadLegacyLlama2cForTest(CHECKPOINT);
});

describe('referenceForward vs the independent float64 HF reference (stories260K)', () => {
  for (const c of expected.cases) {
    it(`${c.name}: logits and hooks within atol 1e-4 + rtol 1e-4`, () => {
      const T = c.input_ids.length;
      const hooks = Object.keys(c.hooks);
      const out = referenceForward(spec, [c.input_ids], { outputs: ['logits', ...hooks] });
      let maxAbs = expectClose(out.get('logits')!.data, c.logits.data, `${c.name} logits`).maxAbs;
      for (const [name, e] of Object.entries(c.hooks)) {
        let got = out.get(name)!.data;
        // The pattern entry is `select: [0]`: head 0 of [heads, T, T] (batch 0).
        if (name.endsWith('attn.hook_pattern')) got = got.subarray(0, T * T);
        maxAbs = Math.max(maxAbs, expectClose(got, e.data, `${c.name} ${name}`).maxAbs);
      }
      const V = spec.config.vocabSize;
      const am = Array.from({ length: T }, (_, t) => argmax(out.get('logits')!.data, t * V, V));
      expect(am).toEqual(c.argmax);
      console.log(`${c.name}: max abs error vs expected.json = ${maxAbs.toExponential(2)}`);
    });
  }

  it('greedy decoding from BOS for 200 steps (full prefix recomputed each step) reproduces the reference ids', () => {
    const want = expected.greedy_200_from_bos.output_ids;
    const V = spec.config.vocabSize;
    const ids = [...expected.greedy_200_from_bos.input_ids];
    const t0 = performance.now();
    while (ids.length < want.length) {
      const logits = referenceForward(spec, [ids], { outputs: ['logits'] }).get('logits')!.data;
      ids.push(argmax(logits, (ids.length - 1) * V, V));
    }
    console.log(`greedy 200: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    expect(ids).toEqual(want);
  }, 120_000); // ~11 s on a dev machine: O(n²) by design (no KV cache), margin for slow CI
});

describe('referenceForward identities and interventions', () => {
  const seqs = [
    [1, 403, 407, 261, 378, 432],
    [1, 291, 376, 400, 428, 286],
  ];
  const T = seqs[0].length;
  const everything = (): string[] => allHookNames(spec.config.nLayers);
  const clean = (): Map<string, Tensor> => referenceForward(spec, seqs, { outputs: everything() });
  const expectSame = (a: Map<string, Tensor>, b: Map<string, Tensor>): void => {
    for (const [name, t] of a) expect(b.get(name)!.data, name).toEqual(t.data);
  };

  it('returns every requested hook with hookShape(), and a batch equals its rows run alone', () => {
    const out = clean();
    for (const name of everything()) expect(out.get(name)!.shape, name).toEqual(hookShape(name, spec.config, 2, T).shape);
    const alone = referenceForward(spec, [seqs[1]], { outputs: ['logits', 'blocks.3.attn.hook_pattern'] });
    const half = (t: Tensor): Float32Array => t.data.subarray(t.data.length / 2);
    expect(half(out.get('logits')!)).toEqual(alone.get('logits')!.data);
    expect(half(out.get('blocks.3.attn.hook_pattern')!)).toEqual(alone.get('blocks.3.attn.hook_pattern')!.data);
  });

  it('resid_post = resid_mid + mlp_out, resid_mid = resid_pre + attn_out; pattern rows sum to 1, masked entries 0', () => {
    const out = clean();
    for (let l = 0; l < spec.config.nLayers; l++) {
      const g = (h: string): Float32Array => out.get(`blocks.${l}.${h}`)!.data;
      const sum = (a: Float32Array, b: Float32Array): number[] => Array.from(a, (x, i) => x + b[i]);
      expectClose(g('hook_resid_post'), sum(g('hook_resid_mid'), g('hook_mlp_out')), 'resid_post', 1e-6, 1e-6);
      expectClose(g('hook_resid_mid'), sum(g('hook_resid_pre'), g('hook_attn_out')), 'resid_mid', 1e-6, 1e-6);
      const p = g('attn.hook_pattern');
      for (let row = 0; row < p.length / T; row++) {
        const q = row % T;
        let s = 0;
        for (let k = 0; k < T; k++) {
          if (k > q) expect(p[row * T + k]).toBe(0);
          s += p[row * T + k];
        }
        expect(Math.abs(s - 1)).toBeLessThan(1e-6);
      }
    }
  });

  it('a zero add intervention changes nothing', () => {
    const zero = { hook: 'blocks.1.hook_resid_mid', op: 'add' as const, value: new Float32Array(spec.config.dModel) };
    expectSame(clean(), referenceForward(spec, seqs, { outputs: everything(), interventions: [zero] }));
  });

  it('adding a vector to blocks.2.hook_mlp_out at position 3 leaves earlier positions alone and shifts resid_post by it', () => {
    const d = spec.config.dModel;
    const vec = Float32Array.from({ length: d }, (_, i) => Math.sin(i + 1));
    const base = clean();
    const out = referenceForward(spec, seqs, {
      outputs: everything(),
      interventions: [{ hook: 'blocks.2.hook_mlp_out', op: 'add', positions: [3], batch: 1, value: vec }],
    });
    for (const name of everything()) {
      const { shape, posAxis } = hookShape(name, spec.config, 2, T);
      const inner = shape.slice(posAxis + 1).reduce((a, b) => a * b, 1);
      const a = base.get(name)!.data;
      const b = out.get(name)!.data;
      for (let i = 0; i < a.length; i++) {
        const pos = Math.floor(i / inner) % T;
        const batch = Math.floor(i / (a.length / 2));
        if (pos < 3 || batch === 0) expect(b[i], `${name}[${i}]`).toBe(a[i]);
      }
    }
    const off = (T + 3) * d; // batch 1, position 3
    const delta = Array.from({ length: d }, (_, i) => out.get('blocks.2.hook_resid_post')!.data[off + i] - base.get('blocks.2.hook_resid_post')!.data[off + i]);
    expectClose(delta, vec, 'resid_post shift', 1e-5, 0);
    expect(out.get('logits')!.data).not.toEqual(base.get('logits')!.data);
  });

  it('freezing every pattern and norm scale with clean values reproduces the clean logits bitwise', () => {
    const base = clean();
    const names = everything().filter((n) => n.endsWith('hook_pattern') || n.endsWith('hook_scale'));
    const freeze = new Map(names.map((n) => [n, base.get(n)!]));
    const out = referenceForward(spec, seqs, { outputs: ['logits'], freeze });
    expect(out.get('logits')!.data).toEqual(base.get('logits')!.data);
    // The frozen inputs are copied, never edited in place.
    const before = Float32Array.from(freeze.get('blocks.0.attn.hook_pattern')!.data);
    referenceForward(spec, seqs, {
      outputs: ['logits'], freeze,
      interventions: [{ hook: 'blocks.0.attn.hook_pattern', op: 'add', value: new Float32Array(spec.config.nHeads * T).fill(1) }],
    });
    expect(freeze.get('blocks.0.attn.hook_pattern')!.data).toEqual(before);
  });

  it('freezing hook_mlp_out to zeros makes resid_post equal resid_mid; frozen scales make the norm linear', () => {
    const d = spec.config.dModel;
    const out = referenceForward(spec, seqs, {
      outputs: ['blocks.0.hook_resid_mid', 'blocks.0.hook_resid_post', 'blocks.0.mlp.hook_post'],
      freeze: new Map([['blocks.0.hook_mlp_out', { data: new Float32Array(2 * T * d), shape: [2, T, d] }]]),
    });
    expect(out.get('blocks.0.hook_resid_post')!.data).toEqual(out.get('blocks.0.hook_resid_mid')!.data);
    expect(out.get('blocks.0.mlp.hook_post')!.data.some((x) => x !== 0)).toBe(true);
    const ones = { data: new Float32Array(2 * T).fill(2), shape: [2, T, 1] };
    const n = referenceForward(spec, seqs, { outputs: ['hook_embed', 'blocks.0.ln1.hook_normalized'], freeze: new Map([['blocks.0.ln1.hook_scale', ones]]) });
    expect(n.get('blocks.0.ln1.hook_normalized')!.data).toEqual(n.get('hook_embed')!.data.map((x) => x / 2));
  });

  it("a 'set' of blocks.1.hook_resid_pre to its own clean value changes nothing", () => {
    const base = clean();
    const d = spec.config.dModel;
    const rp = base.get('blocks.1.hook_resid_pre')!.data;
    const interventions = [0, 1].flatMap((b) =>
      Array.from({ length: T }, (_, t) => ({ hook: 'blocks.1.hook_resid_pre', op: 'set' as const, batch: b, positions: [t], value: rp.slice((b * T + t) * d, (b * T + t + 1) * d) })),
    );
    expectSame(base, referenceForward(spec, seqs, { outputs: everything(), interventions }));
  });

  it('rejects unknown hooks, bad freeze shapes, bad intervention values and bad tokens with clear errors', () => {
    const run = (opts: Parameters<typeof referenceForward>[2], toks = seqs) => () => referenceForward(spec, toks, opts);
    expect(run({ outputs: ['blocks.9.hook_resid_pre'] })).toThrow(/unknown hook "blocks\.9\.hook_resid_pre".*blocks\.0\.hook_resid_pre/);
    expect(run({ outputs: ['logits'], freeze: new Map([['attn_out', { data: new Float32Array(1), shape: [1] }]]) })).toThrow(RangeError);
    expect(run({ outputs: ['logits'], freeze: new Map([['hook_embed', { data: new Float32Array(4), shape: [2, 2] }]]) })).toThrow(/freeze "hook_embed": expected shape \[2, 6, 64\]/);
    expect(run({ outputs: ['logits'], interventions: [{ hook: 'blocks.0.attn.hook_pattern', op: 'add', value: new Float32Array(T) }] })).toThrow(/needs 48/);
    expect(run({ outputs: ['logits'], interventions: [{ hook: 'logits', op: 'set', positions: [T], value: new Float32Array(512) }] })).toThrow(/position 6/);
    expect(run({ outputs: ['logits'] }, [[1, 2], [1]])).toThrow(/equal length/);
    expect(run({ outputs: ['logits'] }, [[1, 512]])).toThrow(/token id 512/);
  });

  it("rope 'half' with HF-permuted W_Q/W_K rows matches 'interleaved' on the original rows", () => {
    const { nLayers, headDim: dh } = spec.config;
    // HF export (llama2.c permute_original): inside each head, HF row j·dh/2 + i = llama2.c row 2i + j.
    const permute = (t: Tensor): Tensor => {
      const [rows, cols] = t.shape;
      const data = new Float32Array(t.data.length);
      for (let r = 0; r < rows; r++) {
        const head = Math.floor(r / dh), within = r % dh;
        const j = Math.floor(within / (dh / 2)), i = within % (dh / 2);
        data.set(t.data.subarray((head * dh + 2 * i + j) * cols, (head * dh + 2 * i + j + 1) * cols), r * cols);
      }
      return { data, shape: t.shape };
    };
    const weights = new Map(spec.weights);
    for (let l = 0; l < nLayers; l++) for (const w of ['W_Q', 'W_K']) weights.set(`blocks.${l}.attn.${w}`, permute(spec.weights.get(`blocks.${l}.attn.${w}`)!));
    const hf: ModelSpec = { ...spec, weights, config: { ...spec.config, rope: { kind: 'half', theta: 10000 } } };
    const a = referenceForward(spec, seqs, { outputs: ['logits', 'blocks.2.attn.hook_pattern'] });
    const b = referenceForward(hf, seqs, { outputs: ['logits', 'blocks.2.attn.hook_pattern'] });
    expectClose(b.get('logits')!.data, a.get('logits')!.data, 'half vs interleaved logits', 1e-5, 0);
    expectClose(b.get('blocks.2.attn.hook_pattern')!.data, a.get('blocks.2.attn.hook_pattern')!.data, 'patterns', 1e-6, 0);
  });

  it('handles 512 tokens (timing logged)', () => {
    const toks = Array.from({ length: 512 }, (_, i) => (i * 37) % 512);
    const t0 = performance.now();
    const out = referenceForward(spec, [toks], { outputs: ['logits'] });
    console.log(`512-token forward: ${(performance.now() - t0).toFixed(0)} ms`);
    expect(out.get('logits')!.data.every(Number.isFinite)).toBe(true);
  });
});
