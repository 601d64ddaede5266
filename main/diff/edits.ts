/**
 * Known edits that make a "v2" of a model, for tests, benchmarks and demos of `cwb diff`:
 * - `rankOneEdit`: W_out of one layer's MLP += u·kᵀ/‖k‖², k = that layer's MLP hidden activation
 *   (`mlp.hook_post`) at a prompt's last position, u = strength · unit(g ⊙ (W_U[to] − W_U[from])) with g the final
 *   norm's gain — a ROME-style key→value edit that pushes the next token from `from` towards `to` wherever the MLP
 *   sees a similar key, and is exactly rank one;
 * - `perturbTensor`: one tensor + relative Gaussian noise (a full-rank change).
 * The result is a new ModelSpec (fresh fingerprint so no cached program is reused) that shares every other tensor.
 */
import { createHash } from 'node:crypto';
import { weightNames, type ModelSpec } from '../../shared/model';
import { mulberry32 } from '../../shared/prng';
import { runForward } from '../../native/forwardRun';

function withTensor(spec: ModelSpec, name: string, data: Float32Array, tag: string): ModelSpec {
  const t = spec.weights.get(name);
  if (!t) throw new RangeError(`model has no tensor ${name}`);
  const weights = new Map(spec.weights);
  weights.set(name, { data, shape: t.shape });
  const fingerprint = createHash('sha256').update(`${spec.fingerprint}|${tag}`).digest('hex');
  return { ...spec, name: `${spec.name}+${tag}`, fingerprint, weights };
}

export interface RankOneEdit {
  readonly layer: number;
  /** Token ids of the prompt whose last position gives the key. */
  readonly tokens: readonly number[];
  readonly from: number;
  readonly to: number;
  /** Norm of the residual-stream change written at the key. */
  readonly strength: number;
}

export async function rankOneEdit(spec: ModelSpec, e: RankOneEdit): Promise<ModelSpec> {
  const { dModel: d, dMlp: m } = spec.config;
  const hook = `blocks.${e.layer}.mlp.hook_post`;
  const post = (await runForward(spec, { tokens: [e.tokens], outputs: [hook] })).get(hook)!.data;
  const k = post.subarray((e.tokens.length - 1) * m, e.tokens.length * m);
  const g = spec.weights.get(weightNames.lnFinal)!.data;
  const U = spec.weights.get(weightNames.unembed)!.data;
  const u = new Float64Array(d);
  let un = 0;
  for (let i = 0; i < d; i++) {
    u[i] = g[i] * (U[e.to * d + i] - U[e.from * d + i]);
    un += u[i] * u[i];
  }
  let kk = 0;
  for (let j = 0; j < m; j++) kk += k[j] * k[j];
  const scale = e.strength / Math.sqrt(un) / kk;
  const name = weightNames.wOut(e.layer);
  const W = Float32Array.from(spec.weights.get(name)!.data);
  for (let i = 0; i < d; i++) for (let j = 0; j < m; j++) W[i * m + j] += scale * u[i] * k[j];
  return withTensor(spec, name, W, `rank1-L${e.layer}-${e.from}-${e.to}-${e.strength}`);
}

/** `name` += relative · rms(W) · N(0, 1) noise (seeded). */
export function perturbTensor(spec: ModelSpec, name: string, relative: number, seed = 1): ModelSpec {
  const t = spec.weights.get(name);
  if (!t) throw new RangeError(`model has no tensor ${name}`);
  let ss = 0;
  for (const x of t.data) ss += x * x;
  const rms = Math.sqrt(ss / t.data.length);
  const rand = mulberry32(seed);
  const out = Float32Array.from(t.data, (x) => x + relative * rms * Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand()));
  return withTensor(spec, name, out, `noise-${name}-${relative}-${seed}`);
}
