/**
 * `cwb corpus sample`: a training corpus sampled from the model itself, as JSONL lines
 * `{"text": …, "ids": […]}` (ids start with BOS). Progress and the summary go to stderr so that stdout can
 * carry the corpus when no --out is given.
 */
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { writeFileAtomic } from '../files';
import path from 'node:path';
import { UserError } from '../errors';
import { loadModel } from '../model/load';
import { sampleCorpus } from '../engine/sampleCorpus';
import { floatOption, intOption, parseCommandArgs } from './args';
import type { Out } from './commands';
import { INTERRUPTED, interruptible, progressLine } from './progress';

const USAGE = 'cwb corpus sample --tokens N --seed S [--temperature T] [--top-p P] [--batch B] [--max-len L] [--out FILE.jsonl]';

export async function cmdCorpus(argv: string[], out: Out): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'sample') throw new UserError(`${sub === undefined ? 'missing subcommand' : `unknown subcommand "${sub}"`}; usage: ${USAGE}`);
  const { values } = parseCommandArgs('corpus sample', rest, {
    model: { type: 'string' },
    tokenizer: { type: 'string' },
    tokens: { type: 'string' },
    seed: { type: 'string' },
    temperature: { type: 'string' },
    'top-p': { type: 'string' },
    batch: { type: 'string' },
    'max-len': { type: 'string' },
    out: { type: 'string' },
  });
  // No clock default for the seed (unlike generate): a corpus must be reproducible from its command line.
  if (values.tokens === undefined || values.seed === undefined) throw new UserError(`--tokens and --seed are required; usage: ${USAGE}`);
  const tokens = intOption('tokens', values.tokens, 0, 1);
  const seed = intOption('seed', values.seed, 0, 0);
  const temperature = floatOption('temperature', values.temperature, 1, 0);
  const topP = floatOption('top-p', values['top-p'], 0.9, 0, 1);
  const batch = intOption('batch', values.batch, 64, 1);
  const maxLen = intOption('max-len', values['max-len'], 256, 2);
  const outFile = values.out === undefined ? undefined : path.resolve(values.out);
  // Fail before sampling, not after minutes of work.
  if (outFile) {
    const dir = path.dirname(outFile);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UserError(`--out: directory ${dir} does not exist`);
    if (existsSync(outFile) && statSync(outFile).isDirectory()) throw new UserError(`--out: ${outFile} is a directory`);
  }
  const { spec, tokenizer } = await loadModel(values);
  if (maxLen > spec.config.maxSeqLen) throw new UserError(`--max-len ${maxLen} exceeds the model's context of ${spec.config.maxSeqLen} tokens`);

  const start = performance.now();
  // The summary line follows the last report, so nothing is printed once the budget is reached.
  const progress = progressLine(out, 'corpus', 'tokens', { final: false });
  const result = await interruptible(out, 'cwb corpus: interrupted, nothing written', (signal) =>
    sampleCorpus(spec, tokenizer, { tokens, seed, temperature, topP, batch, maxLen, onProgress: progress, signal }),
  );
  if (result === INTERRUPTED) return 130;
  const seconds = (performance.now() - start) / 1000;

  const data = result.sequences.map((ids, i) => JSON.stringify({ text: result.text[i], ids }) + '\n').join('');
  if (outFile) writeAtomic(outFile, data);
  else out.stdout(data);
  const nTokens = result.sequences.reduce((n, s) => n + s.length, 0);
  const sha = createHash('sha256').update(data).digest('hex');
  out.stderr(
    `\ncorpus: ${result.sequences.length} sequences, ${nTokens} tokens in ${seconds.toFixed(1)} s ` +
      `(${(nTokens / seconds).toFixed(0)} tokens/s) → ${outFile ?? 'stdout'} sha256 ${sha}\n`,
  );
  return 0;
}

/** Temp file + rename (readers never see a half-written corpus), failures as one clear line. */
function writeAtomic(file: string, data: string): void {
  try {
    writeFileAtomic(file, data);
  } catch (e) {
    throw new UserError(`cannot write ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
}
