/** Shared test helpers: comparisons and small random models. */
import type { ArchConfig, ModelSpec } from '../shared/model';
import type { Tensor } from '../shared/tensor';
import { Rng } from '../main/engine/sampler';
import { buildRandomLlama } from '../main/model/randomModel';
import type { Activation, Dictionary } from '../shared/dictionary';
import { decoderSlice } from '../native/programs/encode';

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? (a[i] === b[i] ? m : Infinity) : d;
  }
  return m;
}

/** max |a-b| / (atol + rtol·|b|): ≤ 1 means within tolerance. -inf entries must match exactly. */
export function tolRatio(a: ArrayLike<number>, b: ArrayLike<number>, atol: number, rtol = 0): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    const r = Math.abs(a[i] - b[i]) / (atol + rtol * Math.abs(b[i]));
    if (!(r <= worst)) worst = Number.isNaN(r) ? Infinity : r;
  }
  return worst;
}

/** Gaussian-ish weights from a seeded generator (sum of uniforms), scaled. */
function randn(rng: Rng, n: number, scale: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (rng.f32() + rng.f32() + rng.f32() - 1.5) * 2 * scale;
  return out;
}

/** A random Llama-family model of any shape: for testing programs on configurations the real model lacks. */
export function randomLlama(overrides: Partial<ArchConfig> = {}, seed = 1): ModelSpec {
  const cfg: ArchConfig = {
    family: 'llama2c', dModel: 32, nLayers: 2, nHeads: 4, nKvHeads: 2, headDim: 8, dMlp: 48, vocabSize: 64,
    maxSeqLen: 64, normEps: 1e-5, bosId: 1, eosId: 2, norm: 'rms', mlp: 'gated-silu',
    rope: { kind: 'interleaved', theta: 10000 }, tiedEmbeddings: true, ...overrides,
  };
  const rng = new Rng(seed);
  const sampler = { matrix: (n: number, std: number) => randn(rng, n, std), gain: (d: number) => Float32Array.from({ length: d }, () => 0.5 + rng.f32()) };
  return buildRandomLlama(cfg, sampler, `random-${seed}`, `random-${seed}-${JSON.stringify(cfg)}`);
}

export function randomTokens(rng: Rng, n: number, vocab: number, bos = 1): number[] {
  return [bos, ...Array.from({ length: n - 1 }, () => 3 + (rng.u32() % (vocab - 3)))];
}

/** A random transcoder set (PLT or CLT) for a model of width d and L layers. */
export function randomDictionary(
  o: { d: number; L: number; D: number; kind: 'plt' | 'clt'; activation: import('../shared/dictionary').Activation; skip?: boolean; scale?: number },
  seed = 1,
): import('../shared/dictionary').Dictionary {
  const rng = new Rng(seed);
  const { d, L, D } = o;
  const t = (shape: number[], s: number) => ({ data: randn(rng, shape.reduce((a, b) => a * b, 1), s), shape });
  const layers = Array.from({ length: L }, (_, i) => ({
    W_enc: t([D, d], (o.scale ?? 1) / Math.sqrt(d)),
    b_enc: t([D], 0.1),
    W_dec: o.kind === 'plt' ? t([D, d], 1 / Math.sqrt(D)) : t([D, L - i, d], 1 / Math.sqrt(D)),
    b_dec: t([d], 0.05),
    ...(o.activation.kind === 'jumprelu' ? { threshold: { data: Float32Array.from({ length: D }, () => 0.2 * rng.f32()), shape: [D] } } : {}),
    ...(o.skip ? { W_skip: t([d, d], 0.3 / Math.sqrt(d)) } : {}),
  }));
  return {
    kind: o.kind, name: `random-${o.kind}-${seed}`, path: '', fingerprint: `random-dict-${seed}-${JSON.stringify({ ...o })}`,
    model: {}, inputHook: 'mlp.hook_in', outputHook: 'hook_mlp_out', activation: o.activation,
    nLayers: L, dModel: d, nFeatures: D, layers,
  };
}

/** circuit-tracer's transcoder in plain loops (float64). */
export function referenceEncode(dict: Dictionary, x: Tensor[], zero: number): { act: Float64Array[]; recon: Float64Array[] } {
  const { dModel: d, nFeatures: D, nLayers: L } = dict;
  const T = x[0].shape[0];
  const act = x.map((xl, l) => {
    const lay = dict.layers[l];
    const a = new Float64Array(T * D);
    for (let t = zero; t < T; t++) {
      const h = new Float64Array(D);
      for (let f = 0; f < D; f++) {
        let s = lay.b_enc.data[f];
        for (let j = 0; j < d; j++) s += lay.W_enc.data[f * d + j] * xl.data[t * d + j];
        h[f] = s;
      }
      const act: Activation = dict.activation;
      if (act.kind === 'topk') {
        const top = [...h.keys()].sort((p, q) => h[q] - h[p]).slice(0, act.k);
        for (const f of top) a[t * D + f] = h[f];
      } else {
        for (let f = 0; f < D; f++) {
          a[t * D + f] = act.kind === 'relu' ? Math.max(0, h[f]) : h[f] > lay.threshold!.data[f] ? h[f] : 0;
        }
      }
    }
    return a;
  });
  const recon = [...Array(L).keys()].map((k) => {
    const r = new Float64Array(T * d);
    const lay = dict.layers[k];
    for (let t = 0; t < T; t++) {
      for (let j = 0; j < d; j++) r[t * d + j] = lay.b_dec.data[j];
      for (let i = dict.kind === 'plt' ? k : 0; i <= k; i++) {
        const dec = decoderSlice(dict, i, k);
        for (let f = 0; f < D; f++) {
          const v = act[i][t * D + f];
          if (v) for (let j = 0; j < d; j++) r[t * d + j] += v * dec.data[f * d + j];
        }
      }
      if (lay.W_skip) for (let j = 0; j < d; j++) for (let c = 0; c < d; c++) r[t * d + j] += lay.W_skip.data[j * d + c] * x[k].data[t * d + c];
    }
    return r;
  });
  return { act, recon };
}

