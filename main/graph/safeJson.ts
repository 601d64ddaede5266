/**
 * JSON parsing for files from outside (graph JSON, sidecars) and one canonical way of printing JSON.
 *
 * Parsing refuses, with a one-line UserError: text over a byte limit (checked before any work), nesting deeper than
 * a limit (scanned before JSON.parse, so a file of 100k '[' never reaches V8's parser or a recursive walker), the
 * keys `__proto__` / `constructor` / `prototype` anywhere (a reviver sees every key after unescaping, so
 * "\u005f_proto__" is caught too), and numbers that overflow to ±Infinity (`1e400`).
 */
import { UserError } from '../errors';

export type JsonValue = null | boolean | number | string | readonly JsonValue[] | JsonObject;
export interface JsonObject {
  readonly [key: string]: JsonValue;
}

export const RESERVED_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export interface JsonLimits {
  /** Refuse text whose UTF-8 encoding is longer than this. */
  readonly maxBytes: number;
  /** Refuse arrays/objects nested deeper than this. */
  readonly maxDepth: number;
}

export const isJsonObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A string quoted for an error message: JSON-escaped (so one line) and cut to a readable length. */
export function quoteForMessage(s: string): string {
  const q = JSON.stringify(s);
  return q.length > 60 ? `${q.slice(0, 57)}…"` : q;
}

export function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / (1024 * 1024)).toFixed(1)} MB` : `${n} bytes`;
}

/** UTF-8 length without encoding: at least one byte per UTF-16 unit, so the cheap `length` check comes first. */
function utf8Length(text: string, stopAbove: number): number {
  if (text.length > stopAbove) return text.length;
  return Buffer.byteLength(text, 'utf8');
}

/** Deepest array/object nesting, counting only brackets outside strings; stops early once `limit` is passed. */
function nestingDepth(text: string, limit: number): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return depth;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return depth;
}

/** Parses untrusted JSON text (see the module comment for what is refused). `what` starts every message. */
export function parseJsonSafely(text: string, what: string, limits: JsonLimits): JsonValue {
  const bytes = utf8Length(text, limits.maxBytes);
  if (bytes > limits.maxBytes) throw new UserError(`${what} is ${formatBytes(bytes)}, over the ${formatBytes(limits.maxBytes)} limit`);
  if (nestingDepth(text, limits.maxDepth) > limits.maxDepth) {
    throw new UserError(`${what} is nested more than ${limits.maxDepth} levels deep; it is corrupt or not a graph file`);
  }
  const reviver = (key: string, value: unknown): unknown => {
    if (RESERVED_KEYS.has(key)) throw new UserError(`${what} contains the key ${quoteForMessage(key)}, which is not allowed (prototype pollution guard)`);
    if (typeof value === 'number' && !Number.isFinite(value)) throw new UserError(`${what} contains a number too large for a 64-bit float`);
    return value;
  };
  try {
    return JSON.parse(text, reviver) as JsonValue;
  } catch (e) {
    if (e instanceof UserError) throw e;
    if (e instanceof RangeError) throw new UserError(`${what} is nested too deeply to parse`);
    const why = e instanceof Error ? e.message.replace(/\s+/g, ' ').slice(0, 120) : String(e);
    throw new UserError(`${what} is not valid JSON (${why})`);
  }
}

/**
 * Canonical JSON: object keys sorted by UTF-16 code units at every level, no whitespace, numbers and strings as
 * JSON.stringify prints them (shortest round-trip form; -0 prints as 0). Equal values give identical bytes, which
 * is what makes "export → import → export" checkable byte for byte. Non-finite numbers are a bug upstream, so
 * they throw instead of silently becoming null; `undefined` properties are skipped as JSON.stringify does.
 */
export function stringifyCanonical(value: JsonValue): string {
  // Built by string concatenation (V8 ropes): several times faster than pushing pieces into an array.
  const write = (v: JsonValue | undefined, depth: number): string => {
    if (depth > 1000) throw new Error('stringifyCanonical: value is nested more than 1000 levels deep (cyclic?)');
    if (v === null) return 'null';
    switch (typeof v) {
      case 'boolean':
        return v ? 'true' : 'false';
      case 'string':
        return JSON.stringify(v);
      case 'number':
        if (!Number.isFinite(v)) throw new Error(`stringifyCanonical: non-finite number ${v}`);
        return JSON.stringify(v);
      case 'object': {
        if (Array.isArray(v)) {
          const a = v as readonly JsonValue[];
          let out = '[';
          for (let i = 0; i < a.length; i++) out += (i > 0 ? ',' : '') + write(a[i], depth + 1);
          return `${out}]`;
        }
        const o = v as JsonObject;
        let out = '{';
        for (const k of Object.keys(o).sort()) {
          if (o[k] === undefined) continue;
          out += `${out.length > 1 ? ',' : ''}${JSON.stringify(k)}:${write(o[k], depth + 1)}`;
        }
        return `${out}}`;
      }
      default:
        throw new Error(`stringifyCanonical: ${typeof v} is not JSON`);
    }
  };
  return write(value, 0);
}
