/**
 * Pure helpers for the causal-test panel and explanation files: interventions from graph nodes, default
 * expectations and their wording, and the explanation content sent to the engine.
 */
import type { GraphNode, GraphSummary } from '../../../../shared/api';
import type { ExplanationContent } from '../../../../shared/apiExplain';
import type { Expectation } from '../../../../shared/explanation';
import type { InterventionEdit, InterventionMode, InterventionRequest, InterventionRequestInput } from '../../../../shared/intervention';
import type { WorkDoc } from './model';

/** patch: the nodes' layers at their positions take another prompt's feature values; steer: add feature decoders × strength. */
export type EditOp = 'ablate' | 'scale' | 'set' | 'patch' | 'steer';

export interface InterventionDraft {
  readonly op: EditOp;
  /** Scale factor (scale), value (set) or strength (steer). */
  readonly value: number;
  readonly mode: InterventionMode;
  /** patch: the other prompt (tokenized with BOS; the patched positions must exist in it). */
  readonly sourcePrompt?: string;
  /** steer: at each feature's own position, or at every prompt position. */
  readonly steerAt?: 'node' | 'all';
  /** Tokens to generate greedily after the prompt, with the intervention applied (steer: also on them). */
  readonly generate?: number;
}

const uniqueSorted = (xs: readonly number[]) => [...new Set(xs)].sort((a, b) => a - b);

/** The vocabulary id of a logit node (id `<layer>_<token>_<pos>`), else null. */
export function logitToken(n: GraphNode): number | null {
  if (n.kind !== 'logit') return null;
  const t = Number(n.id.split('_')[1]);
  return Number.isInteger(t) && t >= 0 ? t : null;
}

/** The graph's logit nodes, most probable first. */
export function logitNodes(g: GraphSummary): GraphNode[] {
  return g.nodes.filter((n) => n.kind === 'logit').sort((a, b) => (b.prob ?? 0) - (a.prob ?? 0));
}

/**
 * `interventionRequestSchema.parse` for requests built here: the same defaults (the unit test checks them against
 * the schema). The renderer bundle stubs zod out (scripts/renderer-zod-stub.mjs: only the engine validates), so
 * the schema cannot fill them at run time.
 */
export function withDefaults(r: InterventionRequestInput): InterventionRequest {
  return {
    edits: r.edits.map((e) => (e.type === 'group' ? { ...e, errors: e.errors ?? [] } : e)),
    mode: r.mode ?? 'frozen',
    ...(r.target ? { target: r.target } : {}),
    topK: r.topK ?? 10,
    generate: r.generate ?? 0,
    topFeatures: r.topFeatures ?? 10,
  };
}

/**
 * An intervention on some graph nodes: one feature/error edit for a single node, a group edit otherwise; `patch`
 * puts another prompt's feature vectors at the nodes' layers and positions (patchFeatures); `steer` adds each
 * feature's decoder × strength at its position or every position (one steer edit per feature). Tokens and logits
 * cannot be edited (skipped); errors cannot be `set` or steered (refused with a message). Defaults as the schema's.
 */
export function buildIntervention(
  nodes: readonly GraphNode[],
  draft: InterventionDraft,
  opts: { readonly label?: string; readonly targetToken?: number | null; readonly nPos?: number } = {},
): { ok: true; request: InterventionRequest; skipped: number } | { ok: false; message: string } {
  const editable = nodes.filter((n) => n.kind === 'feature' || n.kind === 'error');
  if (editable.length === 0) return { ok: false, message: 'Choose feature or error nodes to intervene on (tokens and logits cannot be edited).' };
  const generate = Math.max(0, Math.min(10_000, Math.floor(draft.generate ?? 0)));
  const finish = (edits: InterventionEdit[], skipped: number) => ({
    ok: true as const,
    skipped,
    request: withDefaults({
      edits,
      mode: draft.mode,
      ...(opts.targetToken !== undefined && opts.targetToken !== null ? { target: { kind: 'token' as const, token: opts.targetToken } } : {}),
      ...(generate > 0 ? { generate } : {}),
    }),
  });
  if (draft.op === 'patch') {
    // The whole feature vectors of the nodes' layers at the nodes' positions (errors: their layer too).
    const source = (draft.sourcePrompt ?? '').trim() === '' ? null : (draft.sourcePrompt ?? '');
    if (source === null) return { ok: false, message: 'Type the other prompt to patch from.' };
    return finish([{ type: 'patchFeatures', source: { prompt: source }, layers: uniqueSorted(editable.map((n) => n.layer)), positions: uniqueSorted(editable.map((n) => n.pos)) }], nodes.length - editable.length);
  }
  if (draft.op === 'steer') {
    const features = editable.filter((n) => n.kind === 'feature' && n.feature !== null);
    if (features.length === 0) return { ok: false, message: 'Steering adds feature directions: choose feature nodes (not errors).' };
    if (!Number.isFinite(draft.value)) return { ok: false, message: 'Type a number for the strength.' };
    const all = draft.steerAt === 'all' && opts.nPos !== undefined ? [...Array(opts.nPos).keys()] : null;
    const edits: InterventionEdit[] = features.map((n) => ({ type: 'steer', layer: n.layer, feature: n.feature ?? 0, strength: draft.value, positions: all ?? [n.pos], ...(generate > 0 ? { generated: true } : {}) }));
    return finish(edits, nodes.length - features.length);
  }
  if (draft.op === 'set' && editable.some((n) => n.kind === 'error')) return { ok: false, message: 'Error nodes can only be ablated or scaled, not set to a value.' };
  const value = draft.op === 'ablate' ? undefined : draft.value;
  if (value !== undefined && !Number.isFinite(value)) return { ok: false, message: 'Type a number for the value.' };
  let edit: InterventionEdit;
  if (editable.length === 1) {
    const n = editable[0];
    edit =
      n.kind === 'feature'
        ? { type: 'feature', layer: n.layer, feature: n.feature ?? 0, pos: n.pos, op: draft.op, ...(value !== undefined ? { value } : {}) }
        : { type: 'error', layer: n.layer, pos: n.pos, op: draft.op === 'set' ? 'scale' : draft.op, ...(value !== undefined ? { value } : {}) };
  } else {
    edit = {
      type: 'group',
      ...(opts.label ? { label: opts.label.slice(0, 200) } : {}),
      op: draft.op,
      ...(value !== undefined ? { value } : {}),
      features: editable.filter((n) => n.kind === 'feature').map((n) => ({ layer: n.layer, feature: n.feature ?? 0, pos: n.pos })),
      errors: editable.filter((n) => n.kind === 'error').map((n) => ({ layer: n.layer, pos: n.pos })),
    };
  }
  return finish([edit], nodes.length - editable.length);
}

export type ExpectationKind = Expectation['kind'];

/** A reasonable expectation of each kind for a token (contrast: the token against the runner-up). */
export function defaultExpectation(kind: ExpectationKind, token: number, other: number, op: EditOp): Expectation {
  switch (kind) {
    case 'probDrop':
      return { kind, token, atLeastFraction: 0.5 };
    case 'probAtLeast':
      return { kind, token, value: 0.5 };
    case 'probAtMost':
      return { kind, token, value: 0.1 };
    case 'logitChange':
      return op === 'scale' ? { kind, token, atLeast: 0 } : { kind, token, atMost: 0 };
    case 'contrastSign':
      return { kind, a: token, b: other, sign: 'flips' };
  }
}

const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;

/** The expectation in words; `tok` names a token id. */
export function describeExpectation(e: Expectation, tok: (id: number) => string): string {
  switch (e.kind) {
    case 'probDrop':
      return `p(${tok(e.token)}) drops by at least ${pct(e.atLeastFraction)}`;
    case 'probAtLeast':
      return `p(${tok(e.token)}) is at least ${pct(e.value)}`;
    case 'probAtMost':
      return `p(${tok(e.token)}) is at most ${pct(e.value)}`;
    case 'logitChange': {
      const parts = [e.atLeast !== undefined ? `≥ ${e.atLeast}` : null, e.atMost !== undefined ? `≤ ${e.atMost}` : null].filter(Boolean);
      return `logit(${tok(e.token)}) changes by ${parts.length ? parts.join(' and ') : 'any amount'}`;
    }
    case 'contrastSign':
      return `logit(${tok(e.a)}) − logit(${tok(e.b)}) ${e.sign === 'flips' ? 'changes sign' : `is ${e.sign}`}`;
  }
}

/** The explanation content the engine saves (tests carry their latest result). */
export function explanationContent(graphId: string, doc: WorkDoc, nodeThreshold: number, edgeThreshold: number, results: Readonly<Record<string, WorkDoc['tests'][number]['result']>>): ExplanationContent {
  return {
    graphId,
    work: doc.work,
    tests: doc.tests.map((t) => {
      const r = results[t.id] ?? t.result;
      return r ? { ...t, result: r } : t;
    }),
    nodeThreshold,
    edgeThreshold,
  };
}

/** A typed file name in `dir` (with the folder's separator), unless a path was typed or there is no folder. */
export function inDir(name: string, dir: string | null): string {
  if (/^([A-Za-z]:)?[\\/]/.test(name) || !dir) return name;
  return `${dir}${dir.includes('\\') && !dir.includes('/') ? '\\' : '/'}${name}`;
}

/** A path for an explanation file: `NAME.circuit.json` (the suffix added when missing), in `dir` unless a path was typed. */
export function explanationPath(typed: string, dir: string | null): string | null {
  let t = typed.trim();
  if (!t) return null;
  if (!/\.circuit\.json$/i.test(t)) t = `${t.replace(/\.json$/i, '')}.circuit.json`;
  return inDir(t, dir);
}

/** A file-name stem from a text's first five words ('' when nothing usable is left). */
export function fileSlug(text: string): string {
  return text.trim().split(/\s+/).slice(0, 5).join('-').replace(/[^A-Za-z0-9_-]+/g, '').toLowerCase();
}

/** A file name from the prompt's first words. */
export function explanationFileName(prompt: string): string {
  return `${fileSlug(prompt) || 'explanation'}.circuit.json`;
}

/** Node id → index for a graph. */
export function nodeIndexById(g: GraphSummary | null): Map<string, number> {
  return new Map((g?.nodes ?? []).map((n) => [n.id, n.index]));
}
