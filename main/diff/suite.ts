/**
 * Prompt suites for `cwb diff`: a `.txt` file (one prompt per non-empty line) or `.jsonl` (one object per line:
 * `{"prompt": "…", "target": " Lily"}`, target optional: a single token's text or its id). Bad lines are refused
 * with their line number; nothing is executed or trusted beyond being text.
 */
import { z } from 'zod';
import { UserError } from '../errors';
import { resolveToken } from '../attribution/targets';
import type { Tokenizer } from '../tokenizer/types';

export interface SuitePrompt {
  readonly text: string;
  /** Token ids with BOS. */
  readonly tokens: readonly number[];
  readonly target: number | null;
}

export interface Suite {
  readonly name: string;
  readonly prompts: readonly SuitePrompt[];
}

/** Raw entries before tokenization (what the API sends, and what a file holds). */
export interface SuiteEntry {
  readonly prompt: string;
  readonly target?: string | number;
}

const MAX_PROMPTS = 100_000;
const lineSchema = z.strictObject({ prompt: z.string().min(1).max(100_000), target: z.union([z.string().min(1).max(1000), z.number().int().nonnegative()]).optional() });

export function parseSuiteText(text: string, name: string): SuiteEntry[] {
  const jsonl = /\.jsonl$/i.test(name);
  const out: SuiteEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    if (raw.trim() === '') continue;
    if (!jsonl) {
      out.push({ prompt: raw });
    } else {
      let v: unknown;
      try {
        v = JSON.parse(raw);
      } catch {
        throw new UserError(`suite ${name} line ${i + 1}: not valid JSON (expected {"prompt": "…", "target": "…"})`);
      }
      const r = lineSchema.safeParse(v);
      if (!r.success) {
        const issue = r.error.issues[0];
        throw new UserError(`suite ${name} line ${i + 1}: ${issue.path.join('.') || 'line'}: ${issue.message} (expected {"prompt": "…", "target": "…"})`);
      }
      out.push(r.data);
    }
    if (out.length > MAX_PROMPTS) throw new UserError(`suite ${name} has more than ${MAX_PROMPTS} prompts: split it`);
  }
  if (out.length === 0) throw new UserError(`suite ${name} has no prompts (one per line in .txt, {"prompt": …} per line in .jsonl)`);
  return out;
}

export function tokenizeSuite(entries: readonly SuiteEntry[], tok: Tokenizer, vocabSize: number, maxSeqLen: number, name: string): Suite {
  const prompts = entries.map((e, i) => {
    const tokens = tok.encode(e.prompt, { bos: true });
    if (tokens.length > maxSeqLen) throw new UserError(`suite ${name} prompt ${i + 1} is ${tokens.length} tokens, over the model's context of ${maxSeqLen}: shorten it`);
    let target: number | null = null;
    if (e.target !== undefined) {
      try {
        target = resolveToken(tok, vocabSize, e.target);
      } catch (err) {
        throw new UserError(`suite ${name} prompt ${i + 1}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return { text: e.prompt, tokens, target };
  });
  return { name, prompts };
}
