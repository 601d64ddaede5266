/**
 * `verify`: recompute an explanation's graph with its saved settings on the given (possibly updated) model and
 * re-run every causal test. Graph drift is reported by circuit-tracer node id (so it survives re-indexing):
 * nodes and edges gained and lost, the fraction of the user's saved subgraph (pins and supernode members; all
 * saved nodes when there are none) still present, and the change of the nodes' cumulative influence.
 */
import type { Dictionary } from '../../shared/dictionary';
import type { ModelSpec } from '../../shared/model';
import type { Explanation } from '../../shared/explanation';
import type { Tokenizer } from '../tokenizer/types';
import { UserError } from '../errors';
import { prunedGraphJson, runCausalTest } from './build';

export interface TestReport {
  readonly id: string;
  readonly name: string;
  readonly passed: boolean;
  readonly old?: { readonly passed: boolean; readonly before: number; readonly after: number };
  readonly new: { readonly before: number; readonly after: number };
}

export interface DriftReport {
  readonly nodes: { readonly saved: number; readonly now: number; readonly gained: string[]; readonly lost: string[] };
  readonly edges: { readonly saved: number; readonly now: number; readonly gained: number; readonly lost: number };
  /** Share of the saved subgraph's node ids present in the recomputed pruned graph. */
  readonly subgraphPresent: number;
  readonly subgraphSize: number;
  /** Over nodes present in both: mean and max |Δ cumulative influence|. */
  readonly influenceChange: { readonly mean: number; readonly max: number };
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly fingerprints: { readonly model: { readonly saved: string; readonly now: string; readonly match: boolean }; readonly dictionary: { readonly saved: string; readonly now: string; readonly match: boolean } };
  readonly drift: DriftReport;
  readonly tests: TestReport[];
  readonly seconds: number;
}

interface NodeLike {
  node_id: string;
  influence?: number | null;
}
interface LinkLike {
  source: string;
  target: string;
}

function graphParts(json: Record<string, unknown>): { nodes: NodeLike[]; links: LinkLike[] } {
  // Both documents were validated against the graph JSON schema (nodes have node_id, links source/target).
  return { nodes: (json.nodes ?? []) as NodeLike[], links: (json.links ?? []) as LinkLike[] };
}

export function graphDrift(saved: Record<string, unknown>, now: Record<string, unknown>, subgraph: readonly string[]): DriftReport {
  const a = graphParts(saved);
  const b = graphParts(now);
  const idsA = new Map(a.nodes.map((n) => [n.node_id, n]));
  const idsB = new Map(b.nodes.map((n) => [n.node_id, n]));
  const edge = (l: LinkLike) => `${l.source}\u0000${l.target}`;
  const eA = new Set(a.links.map(edge));
  const eB = new Set(b.links.map(edge));
  const sub = subgraph.length > 0 ? [...new Set(subgraph)] : [...idsA.keys()];
  let sum = 0;
  let max = 0;
  let common = 0;
  for (const [id, n] of idsA) {
    const m = idsB.get(id);
    if (!m || typeof n.influence !== 'number' || typeof m.influence !== 'number') continue;
    const d = Math.abs(m.influence - n.influence);
    sum += d;
    max = Math.max(max, d);
    common++;
  }
  return {
    nodes: { saved: idsA.size, now: idsB.size, gained: [...idsB.keys()].filter((id) => !idsA.has(id)), lost: [...idsA.keys()].filter((id) => !idsB.has(id)) },
    edges: { saved: eA.size, now: eB.size, gained: [...eB].filter((e) => !eA.has(e)).length, lost: [...eA].filter((e) => !eB.has(e)).length },
    subgraphPresent: sub.length === 0 ? 1 : sub.filter((id) => idsB.has(id)).length / sub.length,
    subgraphSize: sub.length,
    influenceChange: { mean: common ? sum / common : 0, max },
  };
}

/** The saved subgraph's node ids: pins and supernode members (supernode ids themselves are not graph nodes). */
export function savedSubgraph(e: Explanation): string[] {
  return [...e.work.pinnedNodeIds, ...e.work.supernodes.flatMap((s) => s.nodeIds)];
}

export async function verifyExplanation(spec: ModelSpec, dict: Dictionary, tok: Tokenizer, e: Explanation): Promise<VerifyReport> {
  const t0 = performance.now();
  const V = spec.config.vocabSize;
  if (dict.dModel !== spec.config.dModel || dict.nLayers !== spec.config.nLayers) {
    throw new UserError(`dictionary ${dict.name} (${dict.nLayers} layers of width ${dict.dModel}) does not fit model ${spec.name} (${spec.config.nLayers} × ${spec.config.dModel})`);
  }
  const bad = e.tokens.find((t) => t >= V);
  if (bad !== undefined) throw new UserError(`the explanation's prompt has token id ${bad}, outside this model's vocabulary [0, ${V})`);
  // Verifying an updated model with the dictionary of the old one is the point: do not refuse the pairing.
  const d: Dictionary = { ...dict, model: {} };
  const now = await prunedGraphJson(spec, d, tok, e.prompt, e.tokens, e.targets, e.attribution);
  const drift = graphDrift(e.graph.json, now, savedSubgraph(e));
  const tests: TestReport[] = [];
  for (const t of e.tests) {
    const j = await runCausalTest(spec, d, tok, e.tokens, t.intervention, t.expectation);
    tests.push({ id: t.id, name: t.name, passed: j.passed, ...(t.result ? { old: { passed: t.result.passed, before: t.result.before, after: t.result.after } } : {}), new: { before: j.before, after: j.after } });
  }
  return {
    ok: tests.every((t) => t.passed),
    fingerprints: {
      model: { saved: e.model.fingerprint, now: spec.fingerprint, match: e.model.fingerprint === spec.fingerprint },
      dictionary: { saved: e.dictionary.fingerprint, now: dict.fingerprint, match: e.dictionary.fingerprint === dict.fingerprint },
    },
    drift,
    tests,
    seconds: (performance.now() - t0) / 1000,
  };
}
