/** `cwb explain` (prompt + causal tests → explanation file) and `cwb verify` (re-check one on a given model). */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors';
import { loadModel } from '../model/load';
import { loadDictionary } from '../dictionary/format';
import { resolveToken } from '../attribution/targets';
import { embeddedDictionaryPath } from '../paths';
import { interventionRequestSchema } from '../../shared/intervention';
import { makeExplanation, type ExplanationTargets } from '../explain/build';
import { parseTestSpec } from '../explain/testSpec';
import { loadExplanation, saveExplanation } from '../explain/file';
import { verifyExplanation, type VerifyReport } from '../explain/verify';
import { floatOption, idsOption, intOption, parseCommandArgs, tokenArg } from './args';
import type { Out } from './commands';
import { traceArgs } from './trace';

export async function cmdExplain(argv: string[], out: Out): Promise<number> {
  const { values } = parseCommandArgs('explain', argv, { ...traceArgs, test: { type: 'string', multiple: true } });
  if (!values.out) throw new UserError('explain: --out FILE.circuit.json is required');
  if ((values.prompt === undefined) === (values.ids === undefined)) throw new UserError('explain: give exactly one of --prompt TEXT or --ids 1,15,27');
  if (values.target !== undefined && values.contrast !== undefined) throw new UserError('give either --target or --contrast, not both');
  const outFile = path.resolve(values.out);
  if (!existsSync(path.dirname(outFile))) throw new UserError(`--out: directory ${path.dirname(outFile)} does not exist`);
  const attribution = {
    nodeThreshold: floatOption('node-threshold', values['node-threshold'], 0.8, 0, 1),
    edgeThreshold: floatOption('edge-threshold', values['edge-threshold'], 0.98, 0, 1),
    maxFeatureNodes: values['max-feature-nodes'] === undefined ? null : intOption('max-feature-nodes', values['max-feature-nodes'], 0, 1),
    batchSize: intOption('batch-size', values['batch-size'], 256, 1),
  };
  const { spec, tokenizer } = await loadModel(values);
  const dict = await loadDictionary(path.resolve(values.dict ?? embeddedDictionaryPath), {
    expectModel: { fingerprint: spec.fingerprint, name: spec.name, dModel: spec.config.dModel, nLayers: spec.config.nLayers },
  });
  const V = spec.config.vocabSize;
  const tokens = values.ids !== undefined ? idsOption(values.ids, V) : tokenizer.encode(values.prompt ?? '', { bos: true });
  let targets: ExplanationTargets = { kind: 'salient' };
  if (values.target !== undefined) targets = { kind: 'tokens', tokens: values.target.split('|').map((t) => resolveToken(tokenizer, V, tokenArg(t))) };
  if (values.contrast !== undefined) {
    const p = values.contrast.split(',');
    if (p.length !== 2) throw new UserError('--contrast takes two tokens separated by a comma');
    targets = { kind: 'contrast', a: resolveToken(tokenizer, V, tokenArg(p[0])), b: resolveToken(tokenizer, V, tokenArg(p[1])) };
  }
  const tests = (values.test ?? []).map((s) => {
    const t = parseTestSpec(s, tokenizer, V, tokens.length);
    return { name: s, spec: s, intervention: interventionRequestSchema.parse({ edits: t.edits, mode: t.mode }), expectation: t.expectation };
  });
  const e = await makeExplanation(spec, dict, tokenizer, { prompt: values.prompt ?? tokenizer.decode(tokens), tokens, targets, attribution, tests });
  saveExplanation(outFile, e);
  for (const t of e.tests) out.stderr(`${t.result!.passed ? 'PASS' : 'FAIL'} ${t.name}: ${t.result!.before.toPrecision(4)} → ${t.result!.after.toPrecision(4)}\n`);
  const nodes = (e.graph.json.nodes as unknown[]).length;
  out.stderr(`explain: ${tokens.length} tokens, ${nodes} graph nodes, ${e.tests.length} test(s) → ${outFile}\n`);
  return 0;
}

export async function cmdVerify(argv: string[], out: Out): Promise<number> {
  const { values, positionals } = parseCommandArgs('verify', argv, {
    model: { type: 'string' },
    tokenizer: { type: 'string' },
    dict: { type: 'string' },
    json: { type: 'boolean' },
  }, 1);
  const file = positionals[0];
  if (!file) throw new UserError('verify: give an explanation file (FILE.circuit.json)');
  const e = loadExplanation(path.resolve(file));
  const { spec, tokenizer } = await loadModel(values);
  // No model check on the dictionary: verifying against an updated model is what this command is for.
  const dict = await loadDictionary(path.resolve(values.dict ?? embeddedDictionaryPath));
  const r = await verifyExplanation(spec, dict, tokenizer, e);
  if (values.json) out.stdout(JSON.stringify(r, null, 2) + '\n');
  else out.stdout(reportText(r));
  return r.ok ? 0 : 1;
}

function reportText(r: VerifyReport): string {
  const f = r.fingerprints;
  const fp = (x: { saved: string; now: string; match: boolean }) => (x.match ? `matches (${x.now.slice(0, 12)}…)` : `CHANGED ${x.saved.slice(0, 12)}… → ${x.now.slice(0, 12)}…`);
  const d = r.drift;
  const lines = [
    `model fingerprint: ${fp(f.model)}`,
    `dictionary fingerprint: ${fp(f.dictionary)}`,
    `graph: ${d.nodes.saved} → ${d.nodes.now} nodes (+${d.nodes.gained.length} −${d.nodes.lost.length}), ${d.edges.saved} → ${d.edges.now} edges (+${d.edges.gained} −${d.edges.lost})`,
    `saved subgraph present: ${(100 * d.subgraphPresent).toFixed(1)}% of ${d.subgraphSize} nodes; influence change mean ${d.influenceChange.mean.toExponential(2)}, max ${d.influenceChange.max.toExponential(2)}`,
  ];
  for (const t of r.tests) {
    const old = t.old ? `was ${t.old.passed ? 'pass' : 'fail'} ${t.old.before.toPrecision(4)} → ${t.old.after.toPrecision(4)}; ` : '';
    lines.push(`${t.passed ? 'PASS' : 'FAIL'} ${t.id} ${t.name}: ${old}now ${t.new.before.toPrecision(4)} → ${t.new.after.toPrecision(4)}`);
  }
  lines.push(`${r.ok ? 'OK' : 'FAILED'}: ${r.tests.filter((t) => t.passed).length}/${r.tests.length} tests hold (${r.seconds.toFixed(2)} s)`);
  return lines.join('\n') + '\n';
}
