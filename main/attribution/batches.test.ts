/**
 * Batching never changes a row: the backward program's rows do not depend on how targets are grouped (mixed
 * layers, logits with features, truncated positions, one target per run), and the batch planner partitions
 * the targets into single-layer, position-ordered batches of at most B.
 */
import { describe, expect, it } from 'vitest';
import type { Dictionary } from '../../shared/dictionary';
import type { ModelSpec } from '../../shared/model';
import { runBackward, type TargetBatch } from '../../native/backwardRun';
import { Rng } from '../engine/sampler';
import { randomDictionary, randomLlama, randomTokens } from '../../test/helpers';
import { attributeGraph, backwardCost, planBatches, warmUpAttribution } from './attribute';
import { buildPromptContext, encoderRow } from './context';
import type { Tokenizer } from '../tokenizer/types';

const tinyTok = (V: number): Tokenizer => ({ vocabSize: V, bosId: 1, eosId: 2, encode: () => [], decode: (ids) => ids.map((i) => `t${i}`).join(''), printablePiece: () => new Uint8Array() });

function relDiff(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (1e-6 + 1e-5 * Math.abs(b[i])));
  return worst;
}

const setups: { name: string; spec: () => ModelSpec; dict: () => Dictionary }[] = [
  { name: 'PLT with skip, GQA', spec: () => randomLlama({ nLayers: 3 }, 51), dict: () => randomDictionary({ d: 32, L: 3, D: 48, kind: 'plt', activation: { kind: 'relu' }, skip: true }, 11) },
  { name: 'CLT', spec: () => randomLlama({ nLayers: 3, nKvHeads: 4 }, 52), dict: () => randomDictionary({ d: 32, L: 3, D: 40, kind: 'clt', activation: { kind: 'relu' } }, 12) },
];

describe.each(setups)('backward batches: $name', ({ spec: makeSpec, dict: makeDict }) => {
  it('a mixed batch (logits and features of several layers, any order) gives the rows of one-target runs', async () => {
    const spec = makeSpec();
    const dict = makeDict();
    const tokens = randomTokens(new Rng(3), 9, spec.config.vocabSize);
    const ctx = await buildPromptContext(spec, dict, tokens);
    const { features } = ctx;
    const L = spec.config.nLayers;
    const d = spec.config.dModel;
    const T = ctx.T;
    expect(features.count).toBeGreaterThan(20);
    const rng = new Rng(4);
    const ids = [...Array(features.count).keys()].sort(() => rng.f32() - 0.5).slice(0, 20);
    const logitVec = Float32Array.from({ length: d }, (_, j) => Math.cos(j));
    const batchOf = (items: ({ logit: true } | { id: number })[]): TargetBatch => ({
      layer: Int32Array.from(items, (t) => ('id' in t ? features.layer[t.id] : L)),
      pos: Int32Array.from(items, (t) => ('id' in t ? features.pos[t.id] : T - 1)),
      vec: Float32Array.from(items.flatMap((t) => [...('id' in t ? encoderRow(dict, features, t.id) : logitVec)])),
    });
    const C = features.count + L * T + T;
    // With a logit (top = L), and features only (top = their highest layer, which runs on its targets alone).
    for (const items of [[...ids.slice(0, 10).map((id) => ({ id })), { logit: true as const }, ...ids.slice(10).map((id) => ({ id }))], ids.map((id) => ({ id }))]) {
      expect(new Set(items.map((t) => ('id' in t ? features.layer[t.id] : L))).size).toBeGreaterThan(2);
      const mixed = (await runBackward(spec, dict, ctx.backward, batchOf(items))).data;
      expect(mixed.length).toBe(items.length * C);
      for (let b = 0; b < items.length; b++) {
        const single = (await runBackward(spec, dict, ctx.backward, batchOf([items[b]]))).data;
        expect(relDiff(mixed.subarray(b * C, (b + 1) * C), single)).toBeLessThanOrEqual(1);
      }
    }
  });

  it('the graph does not depend on the batch size', async () => {
    const spec = makeSpec();
    const dict = makeDict();
    const tok = tinyTok(spec.config.vocabSize);
    const tokens = randomTokens(new Rng(5), 8, spec.config.vocabSize);
    const a = await attributeGraph(spec, dict, tok, tokens, { batchSize: 256 });
    const b = await attributeGraph(spec, dict, tok, tokens, { batchSize: 1 });
    const c = await attributeGraph(spec, dict, tok, tokens, { batchSize: 5, maxFeatureNodes: Math.floor(a.activeFeatureCount / 2) });
    expect(relDiff(b.adjacency, a.adjacency)).toBeLessThanOrEqual(1);
    expect(c.adjacency.length).toBeLessThan(a.adjacency.length);
  });

  it('warms up without error', async () => {
    const spec = makeSpec();
    await warmUpAttribution(spec, makeDict(), tinyTok(spec.config.vocabSize), { calls: 1 });
  });
});

describe('planBatches', () => {
  const rng = new Rng(7);
  const n = 300;
  const layer = Int32Array.from({ length: n }, () => rng.u32() % 4);
  const pos = Int32Array.from({ length: n }, () => 1 + (rng.u32() % 20));
  const ids = [...Array(n).keys()];

  it.each([undefined, { perRun: () => 1e3, perTargetPosition: (l: number) => 10 * (l + 1) }, { perRun: () => 1e9, perTargetPosition: () => 1 }])('partitions into single-layer, position-ordered batches of at most B (cost %#)', (cost) => {
    const B = 17;
    const plan = planBatches(ids, layer, pos, B, cost);
    expect(plan.flat().sort((a, b) => a - b)).toEqual(ids);
    let last = [-1, -1];
    for (const batch of plan) {
      expect(batch.length).toBeGreaterThan(0);
      expect(batch.length).toBeLessThanOrEqual(B);
      for (const i of batch) {
        expect(layer[i]).toBe(layer[batch[0]]);
        // Batches in (layer, position) order, each sorted.
        expect(layer[i] > last[0] || (layer[i] === last[0] && pos[i] >= last[1])).toBe(true);
        last = [layer[i], pos[i]];
      }
    }
  });

  it('cuts a layer by position only when a run costs less than the positions it saves', () => {
    const cheapRuns = planBatches(ids, layer, pos, 1000, { perRun: () => 1, perTargetPosition: () => 1 });
    const dearRuns = planBatches(ids, layer, pos, 1000, { perRun: () => 1e12, perTargetPosition: () => 1 });
    expect(dearRuns.length).toBe(4); // one batch per layer
    expect(cheapRuns.length).toBeGreaterThan(4 * 10); // about one per distinct position
  });

  it('models the backward program per layer', () => {
    const spec = randomLlama({ nLayers: 3 }, 1);
    const dict = randomDictionary({ d: 32, L: 3, D: 16, kind: 'plt', activation: { kind: 'relu' }, skip: true }, 1);
    const c = backwardCost(spec, dict, 100, 10);
    expect(c.perTargetPosition(2)).toBeGreaterThan(c.perTargetPosition(1));
    expect(c.perTargetPosition(0)).toBeGreaterThan(0);
  });
});
