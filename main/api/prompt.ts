/** prompt.analyze and graph.trace: what the model predicts after a prompt, and its attribution graph. */
import type { PromptAnalysis, TargetChoice } from '../../shared/api';
import type { AttributionGraph } from '../../shared/graph';
import { runForward } from '../../native/forwardRun';
import { attributeGraph } from '../attribution/attribute';
import { resolveToken, type TargetSpec } from '../attribution/targets';
import { softmaxF32 } from '../engine/sampler';
import { UserError } from '../errors';
import type { LoadedModel } from '../model/load';
import type { OpenDictionary } from './session';

export const TOP_PREDICTIONS = 10;

function promptTokens(m: LoadedModel, prompt: string): number[] {
  const ids = m.tokenizer.encode(prompt, { bos: true });
  const ctx = m.spec.config.maxSeqLen;
  if (ids.length > ctx) throw new UserError(`the prompt is ${ids.length} tokens; the model's context is ${ctx}: shorten it`);
  return ids;
}

export async function analyzePrompt(m: LoadedModel, prompt: string): Promise<PromptAnalysis> {
  const ids = promptTokens(m, prompt);
  const logits = (await runForward(m.spec, { tokens: [ids], outputs: ['logits'] })).get('logits')!;
  const V = m.spec.config.vocabSize;
  const p = softmaxF32(logits.data.subarray((ids.length - 1) * V, ids.length * V));
  const top = [...p.keys()].sort((a, b) => p[b] - p[a] || a - b).slice(0, TOP_PREDICTIONS);
  const text = (id: number) => (id === m.tokenizer.bosId ? '<s>' : m.tokenizer.decode([id]));
  return {
    tokens: ids.map((id) => ({ id, text: text(id) })),
    top: top.map((id) => ({ id, text: m.tokenizer.decode([id]), prob: p[id] })),
  };
}

export interface TraceRequest {
  readonly prompt: string;
  readonly target: TargetChoice;
  readonly maxFeatureNodes?: number | null;
}

export interface TraceProgress {
  (p: { phase: string; done: number; total: number }): void;
}

/** The attribution graph of a prompt (cmdTrace's checks: target tokens and length before any work). */
export async function tracePrompt(m: LoadedModel, open: OpenDictionary | null, req: TraceRequest, signal: AbortSignal, onProgress: TraceProgress): Promise<AttributionGraph> {
  if (!open) throw new UserError(`no dictionary is open for model ${m.spec.name}: open a dictionary (transcoders) trained for it to trace`);
  const tokens = promptTokens(m, req.prompt);
  if (tokens.length < 2) throw new UserError('the prompt has no tokens after the start of text: type something to trace');
  const V = m.spec.config.vocabSize;
  const t = req.target;
  const targets: TargetSpec = t.kind === 'tokens' ? { kind: 'tokens', tokens: [...t.tokens] } : t.kind === 'contrast' ? { kind: 'contrast', a: t.a, b: t.b } : { kind: 'salient' };
  if (targets.kind === 'tokens') targets.tokens.forEach((x) => resolveToken(m.tokenizer, V, x));
  if (targets.kind === 'contrast') [targets.a, targets.b].forEach((x) => resolveToken(m.tokenizer, V, x));
  return attributeGraph(m.spec, open.dict, m.tokenizer, tokens, {
    targets,
    maxFeatureNodes: req.maxFeatureNodes ?? null,
    prompt: req.prompt,
    signal,
    onProgress,
  });
}
