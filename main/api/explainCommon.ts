/**
 * What the explanation methods (intervene.run, test.run, subgraph.stats, explanation.*, report.export) share: the
 * graph's prompt tokens, its logit targets and how they were chosen, the lookup of feature nodes, and the check
 * that the open model and dictionary can run interventions on a graph.
 */
import type { TargetChoice } from '../../shared/api';
import type { Dictionary } from '../../shared/dictionary';
import type { Explanation } from '../../shared/explanation';
import { graphLayout, type AttributionGraph, type AttributionSettings } from '../../shared/graph';
import type { ModelSpec } from '../../shared/model';
import { resolveToken } from '../attribution/targets';
import { UserError } from '../errors';
import type { Tokenizer } from '../tokenizer/types';
import type { GraphEntry } from './graphEntry';
import type { EngineSession } from './session';
import type { GraphStore } from './graphStore';
import type { Workspace } from './workspace';

/** What the explanation handlers need from the service. */
export interface ExplainDeps {
  readonly session: EngineSession;
  readonly graphs: GraphStore;
  readonly ws: Workspace;
  /** The folder holding `.cwb/` (recovery copies, feature labels): the workspace, else the app's data folder. */
  readonly dataRoot: string | null;
  /** Distinguishes this engine run's never-saved recovery copies from an earlier run's. */
  readonly runTag: string;
}

export type ExplanationTargets = Explanation['targets'];

/** The graph's prompt token ids (BOS first). */
export function graphTokens(entry: GraphEntry, vocabSize?: number): number[] {
  const ids = entry.summary.tokens.map((t) => t.id);
  if (ids.some((id) => id < 0)) throw new UserError(`graph ${entry.summary.graphId} does not record its prompt's token ids (a graph file from another tool): trace the prompt here to test it`);
  const bad = vocabSize === undefined ? undefined : ids.find((id) => id >= vocabSize);
  if (bad !== undefined) throw new UserError(`graph ${entry.summary.graphId} has token id ${bad}, outside the open model's vocabulary [0, ${vocabSize})`);
  return ids;
}

export interface LogitTargetInfo {
  readonly node: number;
  /** Vocabulary id, or ≥ vocabSize for a contrast / custom target. */
  readonly vocabIdx: number;
  readonly label: string;
}

/** The graph's logit nodes in target order. */
export function logitTargetsOf(entry: GraphEntry): LogitTargetInfo[] {
  if (entry.full) {
    const lay = graphLayout(entry.full);
    return entry.full.targets.map((t, k) => ({ node: lay.logitStart + k, vocabIdx: t.vocabIdx, label: t.label }));
  }
  const out: LogitTargetInfo[] = [];
  entry.imported!.nodes.forEach((n, i) => {
    if (n.kind === 'logit') out.push({ node: i, vocabIdx: n.vocabIdx ?? -1, label: entry.summary.nodes[i].label });
  });
  return out;
}

export function settingsOf(entry: GraphEntry): AttributionSettings | null {
  return entry.full?.settings ?? entry.imported?.workbench?.settings ?? null;
}

/**
 * A contrast target's tokens from its label `"A − B"` (what resolveTargets writes): the split where both sides are
 * exactly one token's text. Null when no split fits or several do.
 */
export function contrastFromLabel(label: string, tok: Pick<Tokenizer, 'decode'>, vocabSize: number): { a: number; b: number } | null {
  const byText = new Map<string, number>();
  for (let id = vocabSize - 1; id >= 0; id--) byText.set(tok.decode([id]), id);
  const SEP = ' − ';
  const fits: { a: number; b: number }[] = [];
  for (let i = label.indexOf(SEP); i >= 0; i = label.indexOf(SEP, i + 1)) {
    const a = byText.get(label.slice(0, i));
    const b = byText.get(label.slice(i + SEP.length));
    if (a !== undefined && b !== undefined) fits.push({ a, b });
  }
  return fits.length === 1 ? fits[0] : null;
}

/** How the graph's targets were chosen (for an explanation file), or why that is unknown. */
export function targetChoiceOf(entry: GraphEntry, tok: Pick<Tokenizer, 'decode'>, vocabSize: number): ExplanationTargets {
  if (entry.targetChoice) return entry.targetChoice;
  const settings = settingsOf(entry);
  if (!settings) throw new UserError(`graph ${entry.summary.graphId} does not say how its targets were chosen (a graph file from another tool): trace the prompt here to save an explanation`);
  const targets = logitTargetsOf(entry);
  switch (settings.targetMode) {
    case 'salient':
      return { kind: 'salient' };
    case 'tokens':
      if (targets.some((t) => t.vocabIdx < 0 || t.vocabIdx >= vocabSize)) throw new UserError(`graph ${entry.summary.graphId} has a target outside the vocabulary [0, ${vocabSize})`);
      return { kind: 'tokens', tokens: targets.map((t) => t.vocabIdx) };
    case 'contrast': {
      const ab = targets.length === 1 ? contrastFromLabel(targets[0].label, tok, vocabSize) : null;
      if (!ab) throw new UserError(`cannot tell which two tokens the contrast target "${targets[0]?.label ?? '?'}" of graph ${entry.summary.graphId} compares: trace it again`);
      return { kind: 'contrast', ...ab };
    }
    case 'custom':
      throw new UserError(`graph ${entry.summary.graphId} has a custom target direction, which explanation files cannot record`);
  }
}

/** Feature node index by `layer:feature:pos`. */
export function featureNodeIndex(entry: GraphEntry): Map<string, number> {
  const m = new Map<string, number>();
  for (const n of entry.summary.nodes) if (n.kind === 'feature' && n.feature !== null) m.set(`${n.layer}:${n.feature}:${n.pos}`, n.index);
  return m;
}

export interface InterventionContext {
  readonly spec: ModelSpec;
  readonly dict: Dictionary;
  readonly tok: Tokenizer;
  readonly tokens: number[];
  readonly warnings: string[];
}

/**
 * The open model and dictionary for interventions on this graph. Refused: no dictionary open, or the graph's
 * features come from another dictionary (their indices would name other features). A graph traced with another
 * model is allowed with a warning: re-testing a circuit on an updated model is what `cwb verify` does too.
 */
export function interventionContext(entry: GraphEntry, session: EngineSession): InterventionContext {
  const open = session.dictionary;
  const m = session.model;
  if (!open) throw new UserError(`no dictionary is open for model ${m.spec.name}: open the dictionary graph ${entry.summary.graphId} was traced with to run interventions`);
  const warnings: string[] = [];
  const gd = entry.summary.dictionary;
  if (gd && gd.fingerprint !== open.dict.fingerprint) {
    throw new UserError(`graph ${entry.summary.graphId} was traced with dictionary ${gd.name} (${gd.fingerprint.slice(0, 12)}), not the open ${open.dict.name} (${open.dict.fingerprint.slice(0, 12)}): open that dictionary to intervene on its features`);
  }
  if (!gd) warnings.push(`the graph does not say which dictionary it was traced with; its feature indices are taken to be ${open.dict.name}'s`);
  const gm = entry.summary.model;
  if (gm && gm.fingerprint !== m.spec.fingerprint) warnings.push(`the graph was traced with model ${gm.name} (${gm.fingerprint.slice(0, 12)}); the intervention runs on the open ${m.spec.name} (${m.spec.fingerprint.slice(0, 12)})`);
  if (!gm) warnings.push(`the graph does not say which model it was traced with; the intervention runs on the open ${m.spec.name}`);
  return { spec: m.spec, dict: open.dict, tok: m.tokenizer, tokens: graphTokens(entry, m.spec.config.vocabSize), warnings };
}

/** The target choice of a trace request, with its tokens resolved as the trace resolved them. */
export function traceTargetChoice(t: TargetChoice, g: AttributionGraph, tok: Tokenizer, vocabSize: number): ExplanationTargets {
  if (t.kind === 'tokens') return { kind: 'tokens', tokens: g.targets.map((x) => x.vocabIdx) };
  if (t.kind === 'contrast') return { kind: 'contrast', a: resolveToken(tok, vocabSize, t.a), b: resolveToken(tok, vocabSize, t.b) };
  return { kind: 'salient' };
}
