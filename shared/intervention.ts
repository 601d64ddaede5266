/**
 * An intervention request on one prompt (issue 5, circuit-tracer method brief §4), as data: the explanation file
 * stores it verbatim inside causal tests, so it is a zod schema (validated on load, never executed) and the
 * TypeScript types are inferred from it.
 */
import { z } from 'zod';

const int = z.number().int();
const nat = int.nonnegative();
const finite = z.number().finite();

/** A transcoder feature at one position: circuit-tracer node id `layer_feature_pos`. */
export const featureRefSchema = z.strictObject({ layer: nat, feature: nat, pos: nat });
/** A reconstruction-error node: node id `layer_-1_pos`. */
export const errorRefSchema = z.strictObject({ layer: nat, pos: nat });

/**
 * set: the feature's value becomes `value`; scale: value × its current activation; ablate: 0.
 * Error nodes can only be scaled or ablated (there is no meaningful absolute value for a vector).
 */
export const featureEditSchema = z.strictObject({
  type: z.literal('feature'),
  ...featureRefSchema.shape,
  op: z.enum(['set', 'scale', 'ablate']),
  value: finite.optional(),
});
export const errorEditSchema = z.strictObject({
  type: z.literal('error'),
  ...errorRefSchema.shape,
  op: z.enum(['scale', 'ablate']),
  value: finite.optional(),
});
/** A supernode: one op applied to every member (`set` applies to features only). */
export const groupEditSchema = z.strictObject({
  type: z.literal('group'),
  label: z.string().max(200).optional(),
  op: z.enum(['set', 'scale', 'ablate']),
  value: finite.optional(),
  features: z.array(featureRefSchema).max(10_000),
  errors: z.array(errorRefSchema).max(10_000).default([]),
});

/** Another prompt whose run supplies patched values: text (tokenized with BOS) or raw token ids. */
export const patchSourceSchema = z.union([z.strictObject({ prompt: z.string().max(100_000) }), z.strictObject({ tokens: z.array(nat).min(1).max(100_000) })]);

/**
 * patchFeatures: at each position the listed layers' whole feature vectors become the source's (taken at
 * `sourcePositions`, default the same positions). patchHook: one hook's slices are set to the source run's.
 */
export const patchFeaturesSchema = z.strictObject({
  type: z.literal('patchFeatures'),
  source: patchSourceSchema,
  layers: z.array(nat).max(1000).optional(),
  positions: z.array(nat).min(1).max(100_000),
  sourcePositions: z.array(nat).max(100_000).optional(),
});
export const patchHookSchema = z.strictObject({
  type: z.literal('patchHook'),
  source: patchSourceSchema,
  hook: z.string().min(1).max(200),
  positions: z.array(nat).min(1).max(100_000),
  sourcePositions: z.array(nat).max(100_000).optional(),
});
/** strength × the feature's decoder direction(s) added to the MLP output; `generated` also on new tokens. */
export const steerSchema = z.strictObject({
  type: z.literal('steer'),
  layer: nat,
  feature: nat,
  strength: finite,
  positions: z.array(nat).max(100_000),
  generated: z.boolean().optional(),
});

export const interventionEditSchema = z.discriminatedUnion('type', [featureEditSchema, errorEditSchema, groupEditSchema, patchFeaturesSchema, patchHookSchema, steerSchema]);

/** What to measure: a token's logit/probability, a logit contrast a − b, or a feature's activation. */
export const interventionTargetSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('token'), token: nat }),
  z.strictObject({ kind: z.literal('contrast'), a: nat, b: nat }),
  z.strictObject({ kind: z.literal('feature'), ...featureRefSchema.shape }),
]);

/**
 * frozen: attention patterns from the clean run, norms and MLPs live (default, circuit-tracer's default);
 * free: nothing frozen; constrained: patterns, norm scales and every MLP output frozen, skip paths live —
 * direct effects only, the attribution graph's linear model.
 */
export const interventionModeSchema = z.enum(['frozen', 'free', 'constrained']);

export const interventionRequestSchema = z.strictObject({
  edits: z.array(interventionEditSchema).max(10_000),
  mode: interventionModeSchema.default('frozen'),
  target: interventionTargetSchema.optional(),
  topK: int.min(1).max(1000).default(10),
  generate: int.min(0).max(10_000).default(0),
  /** How many changed downstream features to report. */
  topFeatures: int.min(0).max(10_000).default(10),
});

export type FeatureRef = z.infer<typeof featureRefSchema>;
export type ErrorRef = z.infer<typeof errorRefSchema>;
export type InterventionEdit = z.infer<typeof interventionEditSchema>;
export type InterventionTarget = z.infer<typeof interventionTargetSchema>;
export type InterventionMode = z.infer<typeof interventionModeSchema>;
/** As stored (defaults filled in). */
export type InterventionRequest = z.infer<typeof interventionRequestSchema>;
/** As written by callers (defaults optional). */
export type InterventionRequestInput = z.input<typeof interventionRequestSchema>;

export interface TopToken {
  readonly token: number;
  readonly text: string;
  readonly logit: number;
  readonly prob: number;
}

export interface TargetChange {
  readonly label: string;
  /** Token: logit; contrast: logit(a) − logit(b); feature: activation. */
  readonly before: number;
  readonly after: number;
  /** Token targets: probabilities too. */
  readonly probBefore?: number;
  readonly probAfter?: number;
}

export interface FeatureChange extends FeatureRef {
  readonly before: number;
  readonly after: number;
}

export interface InterventionResult {
  readonly tokens: readonly number[];
  readonly mode: InterventionMode;
  /** Clean run (no edits, nothing frozen): last-position logits and top-k. */
  readonly before: { readonly logits: Float32Array; readonly top: readonly TopToken[] };
  readonly after: { readonly logits: Float32Array; readonly top: readonly TopToken[] };
  readonly target?: TargetChange;
  /** The clamps actually applied to edited features: the activation they had and the value they were given. */
  readonly applied: readonly FeatureChange[];
  /** Non-edited features whose activation changed most (|after − before|), anywhere in the prompt. */
  readonly featureChanges: readonly FeatureChange[];
  readonly generated?: { readonly tokens: readonly number[]; readonly text: string };
}
