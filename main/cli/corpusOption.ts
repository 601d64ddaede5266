/**
 * The corpus a command works on: `--corpus FILE` (JSONL/TXT, see main/corpus/read.ts), or sampled from the
 * model itself with `--tokens N --seed S`, which suits models whose training data is not at hand.
 */
import type { ModelSpec } from '../../shared/model';
import type { Tokenizer } from '../tokenizer/types';
import { readCorpus } from '../corpus/read';
import { sampleCorpus } from '../engine/sampleCorpus';
import { UserError } from '../errors';
import { intOption } from './args';
import type { Out } from './commands';
import { progressLine } from './progress';

export const corpusArgs = {
  corpus: { type: 'string' },
  tokens: { type: 'string' },
  seed: { type: 'string' },
} as const;

export interface CorpusArgValues {
  readonly corpus?: string;
  readonly tokens?: string;
  readonly seed?: string;
}

export async function corpusFromArgs(
  spec: ModelSpec,
  tokenizer: Tokenizer,
  v: CorpusArgValues,
  defaults: { tokens: number; seed: number },
  out?: Out,
): Promise<{ sequences: number[][]; description: string }> {
  if (v.corpus !== undefined) {
    if (v.seed !== undefined) throw new UserError('--seed samples a corpus from the model; it cannot be combined with --corpus FILE');
    const maxTokens = v.tokens === undefined ? undefined : intOption('tokens', v.tokens, 0, 1);
    return { sequences: readCorpus(v.corpus, tokenizer, { maxTokens }), description: `file ${v.corpus}` };
  }
  const tokens = intOption('tokens', v.tokens, defaults.tokens, 1);
  const seed = intOption('seed', v.seed, defaults.seed, 0);
  const { sequences } = await sampleCorpus(spec, tokenizer, { tokens, seed, onProgress: out && progressLine(out, 'sampling corpus', 'tokens') });
  return { sequences, description: `sampled from the model: --tokens ${tokens} --seed ${seed}` };
}
