/**
 * A linear probe file (`cwb probe train`): logistic regression on one hook's activations at one position
 * (or pooled), with the model it was trained on and how well it did. score(x) = σ(w·x + b) on raw activations
 * (the training standardization is folded into w and b).
 */
import { z } from 'zod';

export const PROBE_FORMAT = 'cwb-probe';
export const PROBE_VERSION = 1;

export const probePositionSchema = z.enum(['last', 'mean']);
export type ProbePosition = z.infer<typeof probePositionSchema>;

const finite = z.number().finite();

export const probeMetricsSchema = z.object({
  n: z.number().int().nonnegative(),
  positives: z.number().int().nonnegative(),
  auroc: finite.nullable(),
  accuracy: finite,
  logLoss: finite,
});
export type ProbeMetrics = z.infer<typeof probeMetricsSchema>;

export const probeFileSchema = z.strictObject({
  format: z.literal(PROBE_FORMAT),
  version: z.literal(PROBE_VERSION),
  hook: z.string().min(1).max(200),
  position: probePositionSchema,
  model: z.strictObject({ name: z.string().max(500), fingerprint: z.string().max(200), dModel: z.number().int().positive() }),
  /** Length = the hook's features per position. */
  weights: z.array(finite).min(1).max(1_000_000),
  bias: finite,
  /** L2 strength chosen on the validation split, and the grid it was chosen from. */
  l2: finite.nonnegative(),
  l2Grid: z.array(finite.nonnegative()).max(100),
  data: z.strictObject({ file: z.string().max(4096), sha256: z.string().max(128), items: z.number().int().nonnegative(), seed: z.number().int(), split: z.tuple([finite, finite, finite]) }),
  metrics: z.strictObject({ train: probeMetricsSchema, validation: probeMetricsSchema, test: probeMetricsSchema }),
  createdAt: z.string().max(100),
});
export type ProbeFile = z.infer<typeof probeFileSchema>;
