/**
 * `cwb dict index`: builds a dictionary's feature index (top contexts, band samples, histograms, logit
 * effects per feature) over a corpus and stores it in `<dict>/index/`. Progress goes to stderr.
 * The lead wires it as `cwb dict index …`: `cmdDictIndex` receives the arguments after `index`.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors';
import { loadModel } from '../model/load';
import { readCorpus } from '../corpus/read';
import { sampleCorpus } from '../engine/sampleCorpus';
import { loadDictionary } from '../dictionary/format';
import { buildFeatureIndex, writeFeatureIndex } from '../dictionary/featureIndex';
import { intOption, parseCommandArgs } from './args';
import type { Out } from './commands';
import { INTERRUPTED, interruptible, progressLine } from './progress';

const USAGE = 'cwb dict index --dict DIR [--corpus FILE [--tokens N] | --tokens N --seed S] [--top-k K] [--model PATH]';
const DEFAULT_TOKENS = 100_000;
const DEFAULT_SEED = 2;

export async function cmdDictIndex(argv: string[], out: Out): Promise<number> {
  const { values } = parseCommandArgs('dict index', argv, {
    dict: { type: 'string' },
    corpus: { type: 'string' },
    tokens: { type: 'string' },
    seed: { type: 'string' },
    'top-k': { type: 'string' },
    model: { type: 'string' },
    tokenizer: { type: 'string' },
  });
  if (values.dict === undefined) throw new UserError(`dict index: --dict is required; usage: ${USAGE}`);
  const dictDir = path.resolve(values.dict);
  if (!existsSync(dictDir) || !statSync(dictDir).isDirectory()) throw new UserError(`--dict: ${dictDir} is not a directory`);
  if (values.corpus !== undefined && values.seed !== undefined) throw new UserError('--seed only applies to a sampled corpus; drop it when passing --corpus');
  const tokens = intOption('tokens', values.tokens, DEFAULT_TOKENS, 1);
  const seed = intOption('seed', values.seed, DEFAULT_SEED, 0);
  const topK = intOption('top-k', values['top-k'], 12, 1);
  if (topK > 1000) throw new UserError(`--top-k must be at most 1000, got ${topK}`);

  const { spec, tokenizer } = await loadModel(values);
  const dict = await loadDictionary(dictDir, {
    expectModel: { fingerprint: spec.fingerprint, name: spec.name, dModel: spec.config.dModel, nLayers: spec.config.nLayers },
  });

  const start = performance.now();
  const done = await interruptible(out, 'cwb dict index: interrupted, nothing written', async (signal) => {
    let sequences: number[][];
    let corpusInfo: Record<string, string | number>;
    if (values.corpus !== undefined) {
      const file = path.resolve(values.corpus);
      sequences = readCorpus(file, tokenizer, values.tokens === undefined ? {} : { maxTokens: tokens });
      corpusInfo = { source: 'file', path: file, sha256: createHash('sha256').update(readFileSync(file)).digest('hex') };
    } else {
      const sampled = await sampleCorpus(spec, tokenizer, { tokens, seed, onProgress: progressLine(out, 'sampling corpus', 'tokens'), signal });
      out.stderr('\n');
      sequences = sampled.sequences;
      corpusInfo = { source: 'sample', model: spec.name, tokens, seed };
    }
    const index = await buildFeatureIndex(spec, tokenizer, dict, sequences, {
      topK, corpusInfo, onProgress: progressLine(out, 'indexing (2 passes)', 'tokens'), signal,
    });
    out.stderr('\n');
    const written = await writeFeatureIndex(dictDir, index);
    const seconds = (performance.now() - start) / 1000;
    out.stderr(
      `dict index: ${dict.nLayers * dict.nFeatures} features (${dict.nLayers} layers × ${dict.nFeatures}) over ${index.tokens} tokens ` +
        `in ${sequences.length} sequences → ${written.dir} (${(written.bytes / 2 ** 20).toFixed(2)} MiB) in ${seconds.toFixed(1)} s ` +
        `(index build ${index.buildSeconds.toFixed(1)} s)\n`,
    );
  });
  return done === INTERRUPTED ? 130 : 0;
}
