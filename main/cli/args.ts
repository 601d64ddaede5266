/** Argument parsing for cwb subcommands: node's parseArgs, with its errors turned into one-line UserErrors. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UserError } from '../errors';

type Options = NonNullable<ParseArgsConfig['options']>;

export function parseCommandArgs<O extends Options>(command: string, argv: string[], options: O, maxPositionals = 0) {
  try {
    const parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: true });
    if (parsed.positionals.length > maxPositionals) throw new UserError(`unexpected argument "${parsed.positionals[maxPositionals]}" (see cwb help)`);
    return parsed;
  } catch (e) {
    if (e instanceof UserError) throw e;
    // node's messages continue with advice about positionals that does not apply here: keep the first sentence.
    const msg = e instanceof Error ? e.message.split(/\.\s|\n/)[0] : String(e);
    throw new UserError(`${msg} (see cwb help for ${command}'s options)`);
  }
}

export function intOption(name: string, raw: string | undefined, dflt: number, min = -Infinity): number {
  if (raw === undefined) return dflt;
  if (!/^-?\d+$/.test(raw.trim())) throw new UserError(`--${name} must be an integer, got "${raw}"`);
  const v = Number(raw);
  if (v < min) throw new UserError(`--${name} must be at least ${min}, got ${v}`);
  return v;
}

export function floatOption(name: string, raw: string | undefined, dflt: number, min = -Infinity, max = Infinity): number {
  if (raw === undefined) return dflt;
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v)) throw new UserError(`--${name} must be a number, got "${raw}"`);
  if (v < min || v > max) throw new UserError(`--${name} must be in [${min}, ${max}], got ${v}`);
  return v;
}

/** `--ids 1,15,27`: raw token ids, for models without a tokenizer and for exact inputs. */
export function idsOption(raw: string, vocabSize: number): number[] {
  const parts = raw.split(',').map((s) => s.trim());
  const ids = parts.map((s) => (/^\d+$/.test(s) ? Number(s) : NaN));
  const bad = ids.findIndex((x) => !(x >= 0 && x < vocabSize));
  if (ids.length === 0 || bad >= 0) {
    throw new UserError(`--ids: "${parts[bad] ?? raw}" is not a token id in [0, ${vocabSize})`);
  }
  return ids;
}

/** A token option's value: `#123` is the token id 123, anything else is token text (resolveToken resolves both). */
export const tokenArg = (s: string): string | number => (/^#\d+$/.test(s) ? Number(s.slice(1)) : s);
