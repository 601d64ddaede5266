/**
 * Attribution targets (circuit-tracer §2.5): salient logits, explicit tokens, a contrast "A minus B", or a
 * custom direction. A token target injects the demeaned unembedding column u_t − mean_v(u_v), so its node value
 * is the demeaned logit; a custom direction is injected as given.
 */
import type { LogitTarget } from '../../shared/graph';
import type { ModelSpec } from '../../shared/model';
import { weightNames as W } from '../../shared/model';
import type { Tokenizer } from '../tokenizer/types';
import { UserError } from '../errors';
import { softmaxF32 } from '../engine/sampler';

export type TargetSpec =
  | { readonly kind: 'salient'; readonly maxLogits?: number; readonly desiredLogitProb?: number }
  | { readonly kind: 'tokens'; readonly tokens: readonly (number | string)[] }
  | { readonly kind: 'contrast'; readonly a: number | string; readonly b: number | string }
  | { readonly kind: 'custom'; readonly label: string; readonly vec: Float32Array; readonly weight?: number };

export interface ResolvedTargets {
  readonly targets: LogitTarget[];
  /** [K, d] injection vectors. */
  readonly vecs: Float32Array;
}

/** A token given as text: the token whose text is exactly it, or the single token it encodes to. */
export function resolveToken(tok: Tokenizer, vocabSize: number, t: number | string): number {
  if (typeof t === 'number') {
    if (!(Number.isInteger(t) && t >= 0 && t < vocabSize)) throw new UserError(`target token id ${t} is outside the vocabulary [0, ${vocabSize})`);
    return t;
  }
  for (let id = 0; id < vocabSize; id++) if (tok.decode([id]) === t) return id;
  const ids = tok.encode(t, { bos: false });
  if (ids.length === 1) return ids[0];
  throw new UserError(`target "${t}" is ${ids.length} tokens (${ids.join(', ')}), not one: pick a single token (e.g. its first piece) or pass its id`);
}

/** u_t − mean_v(u_v) for each requested token. */
function demeanedColumns(spec: ModelSpec, ids: readonly number[]): Float32Array {
  const U = spec.weights.get(W.unembed)!;
  const [V, d] = U.shape;
  const mean = new Float64Array(d);
  for (let v = 0; v < V; v++) for (let j = 0; j < d; j++) mean[j] += U.data[v * d + j] / V;
  const out = new Float32Array(ids.length * d);
  ids.forEach((t, k) => {
    for (let j = 0; j < d; j++) out[k * d + j] = U.data[t * d + j] - mean[j];
  });
  return out;
}

export function resolveTargets(spec: ModelSpec, tok: Tokenizer, lastLogits: Float32Array, spec2: TargetSpec): ResolvedTargets {
  const V = spec.config.vocabSize;
  const d = spec.config.dModel;
  const p = softmaxF32(lastLogits);
  const label = (id: number) => tok.decode([id]);
  switch (spec2.kind) {
    case 'salient': {
      const max = spec2.maxLogits ?? 10;
      const want = spec2.desiredLogitProb ?? 0.95;
      if (!(Number.isInteger(max) && max >= 1)) throw new UserError(`maxLogits must be a positive integer, got ${max}`);
      const order = [...p.keys()].sort((a, b) => p[b] - p[a]).slice(0, max);
      let cum = 0;
      let cutoff = order.length;
      for (let i = 0; i < order.length; i++) {
        cum += p[order[i]];
        if (cum >= want) {
          cutoff = i + 1;
          break;
        }
      }
      const ids = order.slice(0, cutoff);
      return { targets: ids.map((id) => ({ vocabIdx: id, label: label(id), weight: p[id] })), vecs: demeanedColumns(spec, ids) };
    }
    case 'tokens': {
      if (spec2.tokens.length === 0) throw new UserError('give at least one target token');
      const ids = spec2.tokens.map((t) => resolveToken(tok, V, t));
      return { targets: ids.map((id) => ({ vocabIdx: id, label: label(id), weight: p[id] })), vecs: demeanedColumns(spec, ids) };
    }
    case 'contrast': {
      const a = resolveToken(tok, V, spec2.a);
      const b = resolveToken(tok, V, spec2.b);
      if (a === b) throw new UserError('a contrast needs two different tokens');
      const cols = demeanedColumns(spec, [a, b]);
      const vec = new Float32Array(d);
      for (let j = 0; j < d; j++) vec[j] = cols[j] - cols[d + j];
      return { targets: [{ vocabIdx: V, label: `${label(a)} − ${label(b)}`, weight: 1 }], vecs: vec };
    }
    case 'custom': {
      if (spec2.vec.length !== d) throw new UserError(`custom target "${spec2.label}" has ${spec2.vec.length} values; the model's width is ${d}`);
      return { targets: [{ vocabIdx: V, label: spec2.label, weight: spec2.weight ?? 1 }], vecs: Float32Array.from(spec2.vec) };
    }
  }
}
