/**
 * Lines of the JSONL files that probes and monitors read:
 * - a stream item (`cwb monitor --input`): `{"prompt": "...", "completion"?: "...", "id"?: "..."}`;
 * - a labeled item (`--data`): the same plus `"label": 0 | 1` (or true/false; 1 = the positive class).
 * The text scored is prompt + completion; `ids` (token ids, BOS first) may replace the text for exact inputs.
 */
import { z } from 'zod';

const MAX_TEXT = 1_000_000;

const streamItemObject = z
  .object({
    id: z.union([z.string().max(200), z.number()]).optional(),
    prompt: z.string().max(MAX_TEXT).optional(),
    completion: z.string().max(MAX_TEXT).optional(),
    ids: z.array(z.number().int().nonnegative()).min(1).max(1_000_000).optional(),
  })
  .passthrough();
const hasInput = (x: { prompt?: string; ids?: number[] }) => x.prompt !== undefined || x.ids !== undefined;
const needsInput = { message: 'needs "prompt" (text) or "ids" (token ids)' };

export const streamItemSchema = streamItemObject.refine(hasInput, needsInput);
export type StreamItem = z.infer<typeof streamItemSchema>;

export const labeledItemSchema = streamItemObject.extend({ label: z.union([z.literal(0), z.literal(1), z.boolean()]) }).refine(hasInput, needsInput);
export type LabeledItem = z.infer<typeof labeledItemSchema>;

export const labelOf = (x: LabeledItem): 0 | 1 => (x.label === true || x.label === 1 ? 1 : 0);
