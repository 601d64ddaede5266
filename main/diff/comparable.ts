/**
 * Can two models be diffed? The tokenizer must match (same vocabulary pieces, BOS/EOS, and the same ids for every
 * suite prompt): otherwise their next-token distributions are over different things and nothing compares — a
 * clear error. With the same tokenizer but a different architecture or weight shapes, only the outputs level
 * applies (a reduced report). Same tokenizer and shapes: the full report.
 */
import type { ModelSpec } from '../../shared/model';
import { UserError } from '../errors';
import type { Tokenizer } from '../tokenizer/types';
import type { SuiteEntry } from './suite';

export interface Comparability {
  readonly level: 'full' | 'outputs';
  readonly notes: string[];
}

export interface Side {
  readonly spec: ModelSpec;
  readonly tokenizer: Tokenizer;
}

function tokenizerDifference(a: Tokenizer, b: Tokenizer, entries: readonly SuiteEntry[]): string | null {
  if (a.vocabSize !== b.vocabSize) return `vocabulary sizes differ (${a.vocabSize} vs ${b.vocabSize})`;
  if (a.bosId !== b.bosId || a.eosId !== b.eosId) return `BOS/EOS ids differ (${a.bosId}/${a.eosId} vs ${b.bosId}/${b.eosId})`;
  for (let id = 0; id < a.vocabSize; id++) {
    const pa = a.decode([id]);
    const pb = b.decode([id]);
    if (pa !== pb) return `token ${id} is ${JSON.stringify(pa)} in the base and ${JSON.stringify(pb)} in the candidate`;
  }
  for (const [i, e] of entries.entries()) {
    const ta = a.encode(e.prompt, { bos: true });
    const tb = b.encode(e.prompt, { bos: true });
    if (ta.length !== tb.length || ta.some((t, k) => t !== tb[k])) return `suite prompt ${i + 1} tokenizes differently (merge rules differ)`;
  }
  return null;
}

const ARCH_KEYS_IGNORED = new Set(['maxSeqLen']);

export function checkComparable(a: Side, b: Side, entries: readonly SuiteEntry[]): Comparability {
  const why = tokenizerDifference(a.tokenizer, b.tokenizer, entries);
  if (why) throw new UserError(`the models are not comparable: their tokenizers differ: ${why}. Diff checkpoints of the same tokenizer (a fine-tune, an edit, a requantization)`);
  const notes: string[] = [];
  const ca = a.spec.config as unknown as Record<string, unknown>;
  const cb = b.spec.config as unknown as Record<string, unknown>;
  for (const k of new Set([...Object.keys(ca), ...Object.keys(cb)])) {
    if (ARCH_KEYS_IGNORED.has(k)) continue;
    if (JSON.stringify(ca[k]) !== JSON.stringify(cb[k])) notes.push(`architecture differs: ${k} is ${JSON.stringify(ca[k])} vs ${JSON.stringify(cb[k])}`);
  }
  if (a.spec.config.maxSeqLen !== b.spec.config.maxSeqLen) {
    notes.push(`contexts differ (${a.spec.config.maxSeqLen} vs ${b.spec.config.maxSeqLen}); prompts must fit the shorter`);
  }
  for (const [name, t] of a.spec.weights) {
    const u = b.spec.weights.get(name);
    if (!u) notes.push(`the candidate has no tensor ${name}`);
    else if (t.shape.join() !== u.shape.join()) notes.push(`${name} has shape [${t.shape.join(', ')}] vs [${u.shape.join(', ')}]`);
  }
  for (const name of b.spec.weights.keys()) if (!a.spec.weights.has(name)) notes.push(`the base has no tensor ${name}`);
  const shapesDiffer = notes.some((n) => !n.startsWith('contexts differ'));
  if (shapesDiffer) notes.unshift('same tokenizer, different architecture or shapes: only the outputs level is compared');
  return { level: shapesDiffer ? 'outputs' : 'full', notes: notes.slice(0, 100) };
}
