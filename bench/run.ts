/** `npm run bench`: runs every benchmark and writes JSON results under bench/results/. */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchForward } from './forward';
import { benchAttribution } from './attribution';
import { benchPrune } from './prune';
import { benchExplain } from './explain';
import { benchDiff } from './diff';

const benches: Record<string, () => Promise<Record<string, unknown>>> = {
  forward: benchForward,
  attribution: benchAttribution,
  prune: benchPrune,
  explain: benchExplain,
  diff: benchDiff,
  // Needs the built renderer and Debian's Chromium; loaded only when it runs.
  ui: async () => (await import('./ui')).benchUi(),
  monitor: async () => (await import('./monitor')).benchMonitor(),
  // Writes a ~2.5 GB random Llama-3.2-1B-shaped folder to the temp dir; not part of the default run.
  hf: async () => (await import('./hf')).benchHf(),
};

/** Benchmarks that run only when named (`npm run bench -- hf`). */
const OPT_IN = new Set(['hf']);
const only = process.argv.slice(2);
const outDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');
mkdirSync(outDir, { recursive: true });
const env = { node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model, date: new Date().toISOString() };
for (const [name, run] of Object.entries(benches)) {
  if (only.length ? !only.includes(name) : OPT_IN.has(name)) continue;
  process.stderr.write(`bench ${name}…\n`);
  const result = { bench: name, env, ...(await run()) };
  const file = path.join(outDir, `${name}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  console.log(JSON.stringify(result, null, 2));
  process.stderr.write(`wrote ${file}\n`);
}
