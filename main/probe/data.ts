/** Reading labeled and stream JSONL items (shared/labeled.ts) into token sequences, with line-numbered errors. */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { ModelSpec } from '../../shared/model';
import { labeledItemSchema, labelOf, streamItemSchema, type StreamItem } from '../../shared/labeled';
import { UserError } from '../errors';
import type { Tokenizer } from '../tokenizer/types';

export interface ItemContext {
  readonly tokenizer: Tokenizer;
  readonly vocabSize: number;
  readonly maxSeqLen: number;
}

export const itemContext = (spec: ModelSpec, tokenizer: Tokenizer): ItemContext => ({ tokenizer, vocabSize: spec.config.vocabSize, maxSeqLen: spec.config.maxSeqLen });

/** The item's token ids: `ids` as given, or prompt + completion encoded with BOS. */
export function itemTokens(item: StreamItem, ctx: ItemContext, where: string): number[] {
  let ids: number[];
  if (item.ids) {
    const bad = item.ids.find((id) => id >= ctx.vocabSize);
    if (bad !== undefined) throw new UserError(`${where}: token id ${bad} is outside the vocabulary [0, ${ctx.vocabSize})`);
    ids = item.ids;
  } else {
    ids = ctx.tokenizer.encode((item.prompt ?? '') + (item.completion ?? ''), { bos: true });
  }
  if (ids.length > ctx.maxSeqLen) throw new UserError(`${where}: the item is ${ids.length} tokens long but the model's context is ${ctx.maxSeqLen} tokens: shorten it`);
  return ids;
}

function parseLine(line: string, where: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    throw new UserError(`${where}: not valid JSON (each line must be one JSON object)`);
  }
}

/** One stream line → item (null for a blank line). */
export function parseStreamLine(line: string, where: string): StreamItem | null {
  if (line.trim() === '') return null;
  const r = streamItemSchema.safeParse(parseLine(line, where));
  if (!r.success) throw new UserError(`${where}: ${r.error.issues[0]?.path.join('.') || 'item'}: ${r.error.issues[0]?.message}`);
  return r.data;
}

export interface LabeledData {
  readonly file: string;
  readonly sha256: string;
  readonly seqs: number[][];
  readonly labels: Uint8Array;
  readonly ids: (string | number | undefined)[];
}

const MAX_BYTES = 512 * 2 ** 20;

export function readLabeled(file: string, ctx: ItemContext): LabeledData {
  if (!existsSync(file)) throw new UserError(`data file not found: ${file}`);
  const st = statSync(file);
  if (st.isDirectory()) throw new UserError(`${file} is a directory: pass a labeled .jsonl file`);
  if (st.size > MAX_BYTES) throw new UserError(`${file} is ${(st.size / 2 ** 20).toFixed(0)} MiB: labeled data above ${MAX_BYTES / 2 ** 20} MiB is not supported`);
  const buf = readFileSync(file);
  const lines = buf.toString('utf8').replace(/^\uFEFF/, '').split(/\r?\n/);
  const seqs: number[][] = [];
  const labels: number[] = [];
  const ids: (string | number | undefined)[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const where = `${file}:${i + 1}`;
    const r = labeledItemSchema.safeParse(parseLine(line, where));
    if (!r.success) throw new UserError(`${where}: ${r.error.issues[0]?.path.join('.') || 'item'}: ${r.error.issues[0]?.message} (expected {"prompt": "...", "label": 0 or 1})`);
    seqs.push(itemTokens(r.data, ctx, where));
    labels.push(labelOf(r.data));
    ids.push(r.data.id);
  });
  if (seqs.length < 10) throw new UserError(`${file} has ${seqs.length} labeled items: at least 10 are needed (train, validation and test splits)`);
  const pos = labels.filter((l) => l === 1).length;
  if (pos < 3 || seqs.length - pos < 3) throw new UserError(`${file} has ${pos} positive and ${seqs.length - pos} negative items: each class needs at least 3`);
  return { file, sha256: createHash('sha256').update(buf).digest('hex'), seqs, labels: Uint8Array.from(labels), ids };
}
