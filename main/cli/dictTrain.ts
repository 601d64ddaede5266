/** `cwb dict train` and `cwb dict eval`. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors';
import { loadModel } from '../model/load';
import { corpusHash, defaultTrainOptions, trainDictionary } from '../dictionary/train';
import { evaluateDictionary, type EvalReport } from '../dictionary/evaluate';
import { loadDictionary, writeDictionary } from '../dictionary/format';
import { floatOption, intOption, parseCommandArgs } from './args';
import { corpusArgs, corpusFromArgs } from './corpusOption';
import type { Out } from './commands';
import { INTERRUPTED, interruptible, progressLine } from './progress';

export const EVAL_CORPUS = { tokens: 50_000, seed: 1000 };


export function formatEval(r: EvalReport): string {
  const rows = r.layers.map((l) => `  layer ${l.layer}: nmse ${l.nmse.toFixed(4)}  mean L0 ${l.meanL0.toFixed(2)}  dead ${(100 * l.deadFraction).toFixed(1)}%`);
  return [
    `dictionary ${r.dictionary.name} on ${r.model.name}: ${r.tokens} tokens, ${r.sequences} sequences`,
    ...rows,
    `  cross-entropy: clean ${r.ce.clean.toFixed(4)}  spliced ${r.ce.spliced.toFixed(4)}  zero-ablated ${r.ce.ablated.toFixed(4)}  ce_recovered ${r.ce.recovered.toFixed(4)}`,
  ].join('\n');
}

export async function cmdDictTrain(argv: string[], out: Out): Promise<number> {
  const { values } = parseCommandArgs('dict train', argv, {
    model: { type: 'string' },
    tokenizer: { type: 'string' },
    out: { type: 'string' },
    ...corpusArgs,
    features: { type: 'string' },
    k: { type: 'string' },
    'no-skip': { type: 'boolean' },
    steps: { type: 'string' },
    batch: { type: 'string' },
    lr: { type: 'string' },
    'train-seed': { type: 'string' },
    'checkpoint-dir': { type: 'string' },
  });
  if (!values.out) throw new UserError('dict train: --out DIR is required (where the dictionary is written)');
  const outDir = path.resolve(values.out);
  if (!existsSync(path.dirname(outDir))) throw new UserError(`--out: directory ${path.dirname(outDir)} does not exist`);
  const o = defaultTrainOptions;
  const features = intOption('features', values.features, o.features, 1);
  const k = intOption('k', values.k, o.k, 1);
  if (k > features) throw new UserError(`--k ${k} exceeds --features ${features}`);
  const steps = intOption('steps', values.steps, o.steps, 1);
  const batchSize = intOption('batch', values.batch, o.batchSize, 1);
  const lr = floatOption('lr', values.lr, o.lr, 0);
  const seed = intOption('train-seed', values['train-seed'], o.seed, 0);
  const { spec, tokenizer } = await loadModel(values);
  const t0 = performance.now();
  const { sequences, description } = await corpusFromArgs(spec, tokenizer, values, { tokens: 1_000_000, seed: 1 }, out);
  const nTokens = sequences.reduce((n, s) => n + s.length, 0);
  out.stderr(`\rcorpus: ${sequences.length} sequences, ${nTokens} tokens (${description}), sha256 ${corpusHash(sequences).slice(0, 16)}…\u001b[K\n`);
  const L = spec.config.nLayers;
  const report = progressLine(out, 'training', 'steps');
  const checkpointDir = values['checkpoint-dir'] ? path.resolve(values['checkpoint-dir']) : `${outDir}.checkpoint`;
  const done = await interruptible(out, `cwb dict train: interrupted; run the same command again to resume from ${checkpointDir}`, async (signal) => {
    const dict = await trainDictionary(spec, sequences, path.basename(outDir), {
      ...o,
      features,
      k,
      skip: !values['no-skip'],
      steps,
      batchSize,
      lr,
      seed,
      checkpointDir,
      signal,
      onProgress: (p) =>
        report(p.layer * p.steps + p.step, L * p.steps, `layer ${p.layer + 1}/${L} ${p.phase === 'collect' ? 'collecting activations' : `loss ${p.loss.toFixed(4)}`}`),
    });
    await writeDictionary(outDir, dict, { extra: { recipe: ['cwb', 'dict', 'train', ...argv].join(' '), corpus: description, corpus_sha256: corpusHash(sequences), corpus_tokens: nTokens } });
  });
  if (done === INTERRUPTED) return 130;
  out.stderr(`\rtrained ${L} layers in ${((performance.now() - t0) / 1000).toFixed(0)} s → ${outDir}\u001b[K\n`);
  return 0;
}

export async function cmdDictEval(argv: string[], out: Out): Promise<number> {
  const { values } = parseCommandArgs('dict eval', argv, {
    model: { type: 'string' },
    tokenizer: { type: 'string' },
    dict: { type: 'string' },
    ...corpusArgs,
    json: { type: 'boolean' },
  });
  if (!values.dict) throw new UserError('dict eval: --dict DIR is required');
  const { spec, tokenizer } = await loadModel(values);
  const dict = await loadDictionary(path.resolve(values.dict), {
    expectModel: { fingerprint: spec.fingerprint, name: spec.name, dModel: spec.config.dModel, nLayers: spec.config.nLayers },
  });
  const { sequences } = await corpusFromArgs(spec, tokenizer, values, EVAL_CORPUS, out);
  const report = await evaluateDictionary(spec, dict, sequences, { onProgress: progressLine(out, 'evaluating', 'sequences') });
  out.stderr('\r\u001b[K');
  out.stdout(values.json ? JSON.stringify(report, null, 2) + '\n' : formatEval(report) + '\n');
  return 0;
}
