/**
 * A Llama-family model with random weights, for tests (shapes the real model lacks) and scale benchmarks.
 * The caller chooses how weights are drawn; the layout and scales (≈ 1/√fan-in) are fixed here.
 */
import type { ArchConfig, ModelSpec } from '../../shared/model';
import { weightNames as W } from '../../shared/model';
import type { Tensor } from '../../shared/tensor';

export interface WeightSampler {
  /** n values with standard deviation `std`. */
  matrix(n: number, std: number): Float32Array;
  /** A norm gain of width d. */
  gain(d: number): Float32Array;
}

export function buildRandomLlama(config: ArchConfig, sample: WeightSampler, name: string, fingerprint: string): ModelSpec {
  const weights = new Map<string, Tensor>();
  const { dModel: d, nHeads: H, nKvHeads: K, headDim: dh, dMlp: m, vocabSize: V, nLayers: L } = config;
  const put = (key: string, shape: number[], std: number) => weights.set(key, { data: sample.matrix(shape.reduce((a, b) => a * b, 1), std), shape });
  const gain = (key: string) => weights.set(key, { data: sample.gain(d), shape: [d] });
  put(W.embed, [V, d], 1);
  for (let l = 0; l < L; l++) {
    gain(W.ln1(l));
    gain(W.ln2(l));
    put(W.wq(l), [H * dh, d], 1 / Math.sqrt(d));
    put(W.wk(l), [K * dh, d], 1 / Math.sqrt(d));
    put(W.wv(l), [K * dh, d], 1 / Math.sqrt(d));
    put(W.wo(l), [d, H * dh], 1 / Math.sqrt(H * dh));
    put(W.wGate(l), [m, d], 1 / Math.sqrt(d));
    put(W.wIn(l), [m, d], 1 / Math.sqrt(d));
    put(W.wOut(l), [d, m], 1 / Math.sqrt(m));
  }
  gain(W.lnFinal);
  if (config.tiedEmbeddings) weights.set(W.unembed, weights.get(W.embed)!);
  else put(W.unembed, [V, d], 1 / Math.sqrt(d));
  return { name, format: 'random', path: '', fingerprint, config, weights };
}
