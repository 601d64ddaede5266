/**
 * The typed API's logit-lens and monitor methods (issue 10), merged into `apiParams` / `ApiResults` by
 * shared/api.ts:
 * - `lens.run`: the logit lens of a prompt (shared/lens.ts), with an optional target token;
 * - `monitor.fromNodes`: a weighted-feature monitor from feature nodes of a graph (a selection or a supernode),
 *   weights 1/activation on the traced prompt and threshold half its score there;
 * - `monitor.run`: monitors over a JSONL file in the workspace, streamed; the flagged items come back (capped);
 * - `monitor.save`: a monitors file in the workspace.
 */
import { z } from 'zod';
import type { LensView } from './lens';
import { monitorSchema, type Monitor } from './monitor';

const filePath = z.string().min(1).max(4096);
const tokenRef = z.union([z.string().min(1).max(200), z.number().int().nonnegative()]);

export const monitorApiParams = {
  'lens.run': z.object({ prompt: z.string().min(1).max(100_000), target: tokenRef.optional(), topK: z.number().int().min(1).max(20).optional() }).strict(),
  'monitor.fromNodes': z
    .object({
      graphId: z.string().min(1).max(64),
      nodes: z.array(z.number().int().nonnegative()).min(1).max(100_000),
      name: z.string().min(1).max(200).optional(),
    })
    .strict(),
  'monitor.run': z
    .object({
      monitors: z.array(monitorSchema).min(1).max(100),
      input: filePath,
      /** Flagged items returned, at most (the counts cover every item). */
      maxFlagged: z.number().int().min(1).max(10_000).optional(),
    })
    .strict(),
  'monitor.save': z.object({ path: filePath, monitors: z.array(monitorSchema).min(1).max(1000) }).strict(),
} as const;

export interface FlaggedItem {
  /** 1-based line in the input file. */
  readonly line: number;
  readonly id?: string | number;
  /** The item's text (prompt + completion), cut to 300 characters. */
  readonly text: string;
  readonly scores: Record<string, number>;
  readonly alerts: readonly string[];
}

export interface MonitorRunResult {
  readonly items: number;
  /** Items flagged by each monitor. */
  readonly alerts: Record<string, number>;
  readonly flagged: readonly FlaggedItem[];
  /** More items were flagged than returned. */
  readonly truncated: boolean;
  readonly seconds: number;
}

export interface MonitorApiResults {
  'lens.run': LensView;
  'monitor.fromNodes': { readonly monitor: Monitor; readonly scoreOnPrompt: number; readonly skipped: number };
  'monitor.run': MonitorRunResult;
  'monitor.save': { readonly path: string };
}
