/**
 * The diff methods of the typed API (shared/apiDiff.ts) as service handlers; service.ts spreads them into its
 * dispatch table. Paths are resolved inside the workspace (the embedded model and dictionary are allowed); the
 * dictionary is the session's when it fits the base model, else the embedded one when it fits, else none (the
 * features, graphs and explanations levels are then skipped, and `diff.graphs` says why).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ApiParams, ApiResult, Progress } from '../../shared/api';
import type { Dictionary } from '../../shared/dictionary';
import type { DiffApiResults } from '../../shared/apiDiff';
import { UserError } from '../errors';
import { writeFileAtomic } from '../files';
import { loadModel, type LoadedModel } from '../model/load';
import { loadDictionary } from '../dictionary/format';
import { assetsDir, embeddedDictionaryPath } from '../paths';
import type { Workspace } from '../api/workspace';
import { DIFF_REPORT_GENERATOR, renderDiffHtml } from './html';
import { runDiff } from './run';
import { parseSuiteText } from './suite';
import { explanationFiles } from './explanations';
import { checkComparable } from './comparable';
import { argmax } from '../engine/sampler';
import { lastLogits } from './batch';
import { graphDiff } from './graphs';

export interface DiffDeps {
  readonly ws: Workspace;
  /** The session's dictionary folder, if one is open. */
  readonly sessionDictionary: () => string | null;
}

interface Ctx {
  readonly signal: AbortSignal;
  readonly progress: (p: Progress) => void;
}

export type DiffHandlers = { [M in keyof DiffApiResults]: (p: ApiParams<M>, ctx: Ctx) => Promise<ApiResult<M>> };

async function dictionaryFor(base: LoadedModel, deps: DiffDeps): Promise<{ dict: Dictionary; dir: string } | null> {
  const { spec } = base;
  const expectModel = { fingerprint: spec.fingerprint, name: spec.name, dModel: spec.config.dModel, nLayers: spec.config.nLayers };
  for (const dir of [deps.sessionDictionary(), embeddedDictionaryPath]) {
    if (!dir) continue;
    try {
      return { dict: await loadDictionary(dir, { expectModel }), dir };
    } catch {
      // does not fit the base model: try the next one
    }
  }
  return null;
}

/** Our own earlier reports may be replaced; any other existing file is refused. */
function checkReportTarget(file: string, kind: 'json' | 'html'): void {
  if (!(kind === 'json' ? /\.json$/i : /\.html?$/i).test(file)) throw new UserError(`the report file ${path.basename(file)} should end in .${kind}`);
  if (!existsSync(path.dirname(file))) throw new UserError(`folder ${path.dirname(file)} does not exist`);
  if (!existsSync(file)) return;
  const head = statSync(file).size <= 64 * 1024 * 1024 ? readFileSync(file, 'utf8').slice(0, 4096) : '';
  const ours = kind === 'json' ? head.includes('"kind": "cwb-model-diff"') : head.includes(DIFF_REPORT_GENERATOR);
  if (!ours) throw new UserError(`${path.basename(file)} exists and is not a model diff report: choose another name`);
}

export function diffHandlers(deps: DiffDeps): DiffHandlers {
  const { ws } = deps;
  const model = (p: string) => loadModel({ model: ws.resolve(p, [assetsDir]) });
  return {
    'diff.run': async (p, ctx) => {
      ctx.progress({ phase: 'load', done: 0, total: 1 });
      const suiteFile = ws.resolve(p.suite);
      if (!/\.(txt|jsonl)$/i.test(suiteFile)) throw new UserError(`suite ${path.basename(suiteFile)}: expected a .txt or .jsonl file`);
      if (!existsSync(suiteFile) || statSync(suiteFile).size > 64 * 1024 * 1024) throw new UserError(`suite ${path.basename(suiteFile)} not found or over 64 MiB`);
      const entries = parseSuiteText(readFileSync(suiteFile, 'utf8'), path.basename(suiteFile));
      const out = p.out === undefined ? null : ws.resolve(p.out);
      const html = p.html === undefined ? null : ws.resolve(p.html);
      if (out) checkReportTarget(out, 'json');
      if (html) checkReportTarget(html, 'html');
      const files = p.explanations === undefined ? [] : explanationFiles(ws.resolve(p.explanations));
      const base = await model(p.base);
      const candidate = await model(p.candidate);
      const d = await dictionaryFor(base, deps);
      const report = await runDiff({
        base, candidate, suite: { name: path.basename(suiteFile), entries }, dict: d?.dict, dictDir: d?.dir, explanationFiles: files,
        options: { patchPrompts: p.patchPrompts, graphPrompts: p.graphPrompts }, signal: ctx.signal,
        onProgress: (phase, done, total) => ctx.progress({ phase, done, total }),
      });
      if (out) writeFileAtomic(out, JSON.stringify(report, null, 2) + '\n');
      if (html) writeFileAtomic(html, renderDiffHtml(report));
      return report;
    },
    'diff.graphs': async (p, ctx) => {
      ctx.progress({ phase: 'load', done: 0, total: 3 });
      const base = await model(p.base);
      const candidate = await model(p.candidate);
      if (checkComparable(base, candidate, [{ prompt: p.prompt }]).level !== 'full') throw new UserError('the two models have different architectures: only their outputs can be compared, not their graphs');
      const d = await dictionaryFor(base, deps);
      if (!d) throw new UserError(`no dictionary fits ${base.spec.name}: open one for the base model to compare graphs`);
      const tokens = base.tokenizer.encode(p.prompt, { bos: true });
      const ctxLen = Math.min(base.spec.config.maxSeqLen, candidate.spec.config.maxSeqLen);
      if (tokens.length > ctxLen) throw new UserError(`the prompt is ${tokens.length} tokens, over the context of ${ctxLen}`);
      const [la] = await lastLogits(base.spec, [tokens], ctx.signal);
      const [lb] = await lastLogits(candidate.spec, [tokens], ctx.signal);
      ctx.progress({ phase: 'graphs', done: 1, total: 3 });
      return graphDiff(base.spec, candidate.spec, d.dict, base.tokenizer, { index: 0, text: p.prompt, tokens }, [argmax(la), argmax(lb)]);
    },
  };
}
