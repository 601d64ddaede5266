/**
 * The explanation file (`*.circuit.json`, issue 5): a versioned, zod-validated record of one circuit — what it was
 * made on (model and dictionary fingerprints), the prompt and attribution settings, the pruned graph as
 * circuit-tracer / Neuronpedia graph JSON, the user's work (pins, supernodes, labels, notes, views) and causal
 * tests (an intervention plus an expectation, with the recorded result). Data only: nothing in it is executed.
 * Objects are strict (unknown keys are refused) except the embedded graph JSON, whose own importer validates it.
 */
import { z } from 'zod';
import { interventionRequestSchema } from './intervention';

export const EXPLANATION_FORMAT_VERSION = 1;

const nat = z.number().int().nonnegative();
const finite = z.number().finite();
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'expected a lowercase sha256 hex digest');
const text = (max: number) => z.string().max(max);
/** circuit-tracer node ids: `3_517_5`, `2_-1_4`, `E_395_13`, `6_317_13`, or a supernode id. */
const nodeId = text(200);

export const expectationSchema = z.discriminatedUnion('kind', [
  /** p(token) after ≤ (1 − atLeastFraction) · p(token) before. */
  z.strictObject({ kind: z.literal('probDrop'), token: nat, atLeastFraction: z.number().min(0).max(1) }),
  z.strictObject({ kind: z.literal('probAtLeast'), token: nat, value: z.number().min(0).max(1) }),
  z.strictObject({ kind: z.literal('probAtMost'), token: nat, value: z.number().min(0).max(1) }),
  /** logit(token) after − before, bounded below and/or above. */
  z.strictObject({ kind: z.literal('logitChange'), token: nat, atLeast: finite.optional(), atMost: finite.optional() }),
  /** The contrast logit(a) − logit(b) after the intervention: changes sign, or has the given sign. */
  z.strictObject({ kind: z.literal('contrastSign'), a: nat, b: nat, sign: z.enum(['flips', 'positive', 'negative']) }),
]);

/** The measured quantity: probability, logit change or contrast, before and after. */
export const testResultSchema = z.strictObject({ passed: z.boolean(), before: finite, after: finite, ranAt: z.iso.datetime() });

export const causalTestSchema = z.strictObject({
  id: text(200).min(1),
  name: text(1000),
  /** The command-line spelling it was written in, when it came from `cwb explain --test`. */
  spec: text(10_000).optional(),
  intervention: interventionRequestSchema,
  expectation: expectationSchema,
  result: testResultSchema.optional(),
});

export const savedViewSchema = z.strictObject({
  name: text(200),
  /** Layout positions by node id. */
  positions: z.record(nodeId, z.strictObject({ x: finite, y: finite })).optional(),
  nodeThreshold: z.number().min(0).max(1),
  edgeThreshold: z.number().min(0).max(1),
  highlightedPaths: z.array(z.array(nodeId).max(1000)).max(1000).optional(),
  /**
   * What the graph canvas showed (issue 7 saved views): the visible region in layout (model) coordinates, so the
   * view is re-fitted to any canvas size. Layout positions follow the canvas aspect, so this is approximate.
   */
  region: z.strictObject({ x1: finite, y1: finite, x2: finite, y2: finite }).optional(),
  /** 'subgraph': the labelled subgraph figure (supernodes collapsed); 'graph' (default): the pruned graph. */
  show: z.enum(['graph', 'subgraph']).optional(),
  /** The supernodes the view is about (the subgraph figure shows only these and the pinned nodes they need; absent: all). */
  supernodeIds: z.array(text(200)).max(10_000).optional(),
  /** A causal test (by id) whose before/after result the view shows in presentation mode. */
  testId: text(200).optional(),
  /** Free-text caption shown under the view's title in presentation mode. */
  caption: text(10_000).optional(),
});

export const explanationSchema = z.strictObject({
  formatVersion: z.literal(EXPLANATION_FORMAT_VERSION),
  app: z.strictObject({ name: text(100), version: text(100) }),
  model: z.strictObject({ name: text(1000), fingerprint: sha256 }),
  dictionary: z.strictObject({ name: text(1000), fingerprint: sha256, kind: z.enum(['plt', 'clt']) }),
  prompt: text(1_000_000),
  tokens: z.array(nat).min(1).max(1_000_000),
  /** How the logit targets were chosen; the resolved targets are the graph's logit nodes. */
  targets: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('salient') }),
    z.strictObject({ kind: z.literal('tokens'), tokens: z.array(nat).min(1).max(1000) }),
    z.strictObject({ kind: z.literal('contrast'), a: nat, b: nat }),
  ]),
  attribution: z.strictObject({
    maxFeatureNodes: nat.nullable(),
    batchSize: z.number().int().min(1),
    nodeThreshold: z.number().min(0).max(1),
    edgeThreshold: z.number().min(0).max(1),
  }),
  /** The pruned graph as graph JSON (validated by the graph importer), and optionally where the raw graph is. */
  graph: z.strictObject({ json: z.record(z.string(), z.unknown()), rawPath: text(4096).optional() }),
  work: z.strictObject({
    pinnedNodeIds: z.array(nodeId).max(100_000),
    supernodes: z.array(z.strictObject({ id: text(200), label: text(1000), nodeIds: z.array(nodeId).max(100_000) })).max(10_000),
    nodeLabels: z.record(nodeId, text(1000)),
    notes: text(1_000_000),
    views: z.array(savedViewSchema).max(1000),
  }),
  tests: z.array(causalTestSchema).max(10_000),
});

export type Expectation = z.infer<typeof expectationSchema>;
export type CausalTest = z.infer<typeof causalTestSchema>;
export type SavedView = z.infer<typeof savedViewSchema>;
export type Explanation = z.infer<typeof explanationSchema>;
