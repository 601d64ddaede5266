/**
 * Child-process entry of the UI benchmark: the scale case of bench/attribution.ts (random Llama shaped like a
 * 124M model with random 24,576-feature ReLU per-layer transcoders, the same 32-token prompt) attributed with
 * maxFeatureNodes chosen so the graph has ≈ `nodes` nodes (N = F + L·T + T + K), written as a raw graph.
 * Usage: node --import tsx bench/uiScaleGraph.ts OUT.safetensors [nodes=3000]
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { attributeGraph } from '../main/attribution/attribute';
import { writeRawGraph } from '../main/graph/rawGraph';
import type { Tokenizer } from '../main/tokenizer/types';
import { graphLayout } from '../shared/graph';
import { randomLlamaModel, randomReluPlt } from './randomModels';

const [out, nodesArg] = process.argv.slice(2);
if (!out) throw new Error('usage: uiScaleGraph.ts OUT.safetensors [nodes]');
const wantNodes = Number(nodesArg ?? 3000);

const t0 = performance.now();
// Exactly the scale case of bench/attribution.ts.
const spec = randomLlamaModel({ dModel: 768, nLayers: 12, nHeads: 12, nKvHeads: 12, headDim: 64, dMlp: 3072, vocabSize: 50_000, maxSeqLen: 1024, rope: { kind: 'half', theta: 10000 }, tiedEmbeddings: true });
const dict = randomReluPlt(768, 12, 24_576, 50);
const tok: Tokenizer = { vocabSize: 50_000, bosId: 1, eosId: 2, encode: () => [], decode: (ids) => ids.join(' '), printablePiece: () => new Uint8Array() };
const tokens = [1, ...Array.from({ length: 31 }, (_, i) => 100 + ((i * 7919) % 49_000))];
const generateSeconds = (performance.now() - t0) / 1000;

const L = spec.config.nLayers;
const T = tokens.length;
// K (logit targets) is at most maxLogits = 10; the scale case has K = 1. Re-run once with the exact K if off.
let maxFeatureNodes = wantNodes - (L * T + T + 1);
const t1 = performance.now();
let g = await attributeGraph(spec, dict, tok, tokens, { maxFeatureNodes });
const K = g.targets.length;
if (K !== 1) {
  maxFeatureNodes = wantNodes - (L * T + T + K);
  g = await attributeGraph(spec, dict, tok, tokens, { maxFeatureNodes });
}
const attributionSeconds = (performance.now() - t1) / 1000;
mkdirSync(path.dirname(out), { recursive: true });
await writeRawGraph(out, g);
const lay = graphLayout(g);
process.stdout.write(
  JSON.stringify({ file: out, nodes: lay.N, features: lay.F, logits: lay.K, tokens: T, layers: L, activeFeatures: g.activeFeatureCount, maxFeatureNodes, generateSeconds: +generateSeconds.toFixed(1), attributionSeconds: +attributionSeconds.toFixed(1) }) + '\n',
);
