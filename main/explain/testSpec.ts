/**
 * The causal-test mini-language of `cwb explain --test` (grammar in docs/explanations.md), e.g.
 *   "ablate 3:517:5,2:88:5 => p( Lily) drops >= 50%"      "free: scale 1:12:4=2 => logit( she) >= +1"
 * Parsed into data (an intervention request and an expectation); a spec is never evaluated as code.
 */
import type { Expectation } from '../../shared/explanation';
import type { InterventionEdit, InterventionMode } from '../../shared/intervention';
import type { Tokenizer } from '../tokenizer/types';
import { resolveToken } from '../attribution/targets';
import { UserError } from '../errors';
import { parseEditOption, parseNumber, parseSteerOption } from '../intervene/spec';

export interface ParsedTest {
  readonly mode: InterventionMode;
  readonly edits: InterventionEdit[];
  readonly expectation: Expectation;
}

const NUM = '([+-]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][+-]?\\d+)?)';

export function parseTestSpec(spec: string, tok: Tokenizer, vocabSize: number, T: number): ParsedTest {
  const fail = (why: string): never => {
    throw new UserError(`--test ${JSON.stringify(spec)}: ${why} (see docs/explanations.md for the syntax)`);
  };
  const arrow = spec.indexOf('=>');
  if (arrow < 0) fail('expected "INTERVENTION => EXPECTATION"');
  let left = spec.slice(0, arrow).trim();
  const right = spec.slice(arrow + 2).trim();
  let mode: InterventionMode = 'frozen';
  const m = /^(frozen|free|constrained)\s*:\s*/.exec(left);
  if (m) {
    mode = m[1] as InterventionMode;
    left = left.slice(m[0].length);
  }
  const wrap = <R>(f: () => R): R => {
    try {
      return f();
    } catch (e) {
      if (e instanceof UserError) fail(e.message);
      throw e;
    }
  };
  // `none`: no edit, a check of the unmodified model's output (which is what breaks when the model changes).
  const edits = left === '' ? fail('no intervention before "=>" (write none for a check without edits)') : left === 'none' ? [] : left.split(';').map((a) => wrap(() => parseAction(a.trim(), T)));
  const token = (s: string) => wrap(() => resolveToken(tok, vocabSize, /^#\d+$/.test(s) ? Number(s.slice(1)) : s));
  return { mode, edits, expectation: parseExpectation(right, token, fail) };
}

function parseAction(a: string, T: number): InterventionEdit {
  const m = /^(ablate|scale|set|steer)\s+(.+)$/.exec(a);
  if (!m) throw new UserError(`"${a}" is not an action: start with ablate, scale, set or steer`);
  const body = m[2].replace(/\s+/g, '');
  return m[1] === 'steer' ? parseSteerOption(body, T) : parseEditOption(m[1] as 'ablate' | 'scale' | 'set', body, T);
}

function parseExpectation(s: string, token: (t: string) => number, fail: (why: string) => never): Expectation {
  let m = new RegExp(`^p\\((.+)\\)\\s*drops\\s*>=\\s*${NUM}\\s*%$`).exec(s);
  if (m) {
    const f = parseNumber(m[2], 'drop') / 100;
    if (f < 0 || f > 1) fail('a drop must be between 0% and 100%');
    return { kind: 'probDrop', token: token(m[1]), atLeastFraction: f };
  }
  m = new RegExp(`^p\\((.+)\\)\\s*(>=|<=)\\s*${NUM}\\s*(%?)$`).exec(s);
  if (m) {
    const v = parseNumber(m[3], 'probability') / (m[4] ? 100 : 1);
    if (v < 0 || v > 1) fail('a probability must be between 0 and 1 (or 0% and 100%)');
    return { kind: m[2] === '>=' ? 'probAtLeast' : 'probAtMost', token: token(m[1]), value: v };
  }
  m = /^logit\((.+?)\)\s*-\s*logit\((.+)\)\s*(flips|>\s*0|<\s*0)$/.exec(s);
  if (m) return { kind: 'contrastSign', a: token(m[1]), b: token(m[2]), sign: m[3] === 'flips' ? 'flips' : m[3].startsWith('>') ? 'positive' : 'negative' };
  m = new RegExp(`^logit\\((.+)\\)\\s*(>=|<=)\\s*${NUM}$`).exec(s);
  if (m) {
    const v = parseNumber(m[3], 'logit change');
    return { kind: 'logitChange', token: token(m[1]), ...(m[2] === '>=' ? { atLeast: v } : { atMost: v }) };
  }
  return fail(`"${s}" is not an expectation: use p(TOKEN) drops >= N%, p(TOKEN) >= P, p(TOKEN) <= P, logit(TOKEN) >= ±X, logit(TOKEN) <= ±X, or logit(A) - logit(B) flips|> 0|< 0`);
}
