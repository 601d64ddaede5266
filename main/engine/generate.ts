/**
 * Text generation with llama2.c's loop semantics (run.c `generate`): the sequence starts with the prompt's
 * tokens (BOS first); while pos < steps, the next token is forced from the prompt or sampled; a BOS ends the
 * text; every emitted token is printed through the tokenizer's safe-print rule.
 */
import type { ModelSpec } from '../../shared/model';
import { runForward } from '../../native/forwardRun';
import type { Tokenizer } from '../tokenizer/types';
import { UserError } from '../errors';
import { makeSampler, type SamplerOptions } from './sampler';

export interface GenerateOptions extends SamplerOptions {
  readonly prompt: string;
  /** Raw prompt token ids (BOS included when wanted) instead of `prompt`: for models without a tokenizer. */
  readonly promptIds?: readonly number[];
  /** Total positions including the prompt, clamped to the context (0 = the whole context), as run.c does. */
  readonly steps: number;
  /** Called with each printable piece as it is produced. */
  readonly onPiece?: (bytes: Uint8Array) => void;
  readonly signal?: AbortSignal;
}

export interface GenerateResult {
  readonly ids: number[];
  readonly bytes: Uint8Array;
}

/** Logits of the last position. The full prefix is recomputed each step: simple, and fast enough for now. */
export async function nextTokenLogits(spec: ModelSpec, ids: readonly number[]): Promise<Float32Array> {
  const out = await runForward(spec, { tokens: [ids], outputs: ['logits'] });
  const V = spec.config.vocabSize;
  return out.get('logits')!.data.subarray((ids.length - 1) * V, ids.length * V);
}

export async function generate(spec: ModelSpec, tok: Tokenizer, opts: GenerateOptions): Promise<GenerateResult> {
  const ctx = spec.config.maxSeqLen;
  const steps = opts.steps <= 0 || opts.steps > ctx ? ctx : opts.steps;
  const prompt = opts.promptIds ? [...opts.promptIds] : tok.encode(opts.prompt, { bos: true });
  if (prompt.length === 0) throw new UserError('the prompt has no tokens');
  if (prompt.length > ctx) {
    throw new UserError(`the prompt is ${prompt.length} tokens long but the model's context is ${ctx} tokens: shorten it`);
  }
  const sample = makeSampler(opts);
  const ids = [prompt[0]];
  const chunks: Uint8Array[] = [];
  let token = prompt[0];
  for (let pos = 0; pos < steps; ) {
    opts.signal?.throwIfAborted();
    const next = pos < prompt.length - 1 ? prompt[pos + 1] : sample(await nextTokenLogits(spec, ids));
    pos++;
    if (next === tok.bosId) break;
    const piece = tok.printablePiece(token, next);
    chunks.push(piece);
    opts.onPiece?.(piece);
    ids.push(next);
    token = next;
  }
  return { ids, bytes: Buffer.concat(chunks) };
}
