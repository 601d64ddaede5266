/**
 * Hugging Face scale benchmark: random models shaped like Llama-3.2-1B (d 2048, 16 layers, 32 heads / 8 kv,
 * head dim 64, MLP 8192, vocab 128,256, tied, llama3 rope scaling) and Gemma-2-2B (d 2304, 26 layers, 8 / 4
 * heads of 256, MLP 9216, vocab 256,000, sandwich norms, soft-caps, sliding window), each written as a BF16
 * sharded HF folder in a temp dir, then: folder load time (read + BF16→F32 + sha256) and RSS, a 32-token forward,
 * and a 32-token trace with random ReLU transcoders (D 8,192 / 4,096, ~32 active per token and layer,
 * maxFeatureNodes 2,000). Runs in a child
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
import { writeRandomLlamaFolder, type LlamaShape } from './hfRandomFolder';

const LLAMA_32_1B = { hidden: 2048, layers: 16, heads: 32, kvHeads: 8, headDim: 64, mlp: 8192, vocab: 128256 };
const LLAMA_32_1B_CONFIG = {
  max_position_embeddings: 131072, rms_norm_eps: 1e-5, rope_theta: 500000, tie_word_embeddings: true, bos_token_id: 128000, eos_token_id: 128001,
  rope_scaling: { rope_type: 'llama3', factor: 32, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 },
};

const GEMMA_2_2B = { hidden: 2304, layers: 26, heads: 8, kvHeads: 4, headDim: 256, mlp: 9216, vocab: 256000, family: 'gemma2' as const };
const GEMMA_2_2B_CONFIG = {
  max_position_embeddings: 8192, rms_norm_eps: 1e-6, rope_theta: 10000, bos_token_id: 2, eos_token_id: 1, hidden_activation: 'gelu_pytorch_tanh',
  query_pre_attn_scalar: 256, attn_logit_softcapping: 50, final_logit_softcapping: 30, sliding_window: 4096,
};

const MiB = (b: number) => Math.round(b / 2 ** 20);
const seconds = (t0: number) => Math.round((performance.now() - t0) / 10) / 100;

async function child(dir: string, dictWidth: number): Promise<Record<string, unknown>> {
  let peak = 0;
  const sample = () => (peak = Math.max(peak, process.memoryUsage().rss));
  const timer = setInterval(sample, 20);
  let t0 = performance.now();
  const spec = loadHfModel(dir);
  const loadSeconds = seconds(t0);
  sample();
  const afterLoadRss = process.memoryUsage().rss;
  const tokens = [spec.config.bosId, ...Array.from({ length: 31 }, (_, i) => 1000 + ((i * 7919) % 100000))];
  t0 = performance.now();
  await runForward(spec, { tokens: [tokens], outputs: ['logits'] });
  const forwardFirst = seconds(t0);
  t0 = performance.now();
  await runForward(spec, { tokens: [tokens], outputs: ['logits'] });
  const forwardSecond = seconds(t0);
  const dict = randomReluPlt(spec.config.dModel, spec.config.nLayers, dictWidth, 32);
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
    trace32: { seconds: traceSeconds, activeFeatures: g.activeFeatureCount, selectedFeatures: g.features.layer.length, maxFeatureNodes: 2000, dictionaryFeatures: dictWidth },
    peakRssMiB: MiB(peak),
  };
}

/** One model: write the folder, measure in a child process, delete the folder. */
function runCase(label: string, shape: LlamaShape, config: Record<string, unknown>, dictWidth: number): Record<string, unknown> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cwb-bench-hf-'));
  try {
    const t0 = performance.now();
    const bytes = writeRandomLlamaFolder(dir, shape, config);
    const writeSeconds = seconds(t0);
    process.stderr.write(`${label}: wrote ${MiB(bytes)} MiB of BF16 shards in ${writeSeconds} s\n`);
    const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), '--child', dir, String(dictWidth)], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (r.status !== 0) throw new Error(`hf bench child failed: ${r.stderr.slice(-2000)}`);
    const result = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
    process.stderr.write(`${label}: ${JSON.stringify(result)}\n`);
    return { model: `${label} (random weights, BF16 shards, 2 files)`, shape, fileMiB: MiB(bytes), writeSeconds, ...result };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchHf(): Promise<Record<string, unknown>> {
  return {
    llama32_1b: runCase('Llama-3.2-1B shape', LLAMA_32_1B, LLAMA_32_1B_CONFIG, 8192),
    // Smaller transcoders than GemmaScope's 16k so that weights + dictionary fit beside other jobs on a 23 GB VM.
    gemma2_2b: runCase('Gemma-2-2B shape', GEMMA_2_2B, GEMMA_2_2B_CONFIG, 4096),
    note: 'shared 2-core VM with other jobs running: times are noisy',
  };
}

if (process.argv[2] === '--child') {
  child(process.argv[3], Number(process.argv[4])).then(
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
