/**
 * `npm run bench -- monitor`: throughput of `cwb monitor`'s streaming path (main/monitor/stream.ts) on the
 * embedded model, and its memory over a 100k-line input.
 *
 * Input: the prompts of data/mom.jsonl (32 tokens each) cycled to BENCH_MONITOR_ITEMS lines (default 100,000),
 * written to a temp file and read back as a stream; results written to a temp file through the backpressured
 * writer, as the CLI does. Two monitor sets: data/mom.monitors.json (feature, weighted feature set, lens,
 * probe: needs the dictionary encode) on the full input, and its lens + probe monitors alone on 10k lines.
 * RSS is sampled (after a forced GC) every 5,000 items: a streaming reader keeps it flat after warm-up.
 */
import { createReadStream, createWriteStream, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModel } from '../main/model/load';
import { loadDictionary } from '../main/dictionary/format';
import { embeddedDictionaryPath } from '../main/paths';
import { loadMonitorsFile, resolveMonitors } from '../main/monitor/file';
import { MonitorScorer } from '../main/monitor/scorer';
import { lineWriter, monitorStream } from '../main/monitor/stream';
import { itemContext } from '../main/probe/data';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const gc = (globalThis as { gc?: () => void }).gc;
const mib = (b: number) => Math.round((b / 2 ** 20) * 10) / 10;

export async function benchMonitor(): Promise<Record<string, unknown>> {
  const N = Number(process.env.BENCH_MONITOR_ITEMS ?? 100_000);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cwb-bench-monitor-'));
  try {
    const prompts = readFileSync(path.join(root, 'data/mom.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { prompt: string }).prompt);
    const inputOf = (items: number) => {
      const file = path.join(dir, `in-${items}.jsonl`);
      const lines: string[] = [];
      for (let i = 0; i < items; i++) lines.push(JSON.stringify({ id: i, prompt: prompts[i % prompts.length] }));
      writeFileSync(file, lines.join('\n') + '\n');
      return file;
    };

    const { spec, tokenizer } = await loadModel();
    const dict = await loadDictionary(embeddedDictionaryPath);
    const monitorsPath = path.join(root, 'data/mom.monitors.json');
    const file = loadMonitorsFile(monitorsPath);
    const ctx = itemContext(spec, tokenizer);

    const run = async (name: string, monitors: typeof file.monitors, items: number) => {
      const resolved = resolveMonitors({ ...file, monitors }, { spec, tokenizer, dict, baseDir: path.dirname(monitorsPath) });
      const scorer = new MonitorScorer(spec, dict, resolved);
      const out = createWriteStream(path.join(dir, `${name}.out.jsonl`));
      const rss: { items: number; rssMiB: number; heapMiB: number }[] = [];
      let next = 5000;
      const src = createReadStream(inputOf(items));
      const t0 = performance.now();
      const summary = await monitorStream(src, lineWriter(out), scorer, resolved.map((m) => m.threshold), ctx, {
        onProgress: (done) => {
          if (done >= next) {
            next += 5000;
            gc?.();
            const m = process.memoryUsage();
            rss.push({ items: done, rssMiB: mib(m.rss), heapMiB: mib(m.heapUsed) });
            process.stderr.write(`\r${name}: ${done} items, ${(done / ((performance.now() - t0) / 1000)).toFixed(0)} items/s, rss ${mib(m.rss)} MiB`);
          }
        },
      });
      await new Promise<void>((r) => out.end(r));
      process.stderr.write('\n');
      const afterWarm = rss.filter((r) => r.items >= 10_000);
      return {
        monitors: monitors.map((m) => `${m.kind}: ${m.name}`),
        items: summary.items,
        seconds: Math.round(summary.seconds * 10) / 10,
        itemsPerSecond: Math.round(summary.items / summary.seconds),
        tokensPerItem: 32,
        rssSamples: rss,
        rssGrowthAfter10kMiB: afterWarm.length >= 2 ? Math.round((Math.max(...afterWarm.map((r) => r.rssMiB)) - afterWarm[0].rssMiB) * 10) / 10 : null,
      };
    };
    const withoutDict = file.monitors.filter((m) => m.kind === 'lens' || m.kind === 'probe');
    return {
      note: 'Throughput on a 2-core machine shared with other jobs: noisy. Each item is one 32-token prompt; batches of 64 items.',
      lensAndProbe: await run('lens+probe', withoutDict, Math.min(N, 10_000)),
      allKinds: await run('all', file.monitors, N),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
