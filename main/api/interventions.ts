/**
 * intervene.run and test.run on a held graph: main/intervene's intervention on the graph's prompt, reported for
 * the graph (its logit targets before/after, KL, and which of its feature nodes moved), and main/explain's causal
 * test judged the same way `cwb explain` and `cwb verify` judge it.
 */
import type { AffectedNode, InterventionRunResult, TargetOutcome, TestRunResult } from '../../shared/apiExplain';
import type { CausalTest } from '../../shared/explanation';
import type { InterventionRequest } from '../../shared/intervention';
import type { Tensor } from '../../shared/tensor';
import type { Dictionary } from '../../shared/dictionary';
import { runEncode } from '../../native/encodeRun';
import { klFromLogits } from '../engine/sampler';
import { runCausalTest } from '../explain/build';
import { interveneWithRuns } from '../intervene/intervene';
import { featureNodeIndex, interventionContext, logitTargetsOf, type LogitTargetInfo } from './explainCommon';
import type { GraphEntry } from './graphEntry';
import type { EngineSession } from './session';

function softmax64(x: ArrayLike<number>): Float64Array {
  let m = -Infinity;
  for (let i = 0; i < x.length; i++) m = Math.max(m, x[i]);
  const out = new Float64Array(x.length);
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    out[i] = Math.exp(x[i] - m);
    s += out[i];
  }
  for (let i = 0; i < x.length; i++) out[i] /= s;
  return out;
}

function targetOutcomes(entry: GraphEntry, targets: readonly LogitTargetInfo[], before: Float32Array, after: Float32Array): TargetOutcome[] {
  const V = before.length;
  const pb = softmax64(before);
  const pa = softmax64(after);
  const contrast = entry.targetChoice?.kind === 'contrast' ? entry.targetChoice : null;
  return targets.map((t) => {
    if (t.vocabIdx >= 0 && t.vocabIdx < V) {
      return { node: t.node, label: t.label, token: t.vocabIdx, logitBefore: before[t.vocabIdx], logitAfter: after[t.vocabIdx], probBefore: pb[t.vocabIdx], probAfter: pa[t.vocabIdx] };
    }
    if (contrast && targets.length === 1) {
      return { node: t.node, label: t.label, token: null, logitBefore: before[contrast.a] - before[contrast.b], logitAfter: after[contrast.a] - after[contrast.b], probBefore: null, probAfter: null };
    }
    return { node: t.node, label: t.label, token: null, logitBefore: null, logitAfter: null, probBefore: null, probAfter: null };
  });
}

/** Feature (layer:pos rows, or single features) an intervention sets directly: not "affected" downstream. */
function editedKeys(req: InterventionRequest, L: number): { features: Set<string>; rows: Set<string> } {
  const features = new Set<string>();
  const rows = new Set<string>();
  for (const e of req.edits) {
    if (e.type === 'feature') features.add(`${e.layer}:${e.feature}:${e.pos}`);
    else if (e.type === 'group') for (const f of e.features) features.add(`${f.layer}:${f.feature}:${f.pos}`);
    else if (e.type === 'patchFeatures') for (const l of e.layers ?? [...Array(L).keys()]) for (const p of e.positions) rows.add(`${l}:${p}`);
  }
  return { features, rows };
}

/** The graph's feature nodes whose activation differs between two runs (both re-encoded the same way). */
async function affectedFeatureNodes(entry: GraphEntry, dict: Dictionary, cleanX: readonly Tensor[], afterX: readonly Tensor[], req: InterventionRequest): Promise<AffectedNode[]> {
  const unbatch = (t: Tensor): Tensor => ({ data: t.data, shape: t.shape.slice(1) });
  const [a, b] = await Promise.all([runEncode(dict, { x: cleanX.map(unbatch), zeroPositions: 1 }), runEncode(dict, { x: afterX.map(unbatch), zeroPositions: 1 })]);
  const D = dict.nFeatures;
  const { features, rows } = editedKeys(req, dict.nLayers);
  const out: AffectedNode[] = [];
  for (const n of entry.summary.nodes) {
    if (n.kind !== 'feature' || n.feature === null || n.layer < 0 || n.layer >= a.act.length || n.feature >= D) continue;
    if (features.has(`${n.layer}:${n.feature}:${n.pos}`) || rows.has(`${n.layer}:${n.pos}`)) continue;
    const i = n.pos * D + n.feature;
    if (i >= a.act[n.layer].data.length) continue;
    const before = a.act[n.layer].data[i];
    const after = b.act[n.layer].data[i];
    if (before !== after) out.push({ node: n.index, before, after });
  }
  return out.sort((p, q) => Math.abs(q.after - q.before) - Math.abs(p.after - p.before) || p.node - q.node);
}

export async function runIntervention(entry: GraphEntry, session: EngineSession, p: { intervention: InterventionRequest; topK?: number }, signal: AbortSignal): Promise<InterventionRunResult> {
  const ctx = interventionContext(entry, session);
  // The downstream scan of intervene() is replaced by affectedNodes (the graph's own features).
  const req: InterventionRequest = { ...p.intervention, ...(p.topK !== undefined ? { topK: p.topK } : {}), topFeatures: 0 };
  const runs = await interveneWithRuns(ctx.spec, ctx.dict, ctx.tok, ctx.tokens, req);
  signal.throwIfAborted();
  const r = runs.result;
  const nodeOf = featureNodeIndex(entry);
  return {
    graphId: entry.summary.graphId,
    mode: r.mode,
    before: { top: r.before.top },
    after: { top: r.after.top },
    targets: targetOutcomes(entry, logitTargetsOf(entry), r.before.logits, r.after.logits),
    target: r.target ?? null,
    kl: klFromLogits(r.before.logits, r.after.logits),
    applied: r.applied.map((c) => ({ ...c, node: nodeOf.get(`${c.layer}:${c.feature}:${c.pos}`) ?? null })),
    affectedNodes: await affectedFeatureNodes(entry, ctx.dict, runs.cleanX, runs.afterX, req),
    generated: r.generated ? { tokens: [...r.generated.tokens], text: r.generated.text } : null,
    warnings: ctx.warnings,
  };
}

export async function runTest(entry: GraphEntry, session: EngineSession, test: Omit<CausalTest, 'result'>): Promise<TestRunResult> {
  const ctx = interventionContext(entry, session);
  const j = await runCausalTest(ctx.spec, ctx.dict, ctx.tok, ctx.tokens, test.intervention, test.expectation);
  return { passed: j.passed, before: j.before, after: j.after, ranAt: new Date().toISOString() };
}
