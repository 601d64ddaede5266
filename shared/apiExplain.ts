/**
 * The typed API's methods for testing, annotating, saving and presenting an explanation (issue 7): interventions
 * and causal tests on a held graph, subgraph statistics, explanation files with crash recovery, feature labels per
 * dictionary, and the HTML evidence report. Merged into `apiParams` / `ApiResults` by shared/api.ts; semantics in
 * docs/explanations.md ("The explanation API").
 */
import { z } from 'zod';
import type { GraphScoresInfo, GraphSummary } from './api';
import { causalTestSchema, explanationSchema, testResultSchema, type Explanation } from './explanation';
import { interventionRequestSchema, type FeatureChange, type InterventionMode, type TargetChange, type TopToken } from './intervention';

const graphId = z.string().min(1).max(64);
const filePath = z.string().min(1).max(4096);
const threshold = z.number().min(0).max(1);
const nodeIndex = z.number().int().nonnegative();
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'expected a lowercase sha256 hex digest');

/** A feature of a dictionary, independent of the prompt position: `layer_feature`, e.g. "3_117". */
export const featureLabelKeySchema = z.string().regex(/^\d{1,6}_\d{1,9}$/, 'expected "layer_feature", e.g. "3_117"');
export const MAX_FEATURE_LABELS = 1_000_000;
export const featureLabelsSchema = z
  .record(featureLabelKeySchema, z.string().max(1000))
  .refine((r) => Object.keys(r).length <= MAX_FEATURE_LABELS, `at most ${MAX_FEATURE_LABELS} labels`);
export type FeatureLabels = z.infer<typeof featureLabelsSchema>;

/** What an explanation is made of on the client side: the held graph, the user's work and tests, the thresholds. */
export const explanationContentSchema = z
  .object({
    graphId,
    work: explanationSchema.shape.work,
    tests: z.array(causalTestSchema).max(10_000),
    nodeThreshold: threshold,
    edgeThreshold: threshold,
  })
  .strict();
export type ExplanationContent = z.infer<typeof explanationContentSchema>;

export const explainApiParams = {
  /** An intervention on the graph's prompt (tokens from the graph); `topK` overrides `intervention.topK`. */
  'intervene.run': z.object({ graphId, intervention: interventionRequestSchema, topK: z.number().int().min(1).max(1000).optional() }).strict(),
  /** Runs one causal test on the graph's prompt and judges it (a saved `result` in `test` is ignored). */
  'test.run': z.object({ graphId, test: causalTestSchema }).strict(),
  'subgraph.stats': z
    .object({
      graphId,
      nodes: z.array(nodeIndex).max(1_000_000),
      supernodes: z
        .array(z.object({ id: z.string().min(1).max(200), label: z.string().max(1000), nodes: z.array(nodeIndex).min(1).max(1_000_000) }).strict())
        .max(10_000),
    })
    .strict(),
  'explanation.save': explanationContentSchema.extend({ path: filePath }).strict(),
  'explanation.open': z.object({ path: filePath }).strict(),
  /** `path`: the saved file this is a copy of (absent for an explanation never saved). */
  'explanation.recoverySave': z.object({ path: filePath.optional(), content: explanationContentSchema }).strict(),
  'explanation.recoveryList': z.object({}).strict(),
  /** Deletes one recovery copy (a path from recoveryList). */
  'explanation.recoveryDiscard': z.object({ path: filePath }).strict(),
  'labels.get': z.object({ dictionaryFingerprint: sha256 }).strict(),
  /** Replaces the dictionary's whole label set (empty labels are dropped). */
  'labels.set': z.object({ dictionaryFingerprint: sha256, labels: featureLabelsSchema }).strict(),
  'report.export': z
    .object({
      path: filePath,
      content: explanationContentSchema,
      /** The subgraph figure as SVG markup; sanitized before it is embedded. */
      figureSvg: z.string().max(20_000_000),
      /** Fresh results by test id; a test without one shows its saved result, if any. */
      testResults: z.record(z.string().min(1).max(200), testResultSchema).optional(),
    })
    .strict(),
  /**
   * Writes an exported figure (the graph view or the subgraph figure) to a `.svg` / `.png` file: SVG as text, PNG
   * as base64. The engine checks the content is what the name says (an `<svg>` document / the PNG signature).
   * Both limits stay under the browser transport's 64 MiB frame (main/server/socket.ts), so an oversized export
   * is refused with a clear error instead of the socket closing.
   */
  'figure.export': z
    .discriminatedUnion('format', [
      z.object({ format: z.literal('svg'), path: filePath, svg: z.string().min(1).max(50_000_000) }).strict(),
      z.object({ format: z.literal('png'), path: filePath, pngBase64: z.string().min(1).max(60_000_000) }).strict(),
    ]),
} as const;

export type ExplainApiMethod = keyof typeof explainApiParams;

// ---------------------------------------------------------------------------------------------- results

/** One logit node of the graph before and after an intervention. */
export interface TargetOutcome {
  /** The logit node's index in the graph. */
  readonly node: number;
  readonly label: string;
  /** Vocabulary id, or null for a contrast / custom target. */
  readonly token: number | null;
  /** Token: its logit; contrast: logit(a) − logit(b); custom (unknown direction): null. */
  readonly logitBefore: number | null;
  readonly logitAfter: number | null;
  /** Token targets only. */
  readonly probBefore: number | null;
  readonly probAfter: number | null;
}

export interface AffectedNode {
  /** A feature node of the graph. */
  readonly node: number;
  readonly before: number;
  readonly after: number;
}

export interface InterventionRunResult {
  readonly graphId: string;
  readonly mode: InterventionMode;
  readonly before: { readonly top: readonly TopToken[] };
  readonly after: { readonly top: readonly TopToken[] };
  /** The graph's logit targets. */
  readonly targets: readonly TargetOutcome[];
  /** The request's own `target`, when it has one. */
  readonly target: TargetChange | null;
  /** KL(before ‖ after) of the next-token distributions, in nats. */
  readonly kl: number;
  /** The clamps applied; `node` is the graph's node for that feature, when it has one. */
  readonly applied: readonly (FeatureChange & { readonly node: number | null })[];
  /** The graph's feature nodes (not edited ones) whose activation changed, largest |after − before| first. */
  readonly affectedNodes: readonly AffectedNode[];
  readonly generated: { readonly tokens: readonly number[]; readonly text: string } | null;
  readonly warnings: readonly string[];
}

export type TestRunResult = z.infer<typeof testResultSchema>;

export interface SubgraphGroup {
  readonly kind: 'supernode' | 'node';
  /** The supernode's id, or the node's id (e.g. "3_117_5"). */
  readonly id: string;
  readonly label: string;
  readonly nodes: readonly number[];
  /** Σ |A[t, s]| over the group's nodes t and every source s of the graph. */
  readonly inputAbs: number;
  /** Share of inputAbs from sources outside the subgraph (null when there is no input: tokens). */
  readonly outsideShare: number | null;
  /** Share of inputAbs from error nodes. */
  readonly errorShare: number | null;
}

export interface SubgraphEdge {
  /** Indices into `groups`. */
  readonly source: number;
  readonly target: number;
  /** Σ A[t, s] over s in the source group and t in the target group (raw, signed). */
  readonly weight: number;
}

export interface SubgraphStats {
  readonly graphId: string;
  /** Supernodes first (request order), then the other requested nodes. */
  readonly groups: readonly SubgraphGroup[];
  /** Non-empty sums between different groups, largest |weight| first. */
  readonly edges: readonly SubgraphEdge[];
  /** The node set the scores use: requested nodes, supernode members, every token and logit, and the error nodes feeding them. */
  readonly scoredNodes: readonly number[];
  readonly scores: GraphScoresInfo;
  /** The whole graph's scores (GraphSummary.scores). */
  readonly graphScores: GraphScoresInfo;
}

export interface ExplanationSaveResult {
  readonly path: string;
  /** The raw graph written beside it (full graphs only), or null. */
  readonly rawPath: string | null;
  readonly nodes: number;
  readonly links: number;
}

export interface ExplanationOpenResult {
  readonly path: string;
  readonly explanation: Explanation;
  readonly graph: GraphSummary;
  /** 'raw': the full graph from the raw sidecar; 'embedded': the pruned graph JSON inside the file. */
  readonly graphFrom: 'raw' | 'embedded';
  readonly warnings: readonly string[];
}

export interface RecoveryEntry {
  /** The recovery copy (an explanation file: open it with explanation.open). */
  readonly path: string;
  /** The saved file it is a newer copy of, or null for an explanation never saved. */
  readonly savedPath: string | null;
  readonly prompt: string;
  readonly modifiedAt: string;
  /** When the saved file was last written (null: never saved, or it no longer exists). */
  readonly savedModifiedAt: string | null;
}

export interface FeatureLabelsResult {
  readonly dictionaryFingerprint: string;
  readonly labels: FeatureLabels;
}

export interface ExplainApiResults {
  'intervene.run': InterventionRunResult;
  'test.run': TestRunResult;
  'subgraph.stats': SubgraphStats;
  'explanation.save': ExplanationSaveResult;
  'explanation.open': ExplanationOpenResult;
  'explanation.recoverySave': { readonly path: string; readonly savedPath: string | null };
  'explanation.recoveryList': { readonly dir: string; readonly entries: readonly RecoveryEntry[] };
  'explanation.recoveryDiscard': { readonly path: string };
  'labels.get': FeatureLabelsResult;
  'labels.set': FeatureLabelsResult;
  'report.export': { readonly path: string; readonly bytes: number };
  'figure.export': { readonly path: string; readonly bytes: number };
}
