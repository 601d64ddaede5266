/** Probe files on disk: written atomically, validated on load, checked against the model in use. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { z } from 'zod';
import type { ModelSpec } from '../../shared/model';
import { probeFileSchema, type ProbeFile } from '../../shared/probe';
import { UserError } from '../errors';
import { writeFileAtomic } from '../files';
import { hookWidth } from './collect';

export function saveProbe(file: string, probe: ProbeFile): void {
  writeFileAtomic(file, JSON.stringify(probeFileSchema.parse(probe)) + '\n');
}

/** Reads a small JSON file of one kind ("probe file", "monitors file") and validates it with its schema. */
export function readSchemaFile<T>(file: string, kind: string, schema: z.ZodType<T>, expected: string): T {
  if (!existsSync(file)) throw new UserError(`${kind} not found: ${file}`);
  if (statSync(file).size > 64 * 2 ** 20) throw new UserError(`${file} is too large to be a ${kind}`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new UserError(`${file} is not valid JSON (expected ${expected})`);
  }
  return parseWith(schema, json, `${file} is not a valid ${kind}`);
}

/** Validates parsed JSON; the error names the first issue's path. */
export function parseWith<T>(schema: z.ZodType<T>, json: unknown, invalid: string): T {
  const r = schema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new UserError(`${invalid}: ${i?.path.join('.') || 'file'}: ${i?.message}`);
  }
  return r.data;
}

export function loadProbe(file: string, spec?: ModelSpec): ProbeFile {
  const probe = readSchemaFile(file, 'probe file', probeFileSchema, 'a probe file written by cwb probe train');
  if (spec) {
    if (probe.model.fingerprint !== spec.fingerprint) {
      throw new UserError(`${file} was trained on model ${probe.model.name} (sha256 ${probe.model.fingerprint.slice(0, 12)}…), not ${spec.name} (${spec.fingerprint.slice(0, 12)}…): retrain it with cwb probe train`);
    }
    const w = hookWidth(spec, probe.hook);
    if (w !== probe.weights.length) throw new UserError(`${file}: ${probe.weights.length} weights, but ${probe.hook} has ${w} features per position`);
  }
  return probe;
}
