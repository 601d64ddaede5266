/** The cwb subcommands. Each parses its own options and calls the same engine functions the app uses. */
import { parameterCount } from '../../shared/model';
import { runForward } from '../../native/forwardRun';
import { UserError } from '../errors';
import { loadModel } from '../model/load';
import { generate } from '../engine/generate';
import { floatOption, idsOption, intOption, parseCommandArgs } from './args';

const modelOptions = {
  model: { type: 'string' },
  tokenizer: { type: 'string' },
} as const;

export type Out = { stdout: (s: string | Uint8Array) => void; stderr: (s: string) => void };

export async function cmdGenerate(argv: string[], out: Out): Promise<number> {
  const { values } = parseCommandArgs('generate', argv, {
    ...modelOptions,
    prompt: { type: 'string' },
    ids: { type: 'string' },
    steps: { type: 'string' },
    temperature: { type: 'string' },
    'top-p': { type: 'string' },
    seed: { type: 'string' },
  });
  const steps = intOption('steps', values.steps, 256, 0);
  const temperature = floatOption('temperature', values.temperature, 1.0, 0);
  const topP = floatOption('top-p', values['top-p'], 0.9, 0, 1);
  // llama2.c seeds from the clock when no seed is given.
  const seed = values.seed === undefined ? BigInt(Math.floor(Date.now() / 1000)) : BigInt(intOption('seed', values.seed, 0, 0));
  const { spec, tokenizer } = await loadModel(values);
  if (values.prompt !== undefined && values.ids !== undefined) throw new UserError('generate: give --prompt TEXT or --ids 1,15,27, not both');
  await generate(spec, tokenizer, {
    prompt: values.prompt ?? '',
    ...(values.ids !== undefined && { promptIds: idsOption(values.ids, spec.config.vocabSize) }),
    steps,
    temperature,
    topP,
    seed,
    onPiece: (b) => out.stdout(b),
  });
  out.stdout('\n');
  return 0;
}

export async function cmdLogits(argv: string[], out: Out): Promise<number> {
  const { values } = parseCommandArgs('logits', argv, {
    ...modelOptions,
    prompt: { type: 'string' },
    ids: { type: 'string' },
    json: { type: 'boolean' },
  });
  const { spec, tokenizer } = await loadModel(values);
  if ((values.prompt === undefined) === (values.ids === undefined)) throw new UserError('logits: give exactly one of --prompt TEXT or --ids 1,15,27');
  const ids = values.ids !== undefined ? idsOption(values.ids, spec.config.vocabSize) : tokenizer.encode(values.prompt ?? '', { bos: true });
  checkContext(ids.length, spec.config.maxSeqLen);
  const logits = (await runForward(spec, { tokens: [ids], outputs: ['logits'] })).get('logits')!;
  const V = spec.config.vocabSize;
  const rows = ids.map((_, t) => Array.from(logits.data.subarray(t * V, (t + 1) * V)));
  if (values.json) {
    out.stdout(JSON.stringify({ tokens: ids, logits: rows }) + '\n');
  } else {
    ids.forEach((id, t) => {
      const top = rows[t].map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0]).slice(0, 5);
      out.stdout(`${t}\t${id}\t${JSON.stringify(tokenizer.decode([id]))}\t→ ${top.map(([v, i]) => `${JSON.stringify(tokenizer.decode([i]))}:${v.toFixed(3)}`).join(' ')}\n`);
    });
  }
  return 0;
}

export function checkContext(n: number, ctx: number): void {
  if (n > ctx) throw new UserError(`the input is ${n} tokens long but the model's context is ${ctx} tokens: shorten it`);
}

export async function cmdInfo(argv: string[], out: Out): Promise<number> {
  const { values } = parseCommandArgs('info', argv, { ...modelOptions, json: { type: 'boolean' } });
  const { spec } = await loadModel(values);
  const info = {
    name: spec.name,
    path: spec.path,
    format: spec.format,
    sha256: spec.fingerprint,
    parameters: parameterCount(spec),
    architecture: spec.config,
    // Weights are widened to float32 on load (F16/BF16 files too) and every program computes in float32.
    computeDtype: 'float32',
  };
  if (values.json) out.stdout(JSON.stringify(info, null, 2) + '\n');
  else {
    const c = spec.config;
    out.stdout(
      [
        `model       ${info.name} (${info.format}; computes in float32)`,
        `file        ${info.path}`,
        `sha256      ${info.sha256}`,
        `parameters  ${info.parameters.toLocaleString('en-US')}`,
        `family      ${c.family}: ${c.nLayers} layers, d_model ${c.dModel}, ${c.nHeads} heads (${c.nKvHeads} kv, head dim ${c.headDim}), MLP ${c.dMlp} (${c.mlp}), vocab ${c.vocabSize}, context ${c.maxSeqLen}`,
        `norm        ${c.norm} (eps ${c.normEps}); rope ${c.rope ? `${c.rope.kind}, theta ${c.rope.theta}` : 'none'}; embeddings ${c.tiedEmbeddings ? 'tied' : 'untied'}`,
      ].join('\n') + '\n',
    );
  }
  return 0;
}
