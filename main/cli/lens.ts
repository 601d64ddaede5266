/** `cwb lens`: the logit lens of a prompt, as a table (one line per layer) or JSON. */
import { resolveToken } from '../attribution/targets';
import { UserError } from '../errors';
import { loadModel } from '../model/load';
import { logitLens } from '../lens/lens';
import { idsOption, intOption, parseCommandArgs, tokenArg } from './args';
import { checkContext, type Out } from './commands';

export async function cmdLens(argv: string[], out: Out): Promise<number> {
  const { values } = parseCommandArgs('lens', argv, {
    model: { type: 'string' },
    tokenizer: { type: 'string' },
    prompt: { type: 'string' },
    ids: { type: 'string' },
    target: { type: 'string' },
    'top-k': { type: 'string' },
    position: { type: 'string' },
    json: { type: 'boolean' },
  });
  if ((values.prompt === undefined) === (values.ids === undefined)) throw new UserError('lens: give exactly one of --prompt TEXT or --ids 1,15,27');
  const topK = intOption('top-k', values['top-k'], 5, 1);
  const { spec, tokenizer } = await loadModel(values);
  const V = spec.config.vocabSize;
  const ids = values.ids !== undefined ? idsOption(values.ids, V) : tokenizer.encode(values.prompt ?? '', { bos: true });
  checkContext(ids.length, spec.config.maxSeqLen);
  const target = values.target === undefined ? undefined : resolveToken(tokenizer, V, tokenArg(values.target));
  const lens = await logitLens(spec, tokenizer, ids, { target, topK });
  if (values.json) {
    const { raw: _raw, ...view } = lens;
    out.stdout(JSON.stringify(view) + '\n');
    return 0;
  }
  // Text: one position (default the last), one line per layer.
  const pos = intOption('position', values.position, ids.length - 1, 0);
  if (pos >= ids.length) throw new UserError(`--position ${pos} is past the prompt's ${ids.length} tokens (0–${ids.length - 1})`);
  const q = JSON.stringify;
  out.stdout(`position ${pos} (token ${q(lens.tokens[pos].text)})${lens.target ? `, target ${q(lens.target.text)} (#${lens.target.id})` : ''}\n`);
  lens.rows.forEach((row, r) => {
    const c = lens.cells[r][pos];
    const tgt = c.targetProb !== null ? `  target p=${(100 * c.targetProb).toFixed(2)}% rank ${c.targetRank! + 1}` : '';
    out.stdout(`${row.padEnd(26)} H=${c.entropy.toFixed(2)}  ${c.top.map((p) => `${q(p.text)}:${(100 * p.prob).toFixed(1)}%`).join(' ')}${tgt}\n`);
  });
  return 0;
}
