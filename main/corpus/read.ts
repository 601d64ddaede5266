/**
 * Reads a training corpus into token sequences, one per document, each starting with BOS:
 * - JSONL (`.jsonl`, `.ndjson`, `.json`, or any file whose first character is `{`): one object per line with
 *   `ids` (token ids, used as they are — what `cwb corpus sample` writes, exact where re-encoding the text
 *   might not be) or else `text` (encoded with BOS). Blank lines are skipped.
 * - plain text (anything else): documents separated by blank lines, each encoded with BOS.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors';
import type { Tokenizer } from '../tokenizer/types';

export interface ReadCorpusOptions {
  /** Stop once this many tokens are read; the last document is cut so the total is exactly maxTokens. */
  readonly maxTokens?: number;
}

const JSONL_EXTENSIONS = new Set(['.jsonl', '.ndjson', '.json']);

export function readCorpus(file: string, tokenizer: Tokenizer, opts: ReadCorpusOptions = {}): number[][] {
  const max = opts.maxTokens ?? Infinity;
  if (!(max >= 1)) throw new RangeError(`readCorpus: maxTokens must be at least 1, got ${max}`);
  if (!existsSync(file)) throw new UserError(`corpus file not found: ${file}`);
  if (statSync(file).isDirectory()) throw new UserError(`${file} is a directory: pass a .jsonl or .txt corpus file`);
  const content = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  const jsonl = JSONL_EXTENSIONS.has(path.extname(file).toLowerCase()) || content.trimStart().startsWith('{');

  const docs: number[][] = [];
  let total = 0;
  /** Adds a document; false once the token budget is used up (the caller stops reading, and encoding). */
  const add = (ids: number[]): boolean => {
    const take = Math.min(ids.length, max - total);
    docs.push(take < ids.length ? ids.slice(0, take) : ids);
    total += take;
    return total < max;
  };

  if (jsonl) {
    const lines = content.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      if (lines[i].trim() === '') continue;
      if (!add(parseLine(lines[i], `${file}:${i + 1}`, tokenizer))) break;
    }
  } else {
    for (const doc of content.replace(/\r\n?/g, '\n').split(/\n[ \t]*\n/)) {
      const text = doc.trim();
      if (text === '') continue;
      if (!add(tokenizer.encode(text, { bos: true }))) break;
    }
  }
  if (docs.length === 0) throw new UserError(`${file} contains no documents`);
  return docs;
}

function parseLine(line: string, where: string, tokenizer: Tokenizer): number[] {
  let obj: unknown;
  try {
    obj = JSON.parse(line);
  } catch (e) {
    throw new UserError(`${where}: invalid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    throw new UserError(`${where}: expected a JSON object with a "text" string or an "ids" array`);
  }
  const rec = obj as Record<string, unknown>;
  if (rec.ids !== undefined) return checkIds(rec.ids, where, tokenizer.vocabSize);
  if (typeof rec.text === 'string') return tokenizer.encode(rec.text, { bos: true });
  throw new UserError(`${where}: no "text" string or "ids" array in this line`);
}

function checkIds(ids: unknown, where: string, vocabSize: number): number[] {
  if (!Array.isArray(ids) || ids.length === 0) throw new UserError(`${where}: "ids" must be a non-empty array of token ids`);
  for (const id of ids) {
    if (!(typeof id === 'number' && Number.isInteger(id) && id >= 0 && id < vocabSize)) {
      throw new UserError(`${where}: token id ${JSON.stringify(id)} is outside the vocabulary [0, ${vocabSize})`);
    }
  }
  return ids as number[];
}
