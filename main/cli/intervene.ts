/** `cwb intervene`: one prompt, a list of feature/error edits, logits before and after (and a continuation). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { InterventionEdit, InterventionResult } from '../../shared/intervention';
import { interventionModeSchema } from '../../shared/intervention';
import { UserError } from '../errors';
import { loadModel } from '../model/load';
import { loadDictionary } from '../dictionary/format';
import { embeddedDictionaryPath } from '../paths';
import { resolveToken } from '../attribution/targets';
import { intervene } from '../intervene/intervene';
import { parseEditOption, parseSteerOption } from '../intervene/spec';
import { isJsonObject, parseJsonSafely } from '../graph/safeJson';
import { idsOption, intOption, parseCommandArgs, tokenArg } from './args';
import type { Out } from './commands';

export async function cmdIntervene(argv: string[], out: Out): Promise<number> {
  const { values } = parseCommandArgs('intervene', argv, {
    model: { type: 'string' },
    tokenizer: { type: 'string' },
    dict: { type: 'string' },
    prompt: { type: 'string' },
    ids: { type: 'string' },
    set: { type: 'string', multiple: true },
    scale: { type: 'string', multiple: true },
    ablate: { type: 'string', multiple: true },
    steer: { type: 'string', multiple: true },
    edits: { type: 'string' },
    mode: { type: 'string' },
    generate: { type: 'string' },
    target: { type: 'string' },
    contrast: { type: 'string' },
    'top-k': { type: 'string' },
    json: { type: 'boolean' },
  });
  if ((values.prompt === undefined) === (values.ids === undefined)) throw new UserError('intervene: give exactly one of --prompt TEXT or --ids 1,15,27');
  const mode = values.mode ?? 'frozen';
  if (!interventionModeSchema.safeParse(mode).success) throw new UserError(`--mode must be frozen, free or constrained, got "${mode}"`);
  const generate = intOption('generate', values.generate, 0, 0);
  const topK = intOption('top-k', values['top-k'], 10, 1);
  if (values.target !== undefined && values.contrast !== undefined) throw new UserError('give either --target or --contrast, not both');
  const { spec, tokenizer } = await loadModel(values);
  const dict = await loadDictionary(path.resolve(values.dict ?? embeddedDictionaryPath), {
    expectModel: { fingerprint: spec.fingerprint, name: spec.name, dModel: spec.config.dModel, nLayers: spec.config.nLayers },
  });
  const V = spec.config.vocabSize;
  const tokens = values.ids !== undefined ? idsOption(values.ids, V) : tokenizer.encode(values.prompt ?? '', { bos: true });
  const T = tokens.length;
  const edits: InterventionEdit[] = [
    ...(values.set ?? []).map((s) => parseEditOption('set', s, T)),
    ...(values.scale ?? []).map((s) => parseEditOption('scale', s, T)),
    ...(values.ablate ?? []).map((s) => parseEditOption('ablate', s, T)),
    ...(values.steer ?? []).map((s) => parseSteerOption(s, T)),
  ];
  if (values.edits !== undefined) {
    // Groups and patches as JSON (the `edits` array of an intervention request); parsed like any untrusted file.
    const j = parseJsonSafely(readFileSync(path.resolve(values.edits), 'utf8'), `--edits ${values.edits}`, { maxBytes: 50 * 2 ** 20, maxDepth: 32 });
    const list = isJsonObject(j) ? j.edits : j;
    if (!Array.isArray(list)) throw new UserError(`--edits ${values.edits}: expected a JSON array of edits (or {"edits": [...]})`);
    edits.push(...(list as InterventionEdit[])); // validated by the request schema in intervene()
  }
  let target;
  if (values.target !== undefined) target = { kind: 'token' as const, token: resolveToken(tokenizer, V, tokenArg(values.target)) };
  if (values.contrast !== undefined) {
    const parts = values.contrast.split(',');
    if (parts.length !== 2) throw new UserError('--contrast takes two tokens separated by a comma');
    target = { kind: 'contrast' as const, a: resolveToken(tokenizer, V, tokenArg(parts[0])), b: resolveToken(tokenizer, V, tokenArg(parts[1])) };
  }
  const t0 = performance.now();
  const r = await intervene(spec, dict, tokenizer, tokens, { edits, mode: mode as 'frozen', generate, topK, ...(target ? { target } : {}) });
  const ms = performance.now() - t0;
  if (values.json) out.stdout(JSON.stringify(resultJson(r)) + '\n');
  else out.stdout(resultText(r, tokens.map((t) => tokenizer.decode([t]))));
  out.stderr(`intervene: ${edits.length} edit(s), mode ${r.mode}, ${ms.toFixed(0)} ms\n`);
  return 0;
}

export function resultJson(r: InterventionResult) {
  return {
    tokens: r.tokens,
    mode: r.mode,
    before: { logits: Array.from(r.before.logits), top: r.before.top },
    after: { logits: Array.from(r.after.logits), top: r.after.top },
    ...(r.target ? { target: { ...r.target, change: r.target.after - r.target.before } } : {}),
    applied: r.applied,
    featureChanges: r.featureChanges,
    ...(r.generated ? { generated: r.generated } : {}),
  };
}

function resultText(r: InterventionResult, texts: string[]): string {
  const q = (s: string) => JSON.stringify(s);
  const lines = [`tokens: ${texts.map((t, i) => `${i}:${q(t)}`).join(' ')}`, `mode: ${r.mode}`];
  for (const c of r.applied) lines.push(`clamp ${c.layer}_${c.feature}_${c.pos}: ${c.before.toFixed(4)} → ${c.after.toFixed(4)}`);
  lines.push('', `${'rank'.padEnd(5)}${'before'.padEnd(34)}after`);
  const cell = (t: InterventionResult['before']['top'][number]) => `${q(t.text).padEnd(12)} ${t.logit.toFixed(3).padStart(8)} ${(100 * t.prob).toFixed(2).padStart(6)}%`.padEnd(34);
  r.before.top.forEach((b, i) => lines.push(`${String(i + 1).padEnd(5)}${cell(b)}${cell(r.after.top[i])}`));
  if (r.target) {
    const t = r.target;
    const p = t.probBefore !== undefined ? `; p ${(100 * t.probBefore).toFixed(2)}% → ${(100 * t.probAfter!).toFixed(2)}%` : '';
    lines.push('', `target ${t.label}: ${t.before.toFixed(4)} → ${t.after.toFixed(4)} (Δ ${(t.after - t.before).toFixed(4)})${p}`);
  }
  if (r.featureChanges.length) {
    lines.push('', 'features that changed most:');
    for (const c of r.featureChanges) lines.push(`  ${c.layer}_${c.feature}_${c.pos}: ${c.before.toFixed(4)} → ${c.after.toFixed(4)}`);
  }
  if (r.generated) lines.push('', `continuation: ${q(r.generated.text)}`);
  return lines.join('\n') + '\n';
}
