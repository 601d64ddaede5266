/**
 * The features level: the base dictionary (transcoders) applied to both models' activations over the suite —
 * A's and B's `blocks.{l}.{inputHook}` through the same encoder — and per feature its mean activation, firing
 * frequency and mean |act_B − act_A| over the suite's non-BOS positions; the features that changed most, with
 * their cards when the dictionary has a feature index. Encoding and the per-feature reductions run in
 * onnxruntime programs (the encode program and a small stats program).
 */
import type { Dictionary } from '../../shared/dictionary';
import type { ModelSpec } from '../../shared/model';
import type { FeatureRow } from '../../shared/diff';
import type { Tensor } from '../../shared/tensor';
import { runForward } from '../../native/forwardRun';
import { runEncode } from '../../native/encodeRun';
import { GraphBuilder, type BuiltProgram } from '../../native/onnx/builder';
import { getProgram, ort } from '../../native/session';
import { featureCard } from '../dictionary/cards';
import type { Tokenizer } from '../tokenizer/types';
import { padded, planBatches } from './batch';

function statsProgram(): BuiltProgram {
  const g = new GraphBuilder('diff-feature-stats');
  const a = g.input('a', 'float32', ['N', 'D']);
  const b = g.input('b', 'float32', ['N', 'D']);
  const sum = (x: ReturnType<typeof g.input>) => g.op('ReduceSum', [x, g.constI64([0])], { keepdims: 0 });
  const active = (x: ReturnType<typeof g.input>) => g.op('Cast', [g.op('Not', [g.op('Equal', [x, g.scalarF(0)])])], { to: 1 });
  g.output(sum(a), 'sumA', 'float32', ['D']);
  g.output(sum(b), 'sumB', 'float32', ['D']);
  g.output(sum(g.op('Abs', [g.sub(b, a)])), 'sumAbs', 'float32', ['D']);
  g.output(sum(active(a)), 'nA', 'float32', ['D']);
  g.output(sum(active(b)), 'nB', 'float32', ['D']);
  return g.build();
}

interface Acc {
  sumA: Float64Array;
  sumB: Float64Array;
  sumAbs: Float64Array;
  nA: Float64Array;
  nB: Float64Array;
}

export interface FeaturesOptions {
  /** Dictionary directory, for feature cards (its index); none = no cards. */
  readonly dictDir?: string;
  readonly top?: number;
  readonly signal?: AbortSignal;
}

export interface FeaturesLevel {
  readonly positions: number;
  readonly rows: FeatureRow[];
}

export async function featuresLevel(a: ModelSpec, b: ModelSpec, dict: Dictionary, tok: Tokenizer, prompts: readonly (readonly number[])[], o: FeaturesOptions = {}): Promise<FeaturesLevel> {
  const L = dict.nLayers;
  const D = dict.layers[0].W_enc.shape[0];
  const d = a.config.dModel;
  const hooks = [...Array(L).keys()].map((l) => `blocks.${l}.${dict.inputHook}`);
  const stats = await getProgram('diff|feature-stats', statsProgram);
  const acc: Acc[] = hooks.map(() => ({ sumA: new Float64Array(D), sumB: new Float64Array(D), sumAbs: new Float64Array(D), nA: new Float64Array(D), nB: new Float64Array(D) }));
  let positions = 0;
  for (const batch of planBatches(prompts.map((p) => p.length), 64, 4096)) {
    o.signal?.throwIfAborted();
    const tokens = padded(prompts, batch.rows, batch.T);
    const N = tokens.length * batch.T;
    // Rows that count: real tokens after BOS (pads and BOS are zeroed by the encoder and not counted).
    const keep = new Float32Array(N);
    batch.rows.forEach((i, k) => keep.fill(1, k * batch.T + 1, k * batch.T + prompts[i].length));
    positions += batch.rows.reduce((s, i) => s + prompts[i].length - 1, 0);
    const encode = async (spec: ModelSpec) => {
      const acts = await runForward(spec, { tokens, outputs: hooks });
      const x: Tensor[] = hooks.map((h) => ({ data: acts.get(h)!.data, shape: [N, d] }));
      return (await runEncode(dict, { x, zeroPositions: 0, keep })).act;
    };
    const ea = await encode(a);
    const eb = await encode(b);
    for (let l = 0; l < L; l++) {
      const r = await stats.run({ a: new ort.Tensor('float32', ea[l].data, [N, D]), b: new ort.Tensor('float32', eb[l].data, [N, D]) });
      for (const k of ['sumA', 'sumB', 'sumAbs', 'nA', 'nB'] as const) {
        const v = r[k].data as Float32Array;
        const dst = acc[l][k];
        for (let f = 0; f < D; f++) dst[f] += v[f];
      }
    }
  }
  const rows: FeatureRow[] = [];
  const n = Math.max(1, positions);
  acc.forEach((s, l) => {
    for (let f = 0; f < D; f++) {
      if (s.sumAbs[f] === 0) continue;
      const meanA = s.sumA[f] / n;
      const meanB = s.sumB[f] / n;
      const freqA = s.nA[f] / n;
      const freqB = s.nB[f] / n;
      const status = freqA === 0 && freqB > 0 ? 'appeared' : freqB === 0 && freqA > 0 ? 'vanished' : meanB >= meanA ? 'strengthened' : 'weakened';
      rows.push({ layer: l, feature: f, meanA, meanB, meanAbsChange: s.sumAbs[f] / n, freqA, freqB, status, card: null });
    }
  });
  rows.sort((x, y) => y.meanAbsChange - x.meanAbsChange || x.layer - y.layer || x.feature - y.feature);
  const top = rows.slice(0, o.top ?? 30);
  if (o.dictDir) {
    for (const [i, r] of top.entries()) {
      try {
        const c = featureCard(o.dictDir, tok, r.layer, r.feature);
        const contexts = c.topContexts.slice(0, 3).map((x) => x.tokens.map((t, k) => (k === x.maxIndex ? `[${t.text}]` : t.text)).join('').replace(/\r?\n/g, '⏎'));
        top[i] = { ...r, card: { frequency: c.frequency, contexts } };
      } catch {
        break; // no feature index: the rows stay without cards
      }
    }
  }
  return { positions, rows: top };
}
