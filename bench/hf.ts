/**
 * Hugging Face scale benchmark: a random model shaped like Llama-3.2-1B (d 2048, 16 layers, 32 heads / 8 kv,
 * head dim 64, MLP 8192, vocab 128,256, tied, llama3 rope scaling), written as a BF16 sharded HF folder in a temp
 * dir, then: folder load time (read + BF16→F32 + sha256) and RSS, a 32-token forward, and a 32-token trace with
 * random ReLU transcoders (D 8,192, ~32 active per token and layer, maxFeatureNodes 2,000). Runs in a child
 * process per model so peak RSS is this case's own. Times are wall-clock on a shared 2-core VM: noisy.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadHfModel } from '../main/model/hf/load';
import { idsOnlyTokenizer } from '../main/model/hf/open';
import { parameterCount } from '../shared/model';
import { runForward } from '../native/forwardRun';
import { attributeGraph } from '../main/attribution/attribute';
import { randomReluPlt } from './randomModels';
import { writeRandomLlamaFolder } from './hfRandomFolder';

const LLAMA_32_1B = { hidden: 2048, layers: 16, heads: 32, kvHeads: 8, headDim: 64, mlp: 8192, vocab: 128256 };
const LLAMA_32_1B_CONFIG = {
  max_position_embeddings: 131072, rms_norm_eps: 1e-5, rope_theta: 500000, tie_word_embeddings: true, bos_token_id: 128000, eos_token_id: 128001,
  rope_scaling: { rope_type: 'llama3', factor: 32, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 },
};

const MiB = (b: number) => Math.round(b / 2 ** 20);
const seconds = (t0: number) => Math.round((performance.now() - t0) / 10) / 100;

async function child(dir: string): Promise<Record<string, unknown>> {
  let peak = 0;
  const sample = () => (peak = Math.max(peak, process.memoryUsage().rss));
  const timer = setInterval(sample, 20);
  let t0 = performance.now();
  const spec = loadHfModel(dir);
  const loadSeconds = seconds(t0);
  sample();
  const afterLoadRss = process.memoryUsage().rss;
  const tokens = [128000, ...Array.from({ length: 31 }, (_, i) => 1000 + ((i * 7919) % 100000))];
  t0 = performance.now();
  await runForward(spec, { tokens: [tokens], outputs: ['logits'] });
  const forwardFirst = seconds(t0);
  t0 = performance.now();
  await runForward(spec, { tokens: [tokens], outputs: ['logits'] });
  const forwardSecond = seconds(t0);
  const dict = randomReluPlt(spec.config.dModel, spec.config.nLayers, 8192, 32);
  t0 = performance.now();
  const g = await attributeGraph(spec, dict, idsOnlyTokenizer(spec), tokens, { maxFeatureNodes: 2000, batchSize: 256 });
  const traceSeconds = seconds(t0);
  clearInterval(timer);
  sample();
  return {
    parameters: parameterCount(spec),
    format: spec.format,
    loadSeconds,
    rssAfterLoadMiB: MiB(afterLoadRss),
    forward32: { firstCallSeconds: forwardFirst, secondCallSeconds: forwardSecond },
    trace32: { seconds: traceSeconds, activeFeatures: g.activeFeatureCount, selectedFeatures: g.features.layer.length, maxFeatureNodes: 2000, dictionaryFeatures: 8192 },
    peakRssMiB: MiB(peak),
  };
}

export async function benchHf(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cwb-bench-hf-'));
  try {
    let t0 = performance.now();
    const bytes = writeRandomLlamaFolder(dir, LLAMA_32_1B, LLAMA_32_1B_CONFIG);
    const writeSeconds = seconds(t0);
    process.stderr.write(`wrote ${MiB(bytes)} MiB of BF16 shards in ${writeSeconds} s\n`);
    t0 = performance.now();
    const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), '--child', dir], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (r.status !== 0) throw new Error(`hf bench child failed: ${r.stderr.slice(-2000)}`);
    const result = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
    return { model: 'random Llama-3.2-1B shape (BF16 shards, 2 files)', shape: LLAMA_32_1B, fileMiB: MiB(bytes), writeSeconds, ...result, note: 'shared 2-core VM with other jobs running: times are noisy' };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') {
  child(process.argv[3]).then(
    (r) => {
      process.stdout.write(JSON.stringify(r) + '\n');
      process.exit(0);
    },
    (e: unknown) => {
      process.stderr.write(String(e instanceof Error ? e.stack : e));
      process.exit(1);
    },
  );
}
