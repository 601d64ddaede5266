/**
 * The logit lens: one forward run returns every layer's residual stream, which are stacked and decoded by one
 * run of the lens program (native/programs/lens.ts). JS only copies tensors and formats the answer.
 */
import type { ModelSpec } from '../../shared/model';
import type { Tensor } from '../../shared/tensor';
import { lensHooks, type LensView } from '../../shared/lens';
import { runForward } from '../../native/forwardRun';
import { runLens, type LensRunOutput } from '../../native/lensRun';
import type { Tokenizer } from '../tokenizer/types';
import { tokenTexts } from '../dictionary/featureIndexStore';

export interface LensOptions {
  readonly target?: number;
  readonly topK?: number;
  /** Also return the raw lens logits [rows, T, V] (tests, exact comparisons). */
  readonly withLogits?: boolean;
}

/** Residual streams of one sequence stacked as [rows, T, d]. */
export async function residStack(spec: ModelSpec, ids: readonly number[]): Promise<Tensor> {
  const hooks = lensHooks(spec.config.nLayers);
  const acts = await runForward(spec, { tokens: [ids], outputs: hooks });
  const T = ids.length;
  const d = spec.config.dModel;
  const data = new Float32Array(hooks.length * T * d);
  hooks.forEach((h, i) => data.set(acts.get(h)!.data, i * T * d));
  return { data, shape: [hooks.length, T, d] };
}

export async function lensRaw(spec: ModelSpec, ids: readonly number[], opts: LensOptions = {}): Promise<LensRunOutput> {
  return runLens(spec, await residStack(spec, ids), opts);
}

export async function logitLens(spec: ModelSpec, tokenizer: Tokenizer, ids: readonly number[], opts: LensOptions = {}): Promise<LensView & { raw: LensRunOutput }> {
  const raw = await lensRaw(spec, ids, opts);
  const rows = lensHooks(spec.config.nLayers);
  const text = tokenTexts(tokenizer);
  const T = ids.length;
  const k = raw.k;
  const hasTarget = opts.target !== undefined;
  const cells = rows.map((_, r) =>
    ids.map((_, t) => {
      const i = r * T + t;
      return {
        top: Array.from({ length: k }, (_, j) => {
          const id = raw.topIds[i * k + j];
          return { id, text: text(id), prob: raw.topProbs[i * k + j] };
        }),
        entropy: raw.entropy[i],
        targetProb: hasTarget ? raw.targetProb[i] : null,
        targetRank: hasTarget ? raw.targetRank[i] : null,
      };
    }),
  );
  return {
    tokens: ids.map((id) => ({ id, text: text(id) })),
    rows,
    target: hasTarget ? { id: opts.target!, text: text(opts.target!) } : null,
    cells,
    raw,
  };
}
