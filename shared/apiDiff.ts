/**
 * The typed API's model-diff methods (issue 9), merged into `apiParams` / `ApiResults` by shared/api.ts:
 * - `diff.run`: the whole diff of two model files on a suite file (report in shared/diff.ts), optionally written
 *   to a JSON and an HTML report in the workspace;
 * - `diff.graphs`: the aligned graph pair of any prompt (what the Diff view shows when a prompt is clicked).
 * Model, suite and folder paths are resolved by the engine inside the workspace (the embedded model is allowed).
 */
import { z } from 'zod';
import type { DiffReport, GraphDiff } from './diff';

const filePath = z.string().min(1).max(4096);

export const diffApiParams = {
  'diff.run': z
    .object({
      base: filePath,
      candidate: filePath,
      /** `.txt` (a prompt per line) or `.jsonl` ({"prompt", "target"} per line). */
      suite: filePath,
      /** A folder of `*.circuit.json` explanations to re-verify on the candidate. */
      explanations: filePath.optional(),
      /** Also write the report here (`.json`) and as HTML (`.html`). */
      out: filePath.optional(),
      html: filePath.optional(),
      patchPrompts: z.number().int().min(0).max(1000).optional(),
      graphPrompts: z.number().int().min(0).max(100).optional(),
    })
    .strict(),
  'diff.graphs': z.object({ base: filePath, candidate: filePath, prompt: z.string().min(1).max(100_000) }).strict(),
} as const;

export interface DiffApiResults {
  'diff.run': DiffReport;
  'diff.graphs': GraphDiff;
}
