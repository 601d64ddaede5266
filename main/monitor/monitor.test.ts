/**
 * Monitors on the embedded model and dictionary: a feature monitor flags the top-activating contexts that the
 * feature index (built by its own pipeline) lists for that feature, with the index's activation; the stream
 * reader is incremental (results for the first batch arrive while the input is still open) and memory stays
 * flat over a 100k-line input (bounded read-ahead, no heap growth); bad monitors files are refused with one line.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Dictionary } from '../../shared/dictionary';
import type { ModelSpec } from '../../shared/model';
import { MONITORS_FORMAT, MONITORS_VERSION, type MonitorResultLine } from '../../shared/monitor';
import { loadModel } from '../model/load';
import { loadDictionary } from '../dictionary/format';
import { openFeatureIndex } from '../dictionary/featureIndexStore';
import { embeddedDictionaryPath } from '../paths';
import type { Tokenizer } from '../tokenizer/types';
import { UserError } from '../errors';
import { parseMonitorsFile, resolveMonitors } from './file';
import { MonitorScorer } from './scorer';
import { monitorStream } from './stream';

let spec: ModelSpec;
let tok: Tokenizer;
let dict: Dictionary;
beforeAll(async () => {
  ({ spec, tokenizer: tok } = await loadModel());
  dict = await loadDictionary(embeddedDictionaryPath);
});

/** The indexed corpus' sequences, read from its documented layout ("CWBFIC01", u32 n, u32 bytes, offsets, ids). */
function indexedSequences(): number[][] {
  const dir = path.join(embeddedDictionaryPath, 'index');
  const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { corpus: { file: string } };
  const buf = readFileSync(path.join(dir, manifest.corpus.file));
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = v.getUint32(8, true);
  const tb = v.getUint32(12, true);
  const off = Array.from({ length: n + 1 }, (_, i) => v.getUint32(16 + 4 * i, true));
  const start = 16 + 4 * (n + 1);
  return Array.from({ length: n }, (_, s) => Array.from({ length: off[s + 1] - off[s] }, (_, i) => (tb === 2 ? v.getUint16(start + 2 * (off[s] + i), true) : v.getUint32(start + 4 * (off[s] + i), true))));
}

describe('feature monitors', () => {
  it('flag their feature’s own top-activating contexts from the feature index, at the indexed activation', async () => {
    const index = openFeatureIndex(embeddedDictionaryPath, tok);
    const seqs = indexedSequences();
    try {
      for (const [layer, feature] of [[0, 5], [2, 100], [4, 317]]) {
        const card = index.card(layer, feature);
        expect(card.topContexts.length).toBeGreaterThan(0);
        const weakest = card.topContexts[card.topContexts.length - 1].activation;
        const file = parseMonitorsFile(
          {
            format: MONITORS_FORMAT,
            version: MONITORS_VERSION,
            monitors: [
              { kind: 'feature', name: 'last', layer, feature, pool: 'last', threshold: 0.9 * weakest },
              { kind: 'feature', name: 'max', layer, feature, pool: 'max', threshold: 0.9 * weakest },
            ],
          },
          'test',
        );
        const scorer = new MonitorScorer(spec, dict, resolveMonitors(file, { spec, tokenizer: tok, dict, baseDir: '.' }));
        // Each context as an item: its sequence up to and including the activating token (a prefix: causal).
        const items = card.topContexts.map((c) => seqs[c.sequence].slice(0, c.position + 1));
        const [last, max] = await scorer.score(items);
        card.topContexts.forEach((c, i) => {
          expect(Math.abs(last[i] - c.activation)).toBeLessThan(1e-3 * Math.max(1, c.activation));
          expect(last[i]).toBeGreaterThanOrEqual(0.9 * weakest);
          expect(max[i]).toBeGreaterThanOrEqual(last[i] - 1e-6);
        });
        // Not a monitor that flags everything: the same items cut one token earlier mostly stay quiet at 'last'.
        const before = await scorer.score(items.filter((s) => s.length > 2).map((s) => s.slice(0, -1)));
        expect(before[0].filter((x) => x >= 0.9 * weakest).length).toBeLessThan(items.length);
      }
    } finally {
      index.close();
    }
  });
});

describe('streaming', () => {
  it('answers the first batch before the input ends (the reader is incremental)', async () => {
    const file = parseMonitorsFile({ format: MONITORS_FORMAT, version: MONITORS_VERSION, monitors: [{ kind: 'lens', name: 'H', layer: 5, measure: 'entropy', threshold: 1 }] }, 'test');
    const resolved = resolveMonitors(file, { spec, tokenizer: tok, dict: null, baseDir: '.' });
    const scorer = new MonitorScorer(spec, null, resolved);
    const input = new PassThrough();
    const lines: MonitorResultLine[] = [];
    let firstResult: () => void = () => undefined;
    const gotFirst = new Promise<void>((r) => (firstResult = r));
    const run = monitorStream(
      input,
      async (s) => {
        for (const l of s.trim().split('\n')) lines.push(JSON.parse(l) as MonitorResultLine);
        firstResult();
      },
      scorer,
      [1],
      { tokenizer: tok, vocabSize: spec.config.vocabSize, maxSeqLen: spec.config.maxSeqLen },
      { batchItems: 4 },
    );
    for (let i = 0; i < 5; i++) input.write(JSON.stringify({ id: i, prompt: `Once upon a time ${i}` }) + '\n');
    await gotFirst; // the input is still open here: only an incremental reader gets this far
    expect(lines.map((l) => l.id)).toEqual([0, 1, 2, 3]);
    input.end(JSON.stringify({ id: 9, prompt: 'The end' }) + '\n');
    const summary = await run;
    expect(summary.items).toBe(6);
    expect(lines.map((l) => l.line)).toEqual([1, 2, 3, 4, 5, 6]);
    for (const l of lines) expect(l.alerts.includes('H')).toBe(l.scores.H >= 1);
  });

  it('keeps memory flat over a 100k-line input (results are written, never kept)', async () => {
    const file = parseMonitorsFile({ format: MONITORS_FORMAT, version: MONITORS_VERSION, monitors: [{ kind: 'lens', name: 'H', layer: 5, measure: 'entropy', threshold: 1 }] }, 'test');
    const scorer = new MonitorScorer(spec, null, resolveMonitors(file, { spec, tokenizer: tok, dict: null, baseDir: '.' }));
    const N = 100_000;
    // Short distinct prompts, generated lazily: the input itself is never in memory either.
    let produced = 0;
    const input = Readable.from((function* () {
      for (let i = 0; i < N; i++) {
        produced++;
        yield JSON.stringify({ id: i, prompt: `Tom ${i % 97}` }) + '\n';
      }
    })());
    const heap: { items: number; mib: number }[] = [];
    let readAhead = 0;
    let written = 0;
    const summary = await monitorStream(input, async (s) => void (written += s.length), scorer, [1], { tokenizer: tok, vocabSize: spec.config.vocabSize, maxSeqLen: spec.config.maxSeqLen }, {
      batchItems: 512,
      onProgress: (items) => {
        heap.push({ items, mib: process.memoryUsage().heapUsed / 2 ** 20 });
        readAhead = Math.max(readAhead, produced - items);
      },
    });
    expect(summary.items).toBe(N);
    expect(written).toBeGreaterThan(N * 20); // every result went out
    // Heap after the first 10k items vs the rest: a stream that kept its items or results would grow by their
    // size (100k results of ~100 bytes of JSON, plus the parsed items, ≳ 30 MiB); GC jitter stays well below.
    const settled = heap.filter((h) => h.items >= 10_000).map((h) => h.mib);
    const early = Math.max(...settled.slice(0, 5));
    const late = Math.max(...settled.slice(-20));
    console.log(`monitor stream 100k lines: ${summary.seconds.toFixed(1)} s, heap ${early.toFixed(1)} → ${late.toFixed(1)} MiB, read ahead ≤ ${readAhead} lines`);
    expect(late - early).toBeLessThan(16);
    // The input is pulled as batches need it: readline's iterator pauses the input, so the reader is never
    // more than its buffer (~700 lines measured) ahead of the scorer — not the whole 100k-line input.
    expect(readAhead).toBeLessThan(4096);
  }, 300_000);

  it('reports a bad line with its line number', async () => {
    const file = parseMonitorsFile({ format: MONITORS_FORMAT, version: MONITORS_VERSION, monitors: [{ kind: 'lens', name: 'H', layer: 5, measure: 'entropy', threshold: 1 }] }, 'test');
    const scorer = new MonitorScorer(spec, null, resolveMonitors(file, { spec, tokenizer: tok, dict: null, baseDir: '.' }));
    const input = new PassThrough();
    input.end('{"prompt": "a"}\n\n{"prompt": 5}\n');
    await expect(monitorStream(input, async () => undefined, scorer, [1], { tokenizer: tok, vocabSize: 512, maxSeqLen: 512 }, { source: 'in.jsonl' })).rejects.toThrow(/in\.jsonl:3: prompt/);
  });
});

describe('monitors files', () => {
  it('any JSON is a monitors file or a UserError', () => {
    fc.assert(
      fc.property(fc.oneof(fc.json().map((s) => JSON.parse(s) as unknown), fc.record({ format: fc.constant(MONITORS_FORMAT), version: fc.constant(1), monitors: fc.array(fc.anything(), { maxLength: 3 }) })), (j) => {
        try {
          parseMonitorsFile(j, 'x');
        } catch (e) {
          expect(e).toBeInstanceOf(UserError);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a feature out of range and a lens probability without a token', () => {
    const f = (monitors: unknown[]) => parseMonitorsFile({ format: MONITORS_FORMAT, version: MONITORS_VERSION, monitors }, 'x');
    expect(() => resolveMonitors(f([{ kind: 'feature', name: 'a', layer: 0, feature: 99999, threshold: 1 }]), { spec, tokenizer: tok, dict, baseDir: '.' })).toThrow(/out of range/);
    expect(() => resolveMonitors(f([{ kind: 'lens', name: 'a', layer: 2, threshold: 1 }]), { spec, tokenizer: tok, dict, baseDir: '.' })).toThrow(/needs "token"/);
    expect(() => resolveMonitors(f([{ kind: 'feature', name: 'a', layer: 0, feature: 1, threshold: 1 }]), { spec, tokenizer: tok, dict: null, baseDir: '.' })).toThrow(/need a dictionary/);
  });
});
