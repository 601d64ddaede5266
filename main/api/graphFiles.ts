/** graph.open (graph JSON or a raw .safetensors graph) and graph.export (graph JSON of the pruned graph). */
import path from 'node:path';
import type { AttributionGraph } from '../../shared/graph';
import { UserError } from '../errors';
import { statOrNull, writeFileAtomic } from '../files';
import { exportGraphJson, exportImportedGraphJson, importGraphJsonFile, stringifyGraphJson, type GraphJson, type ImportedGraph } from '../graph/neuronpediaJson';
import { hasEdge, type PruneResult } from '../graph/prune';
import { readRawGraph } from '../graph/rawGraph';

export type GraphFile = { readonly kind: 'json'; readonly graph: ImportedGraph } | { readonly kind: 'raw'; readonly graph: AttributionGraph };

export async function readGraphFile(file: string): Promise<GraphFile> {
  const st = statOrNull(file);
  if (!st) throw new UserError(`graph file not found: ${file}`);
  if (!st.isFile()) throw new UserError(`${file} is not a file`);
  const lower = file.toLowerCase();
  if (lower.endsWith('.json')) return { kind: 'json', graph: await importGraphJsonFile(file) };
  if (lower.endsWith('.safetensors')) return { kind: 'raw', graph: await readRawGraph(file) };
  throw new UserError(`${path.basename(file)} is not a graph file: open a circuit-tracer / Neuronpedia graph .json or a raw graph .safetensors`);
}

export const GENERATOR = { name: 'circuit-workbench', version: '0.1.0' } as const;

/** The pruned graph as graph JSON: a full graph is exported as `cwb trace` does; a graph read from JSON keeps
 * everything it had, restricted to the kept nodes and links. */
export function prunedGraphJson(
  src: { full: AttributionGraph | null; imported: ImportedGraph | null },
  pruned: PruneResult,
  o: { slug: string; nodeThreshold: number; edgeThreshold: number },
): GraphJson {
  const { nodeMask, edgeMask, cumulativeScores } = pruned;
  if (src.full) {
    const g = src.full;
    return exportGraphJson(
      g,
      { nodeMask, edgeKept: (t, s) => hasEdge(edgeMask, t, s), cumulativeScores },
      { slug: o.slug, scan: `${g.dictionary.name}@${g.dictionary.fingerprint.slice(0, 12)}`, nodeThreshold: o.nodeThreshold, edgeThreshold: o.edgeThreshold, info: GENERATOR },
    );
  }
  const imp = src.imported!;
  const index = new Map(imp.nodes.map((n, i) => [n.nodeId, i]));
  const keep = (i: number) => nodeMask[i] === 1 || imp.nodes[i].kind === 'token' || imp.nodes[i].kind === 'logit';
  const links = imp.links.filter((l) => hasEdge(edgeMask, index.get(l.target)!, index.get(l.source)!));
  return exportImportedGraphJson({ ...imp, nodes: imp.nodes.filter((_, i) => keep(i)), links });
}

/** Checks the export target: a .json file in an existing directory. */
export function checkExportPath(file: string): void {
  if (!file.toLowerCase().endsWith('.json')) throw new UserError(`export to a .json file (got ${path.basename(file)})`);
  const dir = statOrNull(path.dirname(file));
  if (!dir?.isDirectory()) throw new UserError(`cannot export: directory ${path.dirname(file)} does not exist`);
  if (statOrNull(file)?.isDirectory()) throw new UserError(`cannot export: ${file} is a directory`);
}

export function writeGraphJson(file: string, json: GraphJson): { path: string; nodes: number; links: number } {
  writeFileAtomic(file, stringifyGraphJson(json));
  return { path: file, nodes: json.nodes.length, links: json.links.length };
}
