import type { Tensor } from './tensor';

/**
 * An edit of one hook point during a forward run.
 * - `add`: value is added; `set`: value replaces.
 * - `value` is one position's slice: the hook tensor without its batch and position axes, e.g. [d] for
 *   `hook_resid_pre`, [H, T] for `attn.hook_pattern` (all heads, keys of one query position). It is applied at
 *   every listed position (default: all) of the listed batch element (default: all).
 */
export interface HookIntervention {
  readonly hook: string;
  readonly op: 'add' | 'set';
  readonly value: Float32Array;
  readonly positions?: readonly number[];
  readonly batch?: number;
}

export interface ForwardRequest {
  /** B token sequences of equal length T. */
  readonly tokens: readonly (readonly number[])[];
  /** Hook names to return (`logits` is one of them). */
  readonly outputs: readonly string[];
  /** Hook values to use instead of computing them: full tensors [B, ...], e.g. patterns and scales of an earlier run. */
  readonly freeze?: ReadonlyMap<string, Tensor>;
  readonly interventions?: readonly HookIntervention[];
  /** Dense per-hook deltas [B, ...] (for batched attribution checks); added after `interventions`. */
  readonly addDense?: ReadonlyMap<string, Tensor>;
}

export type Activations = Map<string, Tensor>;
