/** Large random models and dictionaries for scale benchmarks, generated fast (a 32-bit PRNG, not llama2.c's). */
import type { ArchConfig, ModelSpec } from '../shared/model';
import { buildRandomLlama } from '../main/model/randomModel';
import type { Dictionary } from '../shared/dictionary';
import { mulberry32 } from '../shared/prng';


/** Uniform on [−√3·s, √3·s]: standard deviation s. */
function uniform(rand: () => number, n: number, std: number): Float32Array {
  const a = Math.sqrt(3) * std;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (2 * rand() - 1) * a;
  return out;
}

export function randomLlamaModel(cfg: Omit<ArchConfig, 'family' | 'norm' | 'mlp' | 'bosId' | 'eosId' | 'normEps'>, seed = 1): ModelSpec {
  const config: ArchConfig = { family: 'llama', norm: 'rms', mlp: 'gated-silu', bosId: 1, eosId: 2, normEps: 1e-5, ...cfg };
  const rand = mulberry32(seed);
  // Unit gains: activations keep RMS ≈ 1, which the random transcoders' firing rate assumes.
  const sampler = { matrix: (n: number, std: number) => uniform(rand, n, std), gain: (d: number) => new Float32Array(d).fill(1) };
  return buildRandomLlama(config, sampler, `random-${config.dModel}x${config.nLayers}`, `bench-random-${seed}-${JSON.stringify(config)}`);
}

/**
 * Random ReLU per-layer transcoders reading mlp.hook_in (whose entries have RMS ≈ 1 here): encoder rows of
 * norm 1, so pre-activations are ≈ N(0, 1); the bias puts ~`active` of D above zero per token.
 */
export function randomReluPlt(d: number, L: number, D: number, active: number, seed = 2): Dictionary {
  const rand = mulberry32(seed);
  // Standard normal quantile for the wanted firing rate (Acklam-free: bisection on erf is plenty here).
  const rate = active / D;
  let lo = 0;
  let hi = 10;
  const tail = (z: number) => 0.5 * erfc(z / Math.SQRT2);
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (tail(mid) > rate) lo = mid;
    else hi = mid;
  }
  const layers = Array.from({ length: L }, () => ({
    W_enc: { data: uniform(rand, D * d, 1 / Math.sqrt(d)), shape: [D, d] },
    b_enc: { data: new Float32Array(D).fill(-lo), shape: [D] },
    W_dec: { data: uniform(rand, D * d, 1 / Math.sqrt(d)), shape: [D, d] },
    b_dec: { data: new Float32Array(d), shape: [d] },
  }));
  return {
    kind: 'plt', name: `random-relu-${D}`, path: '', fingerprint: `bench-relu-${seed}-${d}-${L}-${D}-${active}`, model: {},
    inputHook: 'mlp.hook_in', outputHook: 'hook_mlp_out', activation: { kind: 'relu' }, nLayers: L, dModel: d, nFeatures: D, layers,
  };
}

function erfc(x: number): number {
  // Numerical Recipes erfcc (fractional error < 1.2e-7).
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2 - r;
}
