/** The spliced forward (MLPs replaced by transcoders in-graph) against splicing done by hand, layer by layer. */
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../shared/tensor';
import { runForward } from '../native/forwardRun';
import { Rng } from '../main/engine/sampler';
import { randomDictionary, randomLlama, randomTokens, referenceEncode, tolRatio } from './helpers';

const model = randomLlama({ nLayers: 3 }, 31);
const rng = new Rng(8);
const tokens = [randomTokens(rng, 11, 64), randomTokens(rng, 11, 64)];

describe.each([
  ['PLT TopK + skip', { d: 32, L: 3, D: 80, kind: 'plt' as const, activation: { kind: 'topk' as const, k: 6 }, skip: true }],
  ['CLT ReLU', { d: 32, L: 3, D: 48, kind: 'clt' as const, activation: { kind: 'relu' as const } }],
])('splice: %s', (_n, o) => {
  const dict = randomDictionary(o, 4);
  it('equals freezing each layer’s MLP output to the hand-computed reconstruction (BOS kept)', async () => {
    const B = tokens.length;
    const T = tokens[0].length;
    const d = 32;
    const freeze = new Map<string, Tensor>();
    const xs: Tensor[][] = tokens.map(() => []);
    for (let k = 0; k < 3; k++) {
      const run = await runForward(model, { tokens, outputs: [`blocks.${k}.mlp.hook_in`, `blocks.${k}.hook_mlp_out`], freeze: new Map(freeze) });
      const xk = run.get(`blocks.${k}.mlp.hook_in`)!.data;
      const yk = run.get(`blocks.${k}.hook_mlp_out`)!.data;
      const spliced = new Float32Array(yk);
      for (let b = 0; b < B; b++) {
        xs[b].push({ data: xk.slice(b * T * d, (b + 1) * T * d), shape: [T, d] });
        const layersSoFar = { ...dict, nLayers: k + 1, layers: dict.layers.slice(0, k + 1) };
        const { recon } = referenceEncode(layersSoFar, xs[b], 1);
        for (let t = 1; t < T; t++) for (let j = 0; j < d; j++) spliced[(b * T + t) * d + j] = recon[k][t * d + j];
      }
      freeze.set(`blocks.${k}.hook_mlp_out`, { data: spliced, shape: [B, T, d] });
    }
    const byHand = await runForward(model, { tokens, outputs: ['logits'], freeze });
    const inGraph = await runForward(model, { tokens, outputs: ['logits'], splice: { dict, layers: [0, 1, 2], keepPositions: 1 } });
    expect(tolRatio(inGraph.get('logits')!.data, byHand.get('logits')!.data, 1e-4, 1e-4)).toBeLessThanOrEqual(1);
    const clean = await runForward(model, { tokens, outputs: ['logits'] });
    expect(tolRatio(inGraph.get('logits')!.data, clean.get('logits')!.data, 1e-3)).toBeGreaterThan(1); // splicing changed something
  });
});
