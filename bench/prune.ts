/**
 * Re-prune benchmark: after one `preparePruning`, how fast does a new (node, edge) threshold pair re-prune —
 * the live-slider path. Measured on attribution graphs of the embedded model (256 tokens, ~5,000 and ~9,000
 * nodes) with the default thresholds and a looser pair.
 */
import path from 'node:path';
import { loadModel } from '../main/model/load';
import { loadDictionary } from '../main/dictionary/format';
import { attributeGraph } from '../main/attribution/attribute';
import { preparePruning } from '../main/graph/prune';
import { assetsDir } from '../main/paths';
import { STORY } from './story';
import { median } from './stats';

export async function benchPrune(): Promise<Record<string, unknown>> {
  const { spec, tokenizer } = await loadModel();
  const dict = await loadDictionary(path.join(assetsDir, 'dictionaries', 'stories260K-plt'));
  const tokens = tokenizer.encode(STORY, { bos: true }).slice(0, 256);
  const rows = [];
  for (const maxF of [4000, 7500]) {
    const graph = await attributeGraph(spec, dict, tokenizer, tokens, { maxFeatureNodes: maxF });
    const N = Math.round(Math.sqrt(graph.adjacency.length));
    let nonzero = 0;
    for (const v of graph.adjacency) if (v !== 0) nonzero++;
    const t0 = performance.now();
    const prepared = preparePruning(graph);
    const prepareMs = performance.now() - t0;
    for (const [nt, et] of [[0.8, 0.98], [0.9, 0.99], [0.6, 0.9]]) {
      const times: number[] = [];
      let kept = 0;
      for (let i = 0; i < 7; i++) {
        const s = performance.now();
        const r = prepared.prune(nt, et);
        times.push(performance.now() - s);
        kept = r.edgeMask.count;
      }
      rows.push({ nodes: N, nonzeroFraction: +(nonzero / (N * N)).toFixed(3), prepareMs: Math.round(prepareMs), nodeThreshold: nt, edgeThreshold: et, repruneMsMedian: +median(times).toFixed(1), keptEdges: kept });
    }
  }
  return { rows };
}
