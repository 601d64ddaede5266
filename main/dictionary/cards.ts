/**
 * Feature cards for the API: `featureCard(dictDir, tokenizer, layer, feature)` over a small LRU of open
 * feature indexes, so that browsing a dictionary costs one record read per card, not an open per card.
 * Each lookup stats the manifest (microseconds) and reopens an index that was rebuilt in the meantime.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import type { FeatureCard } from '../../shared/featureCard';
import { UserError } from '../errors';
import type { Tokenizer } from '../tokenizer/types';
import { INDEX_DIR, MANIFEST_FILE, openFeatureIndex, type FeatureIndexHandle } from './featureIndexStore';

/** Open indexes kept; each holds L + 2 file descriptors and its offset tables (8 bytes per feature). */
const CAPACITY = 8;

interface Entry {
  readonly handle: FeatureIndexHandle;
  readonly tokenizer: Tokenizer;
  readonly stamp: string;
}

const open = new Map<string, Entry>(); // insertion order = recency

function manifestStamp(root: string): string | undefined {
  try {
    const s = statSync(path.join(root, INDEX_DIR, MANIFEST_FILE));
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch {
    return undefined;
  }
}

function evict(key: string): void {
  open.get(key)?.handle.close();
  open.delete(key);
}

/** The index handle for a dictionary directory, opened or reused. */
export function featureIndexFor(dictDir: string, tokenizer: Tokenizer): FeatureIndexHandle {
  const root = path.resolve(dictDir);
  const stamp = manifestStamp(root);
  const hit = open.get(root);
  if (hit && hit.stamp === stamp && hit.tokenizer === tokenizer) {
    open.delete(root);
    open.set(root, hit);
    return hit.handle;
  }
  if (hit) evict(root);
  if (stamp === undefined) throw new UserError(`dictionary ${root} has no feature index; run cwb dict index --dict ${root}`);
  const handle = openFeatureIndex(root, tokenizer);
  open.set(root, { handle, tokenizer, stamp });
  while (open.size > CAPACITY) evict(open.keys().next().value!);
  return handle;
}

export function featureCard(dictDir: string, tokenizer: Tokenizer, layer: number, feature: number): FeatureCard {
  return featureIndexFor(dictDir, tokenizer).card(layer, feature);
}

/** Closes every cached index (tests, shutdown, or before deleting a dictionary directory). */
export function closeFeatureIndexes(): void {
  for (const key of [...open.keys()]) evict(key);
}
