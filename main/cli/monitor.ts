/** `cwb monitor` (stream scoring with alerts) and `cwb monitor eval` (against labels, next to baselines). */
import { createReadStream, createWriteStream, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Dictionary } from '../../shared/dictionary';
import { resolveToken } from '../attribution/targets';
import { loadDictionary } from '../dictionary/format';
import { UserError } from '../errors';
import { loadModel } from '../model/load';
import { embeddedDictionaryPath } from '../paths';
import { itemContext, readLabeled } from '../probe/data';
import { evalTable, evaluateMonitors } from '../monitor/evaluate';
import { loadMonitorsFile, needsDictionary, resolveMonitors } from '../monitor/file';
import { MonitorScorer } from '../monitor/scorer';
import { lineWriter, monitorStream } from '../monitor/stream';
import { intOption, parseCommandArgs, tokenArg } from './args';
import type { Out } from './commands';
import { progressLine } from './progress';

const common = {
  model: { type: 'string' },
  tokenizer: { type: 'string' },
  dict: { type: 'string' },
  monitors: { type: 'string' },
} as const;

async function setup(values: { model?: string; tokenizer?: string; dict?: string; monitors?: string }) {
  if (!values.monitors) throw new UserError('--monitors FILE.json is required (a cwb-monitors file; see README "Monitors")');
  const file = path.resolve(values.monitors);
  const monitors = loadMonitorsFile(file);
  const { spec, tokenizer } = await loadModel(values);
  let dict: Dictionary | null = null;
  if (needsDictionary(monitors)) {
    dict = await loadDictionary(path.resolve(values.dict ?? embeddedDictionaryPath), {
      expectModel: { fingerprint: spec.fingerprint, name: spec.name, dModel: spec.config.dModel, nLayers: spec.config.nLayers },
    });
  }
  const resolved = resolveMonitors(monitors, { spec, tokenizer, dict, baseDir: path.dirname(file) });
  const scorer = new MonitorScorer(spec, dict, resolved);
  const ctx = itemContext(spec, tokenizer);
  return { spec, tokenizer, scorer, resolved, ctx };
}

export async function cmdMonitor(argv: string[], out: Out): Promise<number> {
  if (argv[0] === 'eval') return cmdMonitorEval(argv.slice(1), out);
  const { values } = parseCommandArgs('monitor', argv, {
    ...common,
    input: { type: 'string' },
    out: { type: 'string' },
    batch: { type: 'string' },
    'alerts-only': { type: 'boolean' },
  });
  if (!values.input) throw new UserError('monitor: --input STREAM.jsonl is required ("-" reads stdin)');
  const batchItems = intOption('batch', values.batch, 64, 1);
  const inputPath = values.input === '-' ? null : path.resolve(values.input);
  if (inputPath && !existsSync(inputPath)) throw new UserError(`input file not found: ${inputPath}`);
  if (inputPath && statSync(inputPath).isDirectory()) throw new UserError(`${inputPath} is a directory: pass a .jsonl file`);
  const { scorer, resolved, ctx } = await setup(values);
  const input = inputPath ? createReadStream(inputPath) : process.stdin;
  const file = values.out ? createWriteStream(path.resolve(values.out)) : null;
  const write = file ? lineWriter(file) : async (s: string) => out.stdout(s);
  const t0 = performance.now();
  const progress = (items: number, flagged: number) => {
    const s = (performance.now() - t0) / 1000;
    out.stderr(`\rmonitor: ${items} items, ${flagged} flagged, ${(items / Math.max(s, 1e-3)).toFixed(0)} items/s\u001b[K`);
  };
  let last = 0;
  try {
    const summary = await monitorStream(input, write, scorer, resolved.map((m) => m.threshold), ctx, {
      batchItems,
      alertsOnly: values['alerts-only'],
      source: values.input,
      onProgress: (items, flagged) => {
        if (performance.now() - last > 500) {
          last = performance.now();
          progress(items, flagged);
        }
      },
    });
    const rate = summary.items / Math.max(summary.seconds, 1e-3);
    out.stderr(`\rmonitor: ${summary.items} items in ${summary.seconds.toFixed(1)} s (${rate.toFixed(0)} items/s); alerts: ${Object.entries(summary.alerts).map(([k, v]) => `${k} ${v}`).join(', ')}\u001b[K\n`);
  } finally {
    if (file) await new Promise<void>((resolve) => file.end(resolve));
  }
  return 0;
}

async function cmdMonitorEval(argv: string[], out: Out): Promise<number> {
  const { values } = parseCommandArgs('monitor eval', argv, {
    ...common,
    data: { type: 'string' },
    seed: { type: 'string' },
    'baseline-token': { type: 'string' },
    json: { type: 'boolean' },
  });
  if (!values.data) throw new UserError('monitor eval: --data LABELED.jsonl is required');
  const seed = intOption('seed', values.seed, 0, 0);
  const { spec, tokenizer, scorer, resolved, ctx } = await setup(values);
  const data = readLabeled(path.resolve(values.data), ctx);
  const tokArg = values['baseline-token'];
  const baselineToken = tokArg === undefined ? null : resolveToken(tokenizer, spec.config.vocabSize, tokenArg(tokArg));
  const e = await evaluateMonitors(spec, scorer, resolved.map((m) => m.kind), resolved.map((m) => m.threshold), data, {
    seed,
    baselineToken,
    baselineTokenText: tokArg,
    onProgress: progressLine(out, 'monitor eval', 'items', { final: false }),
  });
  out.stderr('\r\u001b[K');
  out.stdout(values.json ? JSON.stringify(e) + '\n' : evalTable({ ...e, data: { ...e.data, file: values.data } }));
  return 0;
}
