/**
 * Streaming monitors: input JSONL read line by line, scored in small batches, one result line written per item
 * as soon as its batch is done. Nothing grows with the stream: the reader holds at most one batch (readline's
 * async iterator pauses the input while we score), and the writer waits for 'drain' when the output is slow.
 */
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { StreamItem } from '../../shared/labeled';
import type { MonitorResultLine } from '../../shared/monitor';
import { itemTokens, parseStreamLine, type ItemContext } from '../probe/data';
import type { MonitorScorer } from './scorer';

export interface StreamOptions {
  /** Items per batch, at most (default 64). */
  readonly batchItems?: number;
  /** Tokens per batch, at most (default 4096; a longer single item is its own batch). */
  readonly batchTokens?: number;
  /** Write only items with at least one alert. */
  readonly alertsOnly?: boolean;
  /** Name of the input, for error messages. */
  readonly source?: string;
  readonly signal?: AbortSignal;
  /** After each batch: items and alerts so far. */
  readonly onProgress?: (items: number, alerts: number) => void;
  /** Every item's result with the item itself (e.g. to keep the flagged ones' text). */
  readonly onItem?: (result: MonitorResultLine, item: StreamItem) => void;
}

export interface StreamSummary {
  readonly items: number;
  /** Items flagged, per monitor. */
  readonly alerts: Record<string, number>;
  readonly seconds: number;
}

/** Writes with backpressure: resolves once the stream can take more. */
export function lineWriter(out: Writable): (s: string) => Promise<void> {
  return async (s) => {
    if (!out.write(s)) await once(out, 'drain');
  };
}

export async function monitorStream(
  input: Readable,
  write: (s: string) => Promise<void>,
  scorer: MonitorScorer,
  thresholds: readonly number[],
  ctx: ItemContext,
  opts: StreamOptions = {},
): Promise<StreamSummary> {
  const maxItems = opts.batchItems ?? 64;
  const maxTokens = opts.batchTokens ?? 4096;
  const source = opts.source ?? 'input';
  const alerts: Record<string, number> = Object.fromEntries(scorer.names.map((n) => [n, 0]));
  const t0 = performance.now();
  let items = 0;
  let flagged = 0;
  let batch: { line: number; id?: string | number; ids: number[]; item: StreamItem }[] = [];
  let batchTokens = 0;

  const flush = async () => {
    if (!batch.length) return;
    opts.signal?.throwIfAborted();
    const scores = await scorer.score(batch.map((b) => b.ids));
    let text = '';
    batch.forEach((b, i) => {
      const s: Record<string, number> = {};
      const hit: string[] = [];
      scorer.names.forEach((name, k) => {
        s[name] = scores[k][i];
        if (scores[k][i] >= thresholds[k]) {
          hit.push(name);
          alerts[name]++;
        }
      });
      if (hit.length) flagged++;
      const line: MonitorResultLine = { line: b.line, ...(b.id !== undefined ? { id: b.id } : {}), scores: s, alerts: hit };
      if (!opts.alertsOnly || hit.length) text += JSON.stringify(line) + '\n';
      opts.onItem?.(line, b.item);
    });
    items += batch.length;
    batch = [];
    batchTokens = 0;
    if (text) await write(text);
    opts.onProgress?.(items, flagged);
  };

  const rl = createInterface({ input, crlfDelay: Infinity });
  let lineNo = 0;
  try {
    for await (const raw of rl) {
      lineNo++;
      const where = `${source}:${lineNo}`;
      const item = parseStreamLine(lineNo === 1 ? raw.replace(/^\uFEFF/, '') : raw, where);
      if (!item) continue;
      const ids = itemTokens(item, ctx, where);
      if (batch.length && (batch.length >= maxItems || batchTokens + ids.length > maxTokens)) await flush();
      batch.push({ line: lineNo, ...(item.id !== undefined ? { id: item.id } : {}), ids, item });
      batchTokens += ids.length;
    }
    await flush();
  } finally {
    rl.close();
  }
  return { items, alerts, seconds: (performance.now() - t0) / 1000 };
}
