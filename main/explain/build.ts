/**
 * Making and checking explanations: attribution + pruning + graph JSON export with the file's settings, and
 * causal tests run through `intervene` and judged by their expectation. Shared by `cwb explain` and `cwb verify`.
 */
import type { Dictionary } from '../../shared/dictionary';
import type { ModelSpec } from '../../shared/model';
import type { CausalTest, Expectation, Explanation } from '../../shared/explanation';
import { EXPLANATION_FORMAT_VERSION } from '../../shared/explanation';
import type { InterventionRequest, InterventionResult } from '../../shared/intervention';
import type { Tokenizer } from '../tokenizer/types';
import { attributeGraph } from '../attribution/attribute';
import type { TargetSpec } from '../attribution/targets';
import { preparePruning, hasEdge } from '../graph/prune';
import { exportGraphJson, stringifyGraphJson } from '../graph/neuronpediaJson';
import { softmaxF32 } from '../engine/sampler';
import { intervene } from '../intervene/intervene';

export const APP = { name: 'circuit-workbench', version: '0.1.0' };

export type ExplanationTargets = Explanation['targets'];
export type AttributionSettingsSaved = Explanation['attribution'];

export function targetSpecOf(t: ExplanationTargets): TargetSpec {
  return t.kind === 'salient' ? { kind: 'salient' } : t.kind === 'tokens' ? { kind: 'tokens', tokens: t.tokens } : { kind: 'contrast', a: t.a, b: t.b };
}

/** The pruned graph as plain JSON data (canonical text parsed back, so it deep-equals what a load returns). */
export async function prunedGraphJson(spec: ModelSpec, dict: Dictionary, tok: Tokenizer, prompt: string, tokens: readonly number[], targets: ExplanationTargets, a: AttributionSettingsSaved): Promise<Record<string, unknown>> {
  const graph = await attributeGraph(spec, dict, tok, tokens, { targets: targetSpecOf(targets), maxFeatureNodes: a.maxFeatureNodes, batchSize: a.batchSize, prompt });
  const prepared = preparePruning(graph);
  const pruned = prepared.prune(a.nodeThreshold, a.edgeThreshold);
  const json = exportGraphJson(
    graph,
    { nodeMask: pruned.nodeMask, edgeKept: (t, s) => hasEdge(pruned.edgeMask, t, s), cumulativeScores: pruned.cumulativeScores },
    { slug: 'explanation', scan: `${dict.name}@${dict.fingerprint.slice(0, 12)}`, nodeThreshold: a.nodeThreshold, edgeThreshold: a.edgeThreshold, info: APP },
  );
  return JSON.parse(stringifyGraphJson(json)) as Record<string, unknown>;
}

export interface Judged {
  readonly passed: boolean;
  /** The measured quantity before and after: a probability, a logit, or a contrast. */
  readonly before: number;
  readonly after: number;
}

export function judge(e: Expectation, r: Pick<InterventionResult, 'before' | 'after'>): Judged {
  const eps = 1e-9;
  if (e.kind === 'contrastSign') {
    const before = r.before.logits[e.a] - r.before.logits[e.b];
    const after = r.after.logits[e.a] - r.after.logits[e.b];
    const passed = e.sign === 'flips' ? Math.sign(before) * Math.sign(after) < 0 : e.sign === 'positive' ? after > 0 : after < 0;
    return { passed, before, after };
  }
  if (e.kind === 'logitChange') {
    const before = r.before.logits[e.token];
    const after = r.after.logits[e.token];
    const change = after - before;
    const passed = (e.atLeast === undefined || change >= e.atLeast - eps) && (e.atMost === undefined || change <= e.atMost + eps);
    return { passed, before, after };
  }
  const before = softmaxF32(r.before.logits)[e.token];
  const after = softmaxF32(r.after.logits)[e.token];
  const passed = e.kind === 'probDrop' ? after <= (1 - e.atLeastFraction) * before + eps : e.kind === 'probAtLeast' ? after >= e.value - eps : after <= e.value + eps;
  return { passed, before, after };
}

export async function runCausalTest(spec: ModelSpec, dict: Dictionary, tok: Tokenizer, tokens: readonly number[], req: InterventionRequest, e: Expectation): Promise<Judged> {
  // Tests judge logits only: skip the downstream-feature scan and any continuation.
  const r = await intervene(spec, dict, tok, tokens, { ...req, topFeatures: 0, generate: 0 });
  return judge(e, r);
}

export interface NewExplanation {
  readonly prompt: string;
  readonly tokens: readonly number[];
  readonly targets: ExplanationTargets;
  readonly attribution: AttributionSettingsSaved;
  readonly tests: readonly { readonly name: string; readonly spec?: string; readonly intervention: InterventionRequest; readonly expectation: Expectation }[];
  readonly rawPath?: string;
}

export async function makeExplanation(spec: ModelSpec, dict: Dictionary, tok: Tokenizer, n: NewExplanation): Promise<Explanation> {
  const json = await prunedGraphJson(spec, dict, tok, n.prompt, n.tokens, n.targets, n.attribution);
  const tests: CausalTest[] = [];
  for (const [i, t] of n.tests.entries()) {
    const j = await runCausalTest(spec, dict, tok, n.tokens, t.intervention, t.expectation);
    tests.push({ id: `t${i + 1}`, name: t.name, ...(t.spec !== undefined ? { spec: t.spec } : {}), intervention: t.intervention, expectation: t.expectation, result: { ...j, ranAt: new Date().toISOString() } });
  }
  return {
    formatVersion: EXPLANATION_FORMAT_VERSION,
    app: APP,
    model: { name: spec.name, fingerprint: spec.fingerprint },
    dictionary: { name: dict.name, fingerprint: dict.fingerprint, kind: dict.kind },
    prompt: n.prompt,
    tokens: [...n.tokens],
    targets: n.targets,
    attribution: n.attribution,
    graph: { json, ...(n.rawPath !== undefined ? { rawPath: n.rawPath } : {}) },
    work: { pinnedNodeIds: [], supernodes: [], nodeLabels: {}, notes: '', views: [] },
    tests,
  };
}
