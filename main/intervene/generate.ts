/**
 * Greedy continuation under an intervention. The first new token is the argmax of the intervened run (in its
 * mode). Later tokens come from free runs of the growing sequence: the frozen patterns of the clean run cover
 * only the prompt, so new positions run free (as circuit-tracer, whose freezing applies to the first generated
 * token only). The prompt positions keep the exact additive deltas the intervention computed; because the model
 * is causal, those positions see the same inputs in every later run as in a free run of the prompt. Steering
 * marked `generated` is also added at every new position; hook patches whose slices grow with the sequence
 * (attention patterns and scores) apply to the first token only.
 */
import type { ModelSpec } from '../../shared/model';
import type { HookIntervention } from '../../shared/forward';
import { runForward } from '../../native/forwardRun';
import { argmax } from '../engine/sampler';
import type { Tokenizer } from '../tokenizer/types';
import type { InterventionPlan } from './plan';
import { deltaInterventions, type DeltaMap } from './deltas';

export async function generateUnder(spec: ModelSpec, tok: Tokenizer, prompt: readonly number[], firstLogits: Float32Array, plan: InterventionPlan, deltas: DeltaMap, n: number): Promise<{ tokens: number[]; text: string }> {
  const V = spec.config.vocabSize;
  const T = prompt.length;
  const seq = [...prompt];
  const out: number[] = [];
  const stop = (id: number) => id === tok.bosId || id === tok.eosId;
  let next = argmax(firstLogits);
  const growing = (h: string) => h.endsWith('attn.hook_pattern') || h.endsWith('attn.hook_attn_scores');
  const sets = plan.hookSets.filter((s) => !growing(s.hook));
  const promptDeltas = deltaInterventions(deltas, (p) => p < T);
  while (out.length < n && !stop(next)) {
    out.push(next);
    seq.push(next);
    if (out.length >= n || seq.length >= spec.config.maxSeqLen) break;
    const open: HookIntervention[] = plan.steering
      .filter((s) => s.generated)
      .map((s) => ({ hook: s.hook, op: 'add' as const, value: s.vec, positions: Array.from({ length: seq.length - T }, (_, i) => T + i) }));
    const run = await runForward(spec, { tokens: [seq], outputs: ['logits'], interventions: [...sets, ...promptDeltas, ...open] });
    next = argmax(run.get('logits')!.data.subarray((seq.length - 1) * V, seq.length * V));
  }
  return { tokens: out, text: tok.decode(out) };
}
