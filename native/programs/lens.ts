/**
 * The logit-lens program: residual-stream vectors decoded through the model's final norm, unembedding and
 * soft-cap, as the forward program does for the last layer (same ops, same order: families.finalLogits, Gemm
 * with transB), so the lens of the final residual is the model's own logits.
 *
 * Input `resid` [N, T, d] (N stacked residual streams, e.g. one per layer), `target` int64 [1], `k` int64 [1].
 * Outputs per (n, t): the top-k probabilities and token ids, the target's probability and rank (number of
 * tokens with a strictly larger logit; 0 = top), the entropy in nats, and optionally the logits.
 */
import type { ModelSpec } from '../../shared/model';
import { GraphBuilder, type BuiltProgram, type Value } from '../onnx/builder';
import { weightAccess } from './llamaParts';
import { finalLogits } from './families';

export function buildLensProgram(spec: ModelSpec, opts: { readonly withLogits: boolean }): BuiltProgram {
  const cfg = spec.config;
  const g = new GraphBuilder('lens');
  const { weight, linear } = weightAccess(g, spec);
  const x = g.input('resid', 'float32', ['N', 'T', cfg.dModel]);
  const target = g.input('target', 'int64', [1]);
  const k = g.input('k', 'int64', [1]);
  // The family's final norm (LayerNorm for GPT-2) and Gemma-2's final soft-cap, as the forward program does.
  const logits = finalLogits(g, spec, { weight, linear }, x);
  const logp = g.op('LogSoftmax', [logits], { axis: -1 });
  const probs = g.op('Exp', [logp]);
  const [topP, topI] = g.opN('TopK', [probs, k], 2, { axis: -1, largest: 1, sorted: 1 });
  const sumLast = (v: Value) => g.op('ReduceSum', [v, g.constI64([-1])], { keepdims: 0 });
  const tLogit = g.op('Gather', [logits, target], { axis: 2 }); // [N, T, 1]
  const rank = sumLast(g.op('Cast', [g.op('Greater', [logits, tLogit])], { to: 1 }));
  const tProb = g.op('Squeeze', [g.op('Gather', [probs, target], { axis: 2 }), g.constI64([-1])]);
  const entropy = g.op('Neg', [sumLast(g.mul(probs, logp))]);
  g.output(topP, 'top_probs', 'float32', ['N', 'T', 'K']);
  g.output(topI, 'top_ids', 'int64', ['N', 'T', 'K']);
  g.output(tProb, 'target_prob', 'float32', ['N', 'T']);
  g.output(rank, 'target_rank', 'float32', ['N', 'T']);
  g.output(entropy, 'entropy', 'float32', ['N', 'T']);
  if (opts.withLogits) g.output(logits, 'logits', 'float32', ['N', 'T', cfg.vocabSize]);
  return g.build();
}
