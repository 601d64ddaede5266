/** `cwb diff`: compare a base and a candidate checkpoint on a prompt suite (main/diff/run.ts) → JSON (+ HTML) report. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { DiffReport } from '../../shared/diff';
import type { Dictionary } from '../../shared/dictionary';
import { UserError } from '../errors';
import { writeFileAtomic } from '../files';
import { loadModel } from '../model/load';
import { loadDictionary } from '../dictionary/format';
import { embeddedDictionaryPath } from '../paths';
import { runDiff } from '../diff/run';
import { renderDiffHtml } from '../diff/html';
import { explanationFiles } from '../diff/explanations';
import { parseSuiteText } from '../diff/suite';
import { intOption, parseCommandArgs } from './args';
import type { Out } from './commands';
import { INTERRUPTED, interruptible, progressLine } from './progress';

function outFile(flag: string, p: string, ext: RegExp): string {
  const f = path.resolve(p);
  if (!ext.test(f)) throw new UserError(`--${flag}: ${f} should end in ${ext.source.replace(/\\|\$/g, '')}`);
  if (!existsSync(path.dirname(f))) throw new UserError(`--${flag}: directory ${path.dirname(f)} does not exist`);
  return f;
}

function readSuite(file: string): { name: string; text: string } {
  const p = path.resolve(file);
  let size: number;
  try {
    size = statSync(p).size;
  } catch {
    throw new UserError(`--prompts: suite file not found: ${p}`);
  }
  if (size > 64 * 1024 * 1024) throw new UserError(`--prompts: ${p} is over 64 MiB`);
  if (!/\.(txt|jsonl)$/i.test(p)) throw new UserError(`--prompts: ${p}: expected a .txt (one prompt per line) or .jsonl ({"prompt": …, "target": …} per line) file`);
  return { name: path.basename(p), text: readFileSync(p, 'utf8') };
}

export async function cmdDiff(argv: string[], out: Out): Promise<number> {
  const { values } = parseCommandArgs('diff', argv, {
    base: { type: 'string' },
    candidate: { type: 'string' },
    'base-tokenizer': { type: 'string' },
    'candidate-tokenizer': { type: 'string' },
    dict: { type: 'string' },
    prompts: { type: 'string' },
    explanations: { type: 'string' },
    out: { type: 'string' },
    html: { type: 'string' },
    'patch-prompts': { type: 'string' },
    'graph-prompts': { type: 'string' },
    'graph-at': { type: 'string' },
    'feature-rows': { type: 'string' },
  });
  if (!values.base || !values.candidate) throw new UserError('diff: --base MODEL and --candidate MODEL are required');
  if (!values.prompts) throw new UserError('diff: --prompts SUITE.txt|SUITE.jsonl is required');
  if (!values.out) throw new UserError('diff: --out REPORT.json is required');
  const jsonOut = outFile('out', values.out, /\.json$/i);
  const htmlOut = values.html ? outFile('html', values.html, /\.html?$/i) : null;
  const options = {
    patchPrompts: intOption('patch-prompts', values['patch-prompts'], 8, 0),
    graphPrompts: intOption('graph-prompts', values['graph-prompts'], 2, 0),
    featureRows: intOption('feature-rows', values['feature-rows'], 30, 0),
    graphAt: values['graph-at'] === undefined ? [] : values['graph-at'].split(',').map((x) => intOption('graph-at', x.trim(), 1, 1) - 1),
  };
  const suiteFile = readSuite(values.prompts);
  const entries = parseSuiteText(suiteFile.text, suiteFile.name);
  const files = values.explanations ? explanationFiles(path.resolve(values.explanations)) : [];
  const base = await loadModel({ model: values.base, tokenizer: values['base-tokenizer'] });
  const candidate = await loadModel({ model: values.candidate, tokenizer: values['candidate-tokenizer'] });
  let dict: Dictionary | undefined;
  const dictDir = path.resolve(values.dict ?? embeddedDictionaryPath);
  const expectModel = { fingerprint: base.spec.fingerprint, name: base.spec.name, dModel: base.spec.config.dModel, nLayers: base.spec.config.nLayers };
  try {
    dict = await loadDictionary(dictDir, { expectModel });
  } catch (e) {
    // An explicit --dict must fit the base model; the embedded one only fits stories260K.
    if (values.dict) throw e;
    out.stderr(`diff: no dictionary for ${base.spec.name} (${e instanceof Error ? e.message : String(e)}); features, graphs and explanations are skipped (pass --dict DIR)\n`);
  }
  const bar = progressLine(out, 'diff', 'steps', { final: false });
  const r = await interruptible(out, 'diff: interrupted, no report written', (signal) =>
    runDiff({ base, candidate, suite: { name: suiteFile.name, entries }, dict, dictDir: dict ? dictDir : undefined, explanationFiles: files, options, signal, onProgress: (phase, done, total) => bar(done, total, phase) }));
  if (r === INTERRUPTED) return 130;
  out.stderr('\n');
  writeFileAtomic(jsonOut, JSON.stringify(r, null, 2) + '\n');
  if (htmlOut) writeFileAtomic(htmlOut, renderDiffHtml(r));
  out.stdout(summary(r));
  out.stderr(`diff: report → ${jsonOut}${htmlOut ? ` and ${htmlOut}` : ''} (${r.timings.total.toFixed(1)} s)\n`);
  return 0;
}

export function summary(r: DiffReport): string {
  const lines = [`${r.base.name} → ${r.candidate.name}: ${r.comparability.level === 'full' ? 'full comparison' : 'outputs only'} on ${r.suite.prompts} prompts`];
  for (const n of r.comparability.notes.slice(0, 5)) lines.push(`  note: ${n}`);
  if (r.weights) {
    if (r.weights.identical) lines.push('weights: identical');
    for (const c of r.weights.components.filter((x) => x.relChange > 0).slice(0, 3)) lines.push(`weights: ${c.id} relative change ${c.relChange.toExponential(3)}`);
    const t = r.weights.tensors[0];
    if (t && t.changedEntries > 0) lines.push(`weights: top tensor ${t.name} ${t.relChange.toExponential(3)}, rank ${t.rank ? `${t.rank.atLeast ? '≥ ' : ''}${t.rank.rank}` : 'n/a'}`);
  }
  lines.push(`outputs: mean KL ${r.outputs.meanKl.toExponential(3)}, max ${r.outputs.maxKl.toExponential(3)}, ${r.outputs.flips} top-token flips`);
  for (const p of r.outputs.prompts.slice(0, 3)) lines.push(`outputs: #${p.index + 1} KL ${p.kl.toFixed(4)} ${JSON.stringify(p.topA.text)} → ${JSON.stringify(p.topB.text)}  ${JSON.stringify(p.text)}`);
  if (r.patching && r.patching.prompts.length === 0) lines.push('patching: no prompt changed, nothing to localize');
  for (const c of r.patching?.prompts.length ? r.patching.components.slice(0, 3) : []) lines.push(`patching: ${c.hook} reproduces ${(100 * c.reproduced).toFixed(1)}%, restores ${(100 * c.restored).toFixed(1)}%`);
  for (const f of r.features?.rows.slice(0, 3) ?? []) lines.push(`features: ${f.layer}:${f.feature} ${f.status} mean ${f.meanA.toFixed(3)} → ${f.meanB.toFixed(3)}`);
  for (const g of r.graphs ?? []) lines.push(`graphs: #${g.prompt + 1} nodes ${g.nodes.a} → ${g.nodes.b} (+${g.nodes.gained.length} −${g.nodes.lost.length}), edges +${g.edges.gained} −${g.edges.lost}`);
  for (const e of r.explanations ?? []) lines.push(`explanation: ${e.error ? `ERROR ${e.error}` : e.ok ? 'HOLDS' : 'BROKEN'} ${path.basename(e.file)}${e.tests.filter((t) => !t.passedOnB).map((t) => ` (fails: ${t.name})`).join('')}`);
  return lines.join('\n') + '\n';
}
