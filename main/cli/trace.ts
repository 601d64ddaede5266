/** `cwb trace` (prompt → pruned attribution graph file) and `cwb paths` (ranked paths in a graph file). */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { graphLayout } from '../../shared/graph';
import { UserError } from '../errors';
import { loadModel } from '../model/load';
import { loadDictionary } from '../dictionary/format';
import { attributeGraph } from '../attribution/attribute';
import { resolveToken, type TargetSpec } from '../attribution/targets';
import { preparePruning, hasEdge } from '../graph/prune';
import { graphScores } from '../graph/scores';
import { topPaths } from '../graph/paths';
import { exportGraphJson, importGraphJson, stringifyGraphJson } from '../graph/neuronpediaJson';
import { readRawGraph, writeRawGraph } from '../graph/rawGraph';
import { coreFromImported } from '../graph/fromJson';
import { embeddedDictionaryPath } from '../paths';
import { writeFileAtomic } from '../files';
import { nodeIdsOf } from '../graph/nodeIds';
import { floatOption, idsOption, intOption, parseCommandArgs, tokenArg } from './args';
import type { Out } from './commands';
import { progressLine } from './progress';

function targetsFrom(v: { target?: string; contrast?: string }): TargetSpec {
  if (v.target !== undefined && v.contrast !== undefined) throw new UserError('give either --target or --contrast, not both');
  if (v.target !== undefined) return { kind: 'tokens', tokens: v.target.split('|').map(tokenArg) };
  if (v.contrast !== undefined) {
    const parts = v.contrast.split(',');
    if (parts.length !== 2) throw new UserError('--contrast takes two tokens separated by a comma, e.g. --contrast " she"," he"');
    return { kind: 'contrast', a: tokenArg(parts[0]), b: tokenArg(parts[1]) };
  }
  return { kind: 'salient' };
}

/** The options every command that traces a graph takes (trace, explain). */
export const traceArgs = {
  model: { type: 'string' },
  tokenizer: { type: 'string' },
  dict: { type: 'string' },
  prompt: { type: 'string' },
  ids: { type: 'string' },
  target: { type: 'string' },
  contrast: { type: 'string' },
  'max-feature-nodes': { type: 'string' },
  'batch-size': { type: 'string' },
  'node-threshold': { type: 'string' },
  'edge-threshold': { type: 'string' },
  out: { type: 'string' },
} as const;

export async function cmdTrace(argv: string[], out: Out): Promise<number> {
  const { values } = parseCommandArgs('trace', argv, {
    ...traceArgs,
    raw: { type: 'string' },
    slug: { type: 'string' },
  });
  if (!values.out) throw new UserError('trace: --out graph.json is required');
  if ((values.prompt === undefined) === (values.ids === undefined)) throw new UserError('trace: give exactly one of --prompt TEXT or --ids 1,15,27');
  const nodeThreshold = floatOption('node-threshold', values['node-threshold'], 0.8, 0, 1);
  const edgeThreshold = floatOption('edge-threshold', values['edge-threshold'], 0.98, 0, 1);
  const maxFeatureNodes = values['max-feature-nodes'] === undefined ? null : intOption('max-feature-nodes', values['max-feature-nodes'], 0, 1);
  const batchSize = intOption('batch-size', values['batch-size'], 256, 1);
  const outFile = path.resolve(values.out);
  if (!existsSync(path.dirname(outFile))) throw new UserError(`--out: directory ${path.dirname(outFile)} does not exist`);
  const { spec, tokenizer } = await loadModel(values);
  const dictDir = path.resolve(values.dict ?? embeddedDictionaryPath);
  const dict = await loadDictionary(dictDir, { expectModel: { fingerprint: spec.fingerprint, name: spec.name, dModel: spec.config.dModel, nLayers: spec.config.nLayers } });
  const tokens = values.ids !== undefined ? idsOption(values.ids, spec.config.vocabSize) : tokenizer.encode(values.prompt ?? '', { bos: true });
  const targets = targetsFrom(values);
  // Resolve target tokens now: a bad target is reported before any work (and before progress output).
  if (targets.kind === 'tokens') targets.tokens.forEach((t) => resolveToken(tokenizer, spec.config.vocabSize, t));
  if (targets.kind === 'contrast') [targets.a, targets.b].forEach((t) => resolveToken(tokenizer, spec.config.vocabSize, t));
  if (tokens.length > spec.config.maxSeqLen) throw new UserError(`the prompt is ${tokens.length} tokens; the model's context is ${spec.config.maxSeqLen}`);
  const t0 = performance.now();
  const report = progressLine(out, 'trace', 'rows', { intervalMs: 300 });
  const graph = await attributeGraph(spec, dict, tokenizer, tokens, {
    targets,
    maxFeatureNodes,
    batchSize,
    prompt: values.prompt,
    onProgress: (p) => report(p.done, p.total, p.phase),
  });
  const tAttr = performance.now();
  const prepared = preparePruning(graph);
  const pruned = prepared.prune(nodeThreshold, edgeThreshold);
  const scores = graphScores(prepared);
  const json = exportGraphJson(
    graph,
    { nodeMask: pruned.nodeMask, edgeKept: (t, s) => hasEdge(pruned.edgeMask, t, s), cumulativeScores: pruned.cumulativeScores },
    { slug: values.slug ?? path.basename(outFile, '.json'), scan: `${dict.name}@${dict.fingerprint.slice(0, 12)}`, nodeThreshold, edgeThreshold, info: { name: 'circuit-workbench', version: '0.1.0' } },
  );
  writeFileAtomic(outFile, stringifyGraphJson(json));
  if (values.raw) await writeRawGraph(path.resolve(values.raw), graph);
  const lay = graphLayout(graph);
  out.stderr(
    `\rtrace: ${tokens.length} tokens, ${graph.activeFeatureCount} active features, ${lay.F} in the graph, ${lay.N} nodes; ` +
      `pruned to ${json.nodes.length} nodes / ${json.links.length} edges; replacement ${scores.replacement.toFixed(3)}, completeness ${scores.completeness.toFixed(3)}; ` +
      `attribution ${((tAttr - t0) / 1000).toFixed(2)} s → ${outFile}\u001b[K\n`,
  );
  return 0;
}

export async function cmdPaths(argv: string[], out: Out): Promise<number> {
  const { values, positionals } = parseCommandArgs('paths', argv, {
    to: { type: 'string' },
    from: { type: 'string' },
    k: { type: 'string' },
    json: { type: 'boolean' },
  }, 1);
  const file = positionals[0];
  if (!file) throw new UserError('paths: give a graph file (graph JSON, or a raw graph .safetensors)');
  if (!existsSync(file) || statSync(file).isDirectory()) throw new UserError(`paths: graph file not found: ${file}`);
  if (!values.to) throw new UserError('paths: --to NODE_ID is required (e.g. the logit node id "6_432_4")');
  const k = intOption('k', values.k, 10, 1);
  let core;
  let ids: readonly string[];
  if (file.endsWith('.json')) {
    const jg = coreFromImported(importGraphJson(readFileSync(file, 'utf8'), file));
    core = jg.core;
    ids = jg.nodeIds;
  } else {
    const g = await readRawGraph(file);
    core = g;
    ids = nodeIdsOf(g);
  }
  const index = new Map(ids.map((id, i) => [id, i]));
  const resolve = (id: string) => {
    const n = index.get(id);
    if (n === undefined) throw new UserError(`paths: no node "${id}" in ${file} (ids look like ${ids.slice(0, 3).join(', ')}, …)`);
    return n;
  };
  const paths = topPaths(core, { to: resolve(values.to), from: values.from ? values.from.split(',').map(resolve) : undefined, k });
  if (values.json) {
    out.stdout(JSON.stringify(paths.map((p) => ({ nodes: p.nodes.map((n) => ids[n]), score: p.score, sign: p.sign, edges: p.edges.map((e) => ({ source: ids[e.source], target: ids[e.target], weight: e.weight, share: e.share })) })), null, 2) + '\n');
  } else {
    paths.forEach((p, i) => out.stdout(`${String(i + 1).padStart(3)}. score ${p.score.toExponential(3)} ${p.sign > 0 ? '+' : '−'}  ${p.nodes.map((n) => ids[n]).join(' → ')}\n`));
    if (paths.length === 0) out.stdout('no path reaches that node\n');
  }
  return 0;
}
