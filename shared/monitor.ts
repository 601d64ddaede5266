/**
 * A monitors file (`cwb monitor --monitors FILE`): named internal signals with thresholds. An item is flagged
 * by a monitor when its score ≥ the threshold. Kinds:
 * - `feature`: one transcoder feature's activation (dictionary given on the command line / open in the app);
 * - `features`: Σ weight·activation over a set of features (e.g. a supernode of a saved explanation);
 * - `probe`: a linear probe file's probability (path relative to the monitors file);
 * - `lens`: the logit lens at residual row `layer` (0 = blocks.0.hook_resid_pre … nLayers = final residual):
 *   the probability of `token`, or the entropy; `layer` = nLayers with pool `last` is the model's own output.
 * Pooling over an item's positions: `max` or `mean` over positions after BOS, or the `last` position.
 */
import { z } from 'zod';

export const MONITORS_FORMAT = 'cwb-monitors';
export const MONITORS_VERSION = 1;

const name = z.string().min(1).max(200);
const finite = z.number().finite();
const int = z.number().int().nonnegative();
export const poolSchema = z.enum(['max', 'mean', 'last']);
export type Pool = z.infer<typeof poolSchema>;

const featureRef = z.strictObject({ layer: int, feature: int, weight: finite.optional() });

export const monitorSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('feature'), name, layer: int, feature: int, pool: poolSchema.default('max'), threshold: finite, note: z.string().max(2000).optional() }),
  z.strictObject({
    kind: z.literal('features'),
    name,
    features: z.array(featureRef).min(1).max(100_000),
    pool: poolSchema.default('max'),
    threshold: finite,
    /** Where the set came from (an explanation file and its supernode, or graph nodes). */
    source: z.strictObject({ explanation: z.string().max(4096).optional(), supernode: z.string().max(200).optional(), nodes: z.array(z.string().max(100)).max(100_000).optional() }).optional(),
    note: z.string().max(2000).optional(),
  }),
  z.strictObject({ kind: z.literal('probe'), name, probe: z.string().min(1).max(4096), threshold: finite, note: z.string().max(2000).optional() }),
  z.strictObject({
    kind: z.literal('lens'),
    name,
    layer: int,
    measure: z.enum(['prob', 'entropy']).default('prob'),
    /** Token id, or its text (one token). Required for `prob`. */
    token: z.union([int, z.string().min(1).max(200)]).optional(),
    pool: poolSchema.default('last'),
    threshold: finite,
    note: z.string().max(2000).optional(),
  }),
]);
export type Monitor = z.infer<typeof monitorSchema>;

export const monitorsFileSchema = z
  .strictObject({
    format: z.literal(MONITORS_FORMAT),
    version: z.literal(MONITORS_VERSION),
    model: z.strictObject({ name: z.string().max(500), fingerprint: z.string().max(200) }).optional(),
    dictionary: z.strictObject({ name: z.string().max(500), fingerprint: z.string().max(200) }).optional(),
    monitors: z.array(monitorSchema).min(1).max(1000),
  })
  .refine((f) => new Set(f.monitors.map((m) => m.name)).size === f.monitors.length, { message: 'monitor names must be unique' });
export type MonitorsFile = z.infer<typeof monitorsFileSchema>;

/** One output line of `cwb monitor`. */
export interface MonitorResultLine {
  /** 1-based line number in the input. */
  readonly line: number;
  readonly id?: string | number;
  readonly scores: Record<string, number>;
  /** Names of the monitors whose score reached their threshold. */
  readonly alerts: readonly string[];
}
