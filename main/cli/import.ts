/** `cwb import DIR`: validates a Hugging Face model folder and prints what it found (nothing is written). */
import { UserError } from '../errors';
import { importReport, type ImportReport } from '../model/hf/inspect';
import { intOption, parseCommandArgs } from './args';
import type { Out } from './commands';

const gib = (b: number) => (b >= 2 ** 30 ? `${(b / 2 ** 30).toFixed(2)} GiB` : `${(b / 2 ** 20).toFixed(1)} MiB`);

function text(r: ImportReport): string {
  const a = r.architecture;
  const extras = [
    a.sandwichNorms && 'sandwich norms',
    a.qkNorm && 'q/k norms',
    a.embedScale !== undefined && `embedding × ${a.embedScale.toFixed(3)}`,
    a.learnedPositions && 'learned positions',
    a.attnSoftcap !== undefined && `attention soft-cap ${a.attnSoftcap}`,
    a.finalSoftcap !== undefined && `final soft-cap ${a.finalSoftcap}`,
    a.slidingWindow && `sliding window ${a.slidingWindow.size} on layers ${a.slidingWindow.layers.join(',')}`,
    a.rope?.llama3 && `llama3 rope scaling ×${a.rope.llama3.factor}`,
  ].filter(Boolean);
  const m = r.traceMemory;
  const lines = [
    `folder      ${r.path}`,
    `family      ${r.family}: ${a.nLayers} layers, d_model ${a.dModel}, ${a.nHeads} heads (${a.nKvHeads} kv, head dim ${a.headDim}), MLP ${a.dMlp} (${a.mlp}), vocab ${a.vocabSize}, context ${a.maxSeqLen}`,
    `norm        ${a.norm} (eps ${a.normEps}); rope ${a.rope ? `${a.rope.kind}, theta ${a.rope.theta}` : 'none'}; embeddings ${a.tiedEmbeddings ? 'tied' : 'untied'}${extras.length ? `; ${extras.join('; ')}` : ''}`,
    `parameters  ${r.parameters.toLocaleString('en-US')}`,
    `weights     ${r.files.join(', ')} (${gib(r.fileBytes)}), stored ${r.storedDtypes.join('+')}; the engine computes in float32 (${gib(4 * r.parameters)} in memory)`,
    `tokenizer   ${r.tokenizer}`,
    `trace       ~${gib(m.totalBytes)} for ${m.promptTokens} tokens (weights ${gib(m.weightsBytes)}, context ${gib(m.contextBytes)}, adjacency ${gib(m.adjacencyBytes)}; assumes ${m.activePerTokenLayer} active features per token and layer)`,
  ];
  if (r.dictionaries.length === 0) lines.push('dictionaries none found in or beside the folder (pass --dict DIR to check one)');
  for (const d of r.dictionaries) lines.push(`dictionary  ${d.compatible ? 'compatible  ' : 'incompatible'} ${d.path}: ${d.reason}`);
  return lines.join('\n') + '\n';
}

export async function cmdImport(argv: string[], out: Out): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    'import',
    argv,
    { dict: { type: 'string', multiple: true }, 'prompt-length': { type: 'string' }, 'dict-width': { type: 'string' }, json: { type: 'boolean' } },
    1,
  );
  const dir = positionals[0];
  if (!dir) throw new UserError('import: give the model folder, e.g. cwb import ./gemma-2-2b');
  const report = await importReport(dir, {
    promptTokens: intOption('prompt-length', values['prompt-length'], 32, 1),
    dictWidth: intOption('dict-width', values['dict-width'], 16384, 1),
    dicts: values.dict ?? [],
  });
  out.stdout(values.json ? JSON.stringify(report, null, 2) + '\n' : text(report));
  return 0;
}
