/**
 * `runDiff`: the whole model diff of a base A and a candidate B on a prompt suite, level by level (weights,
 * outputs, patching, features, graphs, saved explanations), into one validated DiffReport (shared/diff.ts).
 * Shared by `cwb diff`, the app's Diff view and the benchmark.
 */
import { DIFF_FORMAT_VERSION, diffReportSchema, type DiffReport, type GraphDiff } from '../../shared/diff';
import type { Dictionary } from '../../shared/dictionary';
import { parameterCount, type ModelSpec } from '../../shared/model';
import { APP } from '../explain/build';
import { UserError } from '../errors';
import { checkComparable, type Side } from './comparable';
import { lastLogits } from './batch';
import { outputsLevel } from './outputs';
import { diffWeights } from './weights';
import { patchingLevel, PATCH_METRIC } from './patching';
import { featuresLevel } from './features';
import { graphDiff, type GraphSettings, DEFAULT_GRAPH_SETTINGS } from './graphs';
import { explanationsLevel } from './explanations';
import { tokenizeSuite, type SuiteEntry } from './suite';

export interface DiffOptions {
  /** Prompts patched (the most affected ones with a nonzero change). */
  readonly patchPrompts?: number;
  /** Prompts whose graph pair goes into the report (the most affected ones). */
  readonly graphPrompts?: number;
  /** Suite indices (0-based) whose graph pairs go into the report as well, changed or not. */
  readonly graphAt?: readonly number[];
  readonly featureRows?: number;
  readonly rankProbes?: number;
  readonly graph?: GraphSettings;
}

export interface DiffInput {
  readonly base: Side;
  readonly candidate: Side;
  readonly suite: { readonly name: string; readonly entries: readonly SuiteEntry[] };
  /** The base dictionary (features, graphs and explanations need it); `dictDir` adds feature cards. */
  readonly dict?: Dictionary;
  readonly dictDir?: string;
  readonly explanationFiles?: readonly string[];
  readonly options?: DiffOptions;
  readonly signal?: AbortSignal;
  readonly onProgress?: (phase: string, done: number, total: number) => void;
}

function ref(spec: ModelSpec) {
  return { name: spec.name, path: spec.path, fingerprint: spec.fingerprint, format: spec.format, parameters: parameterCount(spec) };
}

export async function runDiff(input: DiffInput): Promise<DiffReport> {
  const { base: A, candidate: B, signal } = input;
  const o = input.options ?? {};
  const progress = input.onProgress ?? (() => {});
  const timings: Record<string, number> = {};
  const timed = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await f();
    } finally {
      timings[name] = (performance.now() - t0) / 1000;
    }
  };
  const t0 = performance.now();
  const comparability = checkComparable(A, B, input.suite.entries);
  const full = comparability.level === 'full';
  const ctx = Math.min(A.spec.config.maxSeqLen, B.spec.config.maxSeqLen);
  const suite = tokenizeSuite(input.suite.entries, A.tokenizer, A.spec.config.vocabSize, ctx, input.suite.name);
  const tokens = suite.prompts.map((p) => p.tokens);
  const n = tokens.length;
  for (const i of o.graphAt ?? []) if (!(Number.isInteger(i) && i >= 0 && i < n)) throw new UserError(`graph prompt ${i + 1} is not in the suite (1…${n})`);

  progress('weights', 0, 1);
  const weights = full ? await timed('weights', () => diffWeights(A.spec, B.spec, { probes: o.rankProbes, signal })) : null;

  const outputs = await timed('outputs', async () => {
    const la = await lastLogits(A.spec, tokens, signal, (d) => progress('outputs', d, 2 * n));
    const lb = await lastLogits(B.spec, tokens, signal, (d) => progress('outputs', n + d, 2 * n));
    return outputsLevel(suite.prompts, la, lb, A.tokenizer);
  });
  const affected = outputs.prompts.filter((p) => p.kl > 0);

  progress('patching', 0, 1);
  const patched = affected.slice(0, o.patchPrompts ?? 8).map((p) => p.index);
  const patching = full ? { metric: PATCH_METRIC, prompts: patched, components: await timed('patching', () => patchingLevel(A.spec, B.spec, tokens, patched, signal)) } : null;

  progress('features', 0, 1);
  const dict = full ? input.dict : undefined;
  const features = dict ? await timed('features', () => featuresLevel(A.spec, B.spec, dict, A.tokenizer, tokens, { dictDir: input.dictDir, top: o.featureRows, signal })) : null;

  let graphs: GraphDiff[] | null = null;
  if (dict) {
    const byIndex = new Map(outputs.prompts.map((p) => [p.index, p]));
    const chosen = [...new Set([...affected.slice(0, o.graphPrompts ?? 2), ...(o.graphAt ?? []).map((i) => byIndex.get(i)!)])];
    graphs = await timed('graphs', async () => {
      const out: GraphDiff[] = [];
      for (const [i, p] of chosen.entries()) {
        signal?.throwIfAborted();
        progress('graphs', i, chosen.length);
        const targets = [p.topA.id, p.topB.id, ...(p.target ? [p.target.id] : [])];
        out.push(await graphDiff(A.spec, B.spec, dict, A.tokenizer, { index: p.index, text: p.text, tokens: tokens[p.index] }, targets, o.graph ?? DEFAULT_GRAPH_SETTINGS));
      }
      return out;
    });
  }

  const files = input.explanationFiles ?? [];
  const explanations = dict && files.length > 0 ? await timed('explanations', () => explanationsLevel(B.spec, dict, B.tokenizer, files, signal)) : null;
  timings.total = (performance.now() - t0) / 1000;

  const report: DiffReport = {
    formatVersion: DIFF_FORMAT_VERSION,
    kind: 'cwb-model-diff',
    app: APP,
    createdAt: new Date().toISOString(),
    base: ref(A.spec),
    candidate: ref(B.spec),
    comparability,
    suite: { name: suite.name, prompts: n, tokens: tokens.reduce((s, t) => s + t.length, 0) },
    dictionary: dict ? { name: dict.name, fingerprint: dict.fingerprint } : null,
    weights,
    outputs,
    patching,
    features,
    graphs,
    explanations,
    timings,
  };
  // The report is a file format: what we write must be what a reader accepts.
  return diffReportSchema.parse(report);
}
