/**
 * The outputs level: per prompt the next-token distributions of A and B at the last position — KL(p_A ‖ p_B),
 * the top token of each (a flip when they differ) and the suite target's probability — ranked by KL.
 */
import type { PromptRow } from '../../shared/diff';
import type { Tokenizer } from '../tokenizer/types';
import { argmax, klFromLogits, logSoftmax } from '../engine/sampler';
import type { SuitePrompt } from './suite';

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
