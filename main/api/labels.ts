/**
 * Feature labels per dictionary (labels.get / labels.set): one JSON file per dictionary fingerprint in
 * `<data root>/.cwb/labels/<fingerprint>.json`, so a feature carries its label into every graph traced with that
 * dictionary. Keys are `layer_feature` (no position). Writes are atomic; a file is validated when read (size,
 * safe JSON, schema, fingerprint matching its name), and a bad one is a 'user' error naming it.
 */
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { featureLabelsSchema, type FeatureLabels } from '../../shared/apiExplain';
import { UserError } from '../errors';
import { writeFileAtomic } from '../files';
import { formatBytes, parseJsonSafely } from '../graph/safeJson';

export const LABELS_FORMAT = 'circuit-workbench-feature-labels';
const MAX_BYTES = 128 * 1024 * 1024;

const fileSchema = z.strictObject({
  format: z.literal(LABELS_FORMAT),
  formatVersion: z.literal(1),
  dictionaryFingerprint: z.string().regex(/^[0-9a-f]{64}$/),
  labels: featureLabelsSchema,
});

export const labelsDir = (dataRoot: string): string => path.join(dataRoot, '.cwb', 'labels');
export const labelsFile = (dataRoot: string, fingerprint: string): string => path.join(labelsDir(dataRoot), `${fingerprint}.json`);

/** Labels sorted by key, empty ones dropped (so the file is stable under re-saving). */
function normalize(labels: FeatureLabels): FeatureLabels {
  const out: Record<string, string> = {};
  for (const k of Object.keys(labels).sort()) if (labels[k].trim() !== '') out[k] = labels[k];
  return out;
}

export function readFeatureLabels(dataRoot: string, fingerprint: string): FeatureLabels {
  const file = labelsFile(dataRoot, fingerprint);
  const what = `feature labels file ${file}`;
  let size: number;
  try {
    size = statSync(file).size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new UserError(`${what} cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  if (size > MAX_BYTES) throw new UserError(`${what} is ${formatBytes(size)}, over the ${formatBytes(MAX_BYTES)} limit`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(readFileSync(file));
  } catch {
    throw new UserError(`${what} is not UTF-8 text; delete or fix it`);
  }
  const r = fileSchema.safeParse(parseJsonSafely(text, what, { maxBytes: MAX_BYTES, maxDepth: 8 }));
  if (!r.success) {
    const i = r.error.issues[0];
    throw new UserError(`${what} is not a valid labels file: ${i.path.join('.') || '(root)'}: ${i.message}; delete or fix it`);
  }
  if (r.data.dictionaryFingerprint !== fingerprint) throw new UserError(`${what} holds the labels of dictionary ${r.data.dictionaryFingerprint.slice(0, 12)}, not ${fingerprint.slice(0, 12)}; delete or rename it`);
  return normalize(r.data.labels);
}

export function writeFeatureLabels(dataRoot: string, fingerprint: string, labels: FeatureLabels): FeatureLabels {
  const clean = normalize(labels);
  mkdirSync(labelsDir(dataRoot), { recursive: true });
  const doc = { format: LABELS_FORMAT, formatVersion: 1 as const, dictionaryFingerprint: fingerprint, labels: clean };
  writeFileAtomic(labelsFile(dataRoot, fingerprint), `${JSON.stringify(doc, null, 1)}\n`);
  return clean;
}
