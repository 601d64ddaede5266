/**
 * The outputs level: per prompt the next-token distributions of A and B at the last position — KL(p_A ‖ p_B),
 * the top token of each (a flip when they differ) and the suite target's probability — ranked by KL.
 */
import type { PromptRow } from '../../shared/diff';
import type { Tokenizer } from '../tokenizer/types';
import { argmax } from '../engine/sampler';
import type { SuitePrompt } from './suite';

/** log-softmax in float64. */
export function logSoftmax(x: ArrayLike<number>): Float64Array {
  let m = -Infinity;
  for (let i = 0; i < x.length; i++) if (x[i] > m) m = x[i];
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.exp(x[i] - m);
  const lse = m + Math.log(s);
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i] - lse;
  return out;
}

/** KL(p ‖ q) in nats from logits; exactly 0 for identical logits. */
export function klFromLogits(p: ArrayLike<number>, q: ArrayLike<number>): number {
  const lp = logSoftmax(p);
  const lq = logSoftmax(q);
  let kl = 0;
  for (let i = 0; i < lp.length; i++) {
    const pi = Math.exp(lp[i]);
    if (pi > 0) kl += pi * (lp[i] - lq[i]);
  }
  // Rounding can leave a tiny negative for near-identical distributions; KL is never negative.
  return Math.max(0, kl);
}

export interface OutputsLevel {
  readonly meanKl: number;
  readonly maxKl: number;
  readonly flips: number;
  readonly prompts: PromptRow[];
}

export function outputsLevel(prompts: readonly SuitePrompt[], la: readonly Float32Array[], lb: readonly Float32Array[], tok: Tokenizer): OutputsLevel {
  const rows: PromptRow[] = prompts.map((p, i) => {
    const pa = logSoftmax(la[i]);
    const pb = logSoftmax(lb[i]);
    const ta = argmax(la[i]);
    const tb = argmax(lb[i]);
    return {
      index: i, text: p.text, tokens: p.tokens.length, kl: klFromLogits(la[i], lb[i]),
      topA: { id: ta, text: tok.decode([ta]), p: Math.exp(pa[ta]) },
      topB: { id: tb, text: tok.decode([tb]), p: Math.exp(pb[tb]) },
      flipped: ta !== tb,
      target: p.target === null ? null : { id: p.target, text: tok.decode([p.target]), pA: Math.exp(pa[p.target]), pB: Math.exp(pb[p.target]) },
    };
  });
  const kls = rows.map((r) => r.kl);
  rows.sort((x, y) => y.kl - x.kl || x.index - y.index);
  return {
    meanKl: kls.reduce((s, k) => s + k, 0) / Math.max(1, kls.length),
    maxKl: Math.max(0, ...kls),
    flips: rows.filter((r) => r.flipped).length,
    prompts: rows,
  };
}
