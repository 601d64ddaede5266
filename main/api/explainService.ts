/**
 * The explanation methods of the typed API (shared/apiExplain.ts) as service handlers; service.ts spreads them
 * into its dispatch table. Long calls report progress phases and check for cancellation between steps.
 */
import type { ApiParams, ApiResult, Progress } from '../../shared/api';
import type { ExplainApiMethod } from '../../shared/apiExplain';
import { UserError } from '../errors';
import type { ExplainDeps } from './explainCommon';
import { openExplanationApi, RawGraphWriter, recoveryDiscardApi, recoveryListApi, recoverySaveApi, saveExplanationApi } from './explanationFiles';
import { runIntervention, runTest } from './interventions';
import { readFeatureLabels, writeFeatureLabels } from './labels';
import { exportFigure } from './figureExport';
import { exportReport } from './reportExport';
import { subgraphStats } from './subgraph';

export interface ExplainCallContext {
  readonly signal: AbortSignal;
  readonly progress: (p: Progress) => void;
}

export type ExplainHandlers = { [M in ExplainApiMethod]: (p: ApiParams<M>, ctx: ExplainCallContext) => Promise<ApiResult<M>> };

/** Progress as numbered phases: `phase(name)` reports step i of `total`. */
function phases(ctx: ExplainCallContext, total: number): (phase: string) => void {
  let done = 0;
  return (phase) => ctx.progress({ phase, done: done++, total });
}

export function explainHandlers(deps: ExplainDeps): ExplainHandlers {
  const raw = new RawGraphWriter();
  const labelsRoot = (): string => {
    if (deps.dataRoot === null) throw new UserError('feature labels need a folder: the engine was started without a workspace or data folder');
    return deps.dataRoot;
  };
  return {
    'intervene.run': async (p, ctx) => {
      ctx.progress({ phase: 'intervene', done: 0, total: 1 });
      return runIntervention(deps.graphs.get(p.graphId), deps.session, p, ctx.signal);
    },
    'test.run': async (p, ctx) => {
      ctx.progress({ phase: 'test', done: 0, total: 1 });
      const r = await runTest(deps.graphs.get(p.graphId), deps.session, p.test);
      ctx.signal.throwIfAborted();
      return r;
    },
    'subgraph.stats': async (p) => subgraphStats(deps.graphs.get(p.graphId), p),
    'explanation.save': async (p, ctx) => saveExplanationApi(deps, raw, p, ctx.signal, phases(ctx, 3)),
    'explanation.open': async (p, ctx) => openExplanationApi(deps, p, ctx.signal, phases(ctx, 2)),
    'explanation.recoverySave': async (p, ctx) => recoverySaveApi(deps, raw, p, ctx.signal, phases(ctx, 3)),
    'explanation.recoveryList': async () => recoveryListApi(deps),
    'explanation.recoveryDiscard': async (p) => recoveryDiscardApi(deps, raw, p),
    'labels.get': async (p) => ({ dictionaryFingerprint: p.dictionaryFingerprint, labels: deps.dataRoot === null ? {} : readFeatureLabels(deps.dataRoot, p.dictionaryFingerprint) }),
    'labels.set': async (p) => ({ dictionaryFingerprint: p.dictionaryFingerprint, labels: writeFeatureLabels(labelsRoot(), p.dictionaryFingerprint, p.labels) }),
    'report.export': async (p, ctx) => {
      ctx.progress({ phase: 'report', done: 0, total: 1 });
      return exportReport(deps, p);
    },
    'figure.export': async (p) => exportFigure(deps.ws, p),
  };
}
