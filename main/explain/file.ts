/**
 * Reading and writing explanation files. Reading treats the file as hostile: size checked before reading, strict
 * UTF-8, nesting depth and prototype-pollution keys refused before/while parsing (safeJson), a newer format refused,
 * older formats migrated, then the zod schema and the embedded graph JSON's own validator. Writing validates first
 * and is atomic (temp file + rename), so an invalid or half-written file never replaces a good one.
 */
import { statSync, readFileSync } from 'node:fs';
import type { JsonObject } from '../graph/safeJson';
import { formatBytes, isJsonObject, parseJsonSafely } from '../graph/safeJson';
import { validateGraphJsonSchema } from '../graph/neuronpediaJson';
import { explanationSchema, EXPLANATION_FORMAT_VERSION, type Explanation } from '../../shared/explanation';
import { writeFileAtomic } from '../files';
import { UserError } from '../errors';

export const EXPLANATION_LIMITS = { maxBytes: 200 * 1024 * 1024, maxDepth: 64 };

export interface LoadExplanationOptions {
  /** Refuse files larger than this many bytes (default 200 MB). */
  readonly maxBytes?: number;
  readonly maxDepth?: number;
}

/**
 * Migrations from format n to n + 1, keyed by n. Format 1 is the first, so the table is empty; a future format 2
 * adds `1: (doc) => …` here and loading runs every step from the file's version up to the current one.
 */
const MIGRATIONS: Readonly<Record<number, (doc: JsonObject) => JsonObject>> = {};

export function migrate(doc: JsonObject, what: string): JsonObject {
  const v = doc.formatVersion;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new UserError(`${what} has no valid formatVersion; it is not a Circuit Workbench explanation file`);
  if (v > EXPLANATION_FORMAT_VERSION) {
    throw new UserError(`${what} was made by a newer Circuit Workbench (format ${v}); this version reads format ${EXPLANATION_FORMAT_VERSION}: update the app`);
  }
  let out = doc;
  for (let from = v; from < EXPLANATION_FORMAT_VERSION; from++) {
    const step = MIGRATIONS[from];
    if (!step) throw new UserError(`${what} is in format ${from}, which this version cannot migrate`);
    out = step(out);
  }
  return out;
}

/** Validates a parsed document; the message names the first problems with their paths. */
export function validateExplanation(doc: unknown, what: string): Explanation {
  const r = explanationSchema.safeParse(doc);
  if (!r.success) {
    const issues = r.error.issues.slice(0, 3).map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
    const more = r.error.issues.length > 3 ? ` (and ${r.error.issues.length - 3} more)` : '';
    throw new UserError(`${what} is not a valid explanation file: ${issues.join('; ')}${more}`);
  }
  const graphIssue = graphJsonProblem(r.data.graph.json);
  if (graphIssue) throw new UserError(`${what} is not a valid explanation file: graph.json: ${graphIssue}`);
  return r.data;
}

function graphJsonProblem(json: unknown): string | null {
  const errors = validateGraphJsonSchema(json);
  return errors.length === 0 ? null : errors.slice(0, 3).join('; ');
}

export function parseExplanationText(textOrBytes: string | Uint8Array, what: string, opts: LoadExplanationOptions = {}): Explanation {
  const limits = { maxBytes: opts.maxBytes ?? EXPLANATION_LIMITS.maxBytes, maxDepth: opts.maxDepth ?? EXPLANATION_LIMITS.maxDepth };
  let text: string;
  if (typeof textOrBytes === 'string') text = textOrBytes;
  else {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(textOrBytes);
    } catch {
      throw new UserError(`${what} is not UTF-8 text; it is corrupt or not an explanation file`);
    }
  }
  const doc = parseJsonSafely(text, what, limits);
  if (!isJsonObject(doc)) throw new UserError(`${what} is not a JSON object; it is not an explanation file`);
  return validateExplanation(migrate(doc, what), what);
}

export function loadExplanation(file: string, opts: LoadExplanationOptions = {}): Explanation {
  const what = `explanation file ${file}`;
  const maxBytes = opts.maxBytes ?? EXPLANATION_LIMITS.maxBytes;
  let size: number;
  try {
    const st = statSync(file);
    if (st.isDirectory()) throw new UserError(`${what} is a directory`);
    size = st.size;
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`${what} cannot be read (${(e as { code?: string }).code ?? String(e)})`);
  }
  // Refuse before reading a byte: a huge file must not be pulled into memory.
  if (size > maxBytes) throw new UserError(`${what} is ${formatBytes(size)}, over the ${formatBytes(maxBytes)} limit`);
  return parseExplanationText(new Uint8Array(readFileSync(file)), what, opts);
}

/** JSON text of an explanation (2-space indented: these files are meant to be read in reviews and diffs). */
export function stringifyExplanation(e: Explanation): string {
  return JSON.stringify(e, null, 2) + '\n';
}

export function saveExplanation(file: string, e: Explanation): void {
  const checked = validateExplanation(e, 'the explanation to save');
  writeFileAtomic(file, stringifyExplanation(checked));
}
