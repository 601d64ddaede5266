/** `cwb probe train|eval`: linear probes on a hook's activations (main/probe/). */
import path from 'node:path';
import { probePositionSchema, type ProbeMetrics } from '../../shared/probe';
import { UserError } from '../errors';
import { loadModel } from '../model/load';
import { itemContext, readLabeled } from '../probe/data';
import { loadProbe, saveProbe } from '../probe/file';
import { evalProbe, trainProbe } from '../probe/train';
import { intOption, parseCommandArgs } from './args';
import type { Out } from './commands';
import { progressLine } from './progress';

const fmt = (m: ProbeMetrics) => `n ${m.n} (${m.positives} positive), AUROC ${m.auroc === null ? 'n/a' : m.auroc.toFixed(3)}, accuracy ${m.accuracy.toFixed(3)}, log-loss ${m.logLoss.toFixed(3)}`;

export async function cmdProbe(argv: string[], out: Out): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'train') return cmdProbeTrain(rest, out);
  if (sub === 'eval') return cmdProbeEval(rest, out);
  throw new UserError(`probe: ${sub ? `unknown subcommand "${sub}"` : 'missing subcommand'} (train, eval; see cwb help)`);
}

async function cmdProbeTrain(argv: string[], out: Out): Promise<number> {
  const { values } = parseCommandArgs('probe train', argv, {
    model: { type: 'string' },
    tokenizer: { type: 'string' },
    hook: { type: 'string' },
    data: { type: 'string' },
    out: { type: 'string' },
    position: { type: 'string' },
    seed: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (!values.hook) throw new UserError('probe train: --hook NAME is required (e.g. blocks.4.hook_resid_post)');
  if (!values.data) throw new UserError('probe train: --data LABELED.jsonl is required');
  if (!values.out) throw new UserError('probe train: --out PROBE.json is required');
  const position = probePositionSchema.safeParse(values.position ?? 'last');
  if (!position.success) throw new UserError(`--position must be last or mean, got "${values.position}"`);
  const seed = intOption('seed', values.seed, 0, 0);
  const { spec, tokenizer } = await loadModel(values);
  const data = readLabeled(path.resolve(values.data), itemContext(spec, tokenizer));
  const t0 = performance.now();
  const probe = await trainProbe(spec, data, { hook: values.hook, position: position.data, seed, onProgress: progressLine(out, 'activations', 'items', { final: false }) });
  saveProbe(path.resolve(values.out), probe);
  if (values.json) out.stdout(JSON.stringify({ l2: probe.l2, metrics: probe.metrics }) + '\n');
  else {
    out.stdout(`probe ${probe.hook} (${probe.position}), L2 ${probe.l2} chosen on validation\n`);
    for (const k of ['train', 'validation', 'test'] as const) out.stdout(`  ${k.padEnd(10)} ${fmt(probe.metrics[k])}\n`);
  }
  out.stderr(`\rprobe train: ${data.seqs.length} items in ${((performance.now() - t0) / 1000).toFixed(1)} s → ${values.out}\u001b[K\n`);
  return 0;
}

async function cmdProbeEval(argv: string[], out: Out): Promise<number> {
  const { values } = parseCommandArgs('probe eval', argv, {
    model: { type: 'string' },
    tokenizer: { type: 'string' },
    probe: { type: 'string' },
    data: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (!values.probe) throw new UserError('probe eval: --probe PROBE.json is required');
  if (!values.data) throw new UserError('probe eval: --data LABELED.jsonl is required');
  const { spec, tokenizer } = await loadModel(values);
  const probe = loadProbe(path.resolve(values.probe), spec);
  const data = readLabeled(path.resolve(values.data), itemContext(spec, tokenizer));
  const r = await evalProbe(spec, probe, data, { onProgress: progressLine(out, 'activations', 'items', { final: false }) });
  out.stderr('\r\u001b[K');
  if (values.json) out.stdout(JSON.stringify(r) + '\n');
  else out.stdout(`probe ${probe.hook} (${probe.position}) on ${r.scope}: ${fmt(r.metrics)}\n`);
  return 0;
}
