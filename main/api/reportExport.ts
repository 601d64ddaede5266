/**
 * report.export: the self-contained HTML evidence report of an explanation (main/explain/report.ts renders it).
 * The subgraph scored in the report is the pinned nodes and supernode members, or — when there are none — the
 * nodes kept at the explanation's thresholds (subgraph.stats' definitions).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import type { ExplanationContent, TestRunResult } from '../../shared/apiExplain';
import { UserError } from '../errors';
import { statOrNull, writeFileAtomic } from '../files';
import { describeExpectation, describeIntervention, renderReport, REPORT_GENERATOR, type ReportData } from '../explain/report';
import type { ExplainDeps } from './explainCommon';
import type { GraphEntry } from './graphEntry';
import { pruneAt } from './graphQueries';
import { restrictedScores, scoredSet } from './subgraph';

/** Whether an existing file is a report this app wrote (its head carries the generator marker). */
function isOurReport(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(4096);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n).toString('utf8').includes(REPORT_GENERATOR);
  } finally {
    closeSync(fd);
  }
}

export function checkReportTarget(file: string): void {
  if (!/\.html?$/i.test(file)) throw new UserError(`export the report to a .html file (got ${path.basename(file)})`);
  if (!statOrNull(path.dirname(file))?.isDirectory()) throw new UserError(`cannot export: folder ${path.dirname(file)} does not exist`);
  const st = statOrNull(file);
  if (!st) return;
  if (!st.isFile()) throw new UserError(`cannot export: ${file} is not a file`);
  if (!isOurReport(file)) throw new UserError(`refusing to overwrite ${path.basename(file)}: it is not a Circuit Workbench report`);
}

/** The report's data for a held graph and the client's content. */
export function reportData(entry: GraphEntry, deps: ExplainDeps, c: ExplanationContent, figureSvg: string, testResults: Readonly<Record<string, TestRunResult>> = {}, now = new Date()): ReportData {
  const s = entry.summary;
  const tok = deps.session.model.tokenizer;
  const labelOf = (id: string, index?: number) => c.work.nodeLabels[id] ?? (index !== undefined ? s.nodes[index].label : '');
  const indexOf = new Map(entry.nodeIds.map((id, i) => [id, i]));
  const member = (id: string) => ({ id, label: labelOf(id, indexOf.get(id)) });

  const chosen = [...c.work.pinnedNodeIds, ...c.work.supernodes.flatMap((sn) => sn.nodeIds)].map((id) => indexOf.get(id)).filter((n): n is number => n !== undefined);
  let basis = 'pinned nodes and supernode members';
  let nodes = chosen;
  if (nodes.length === 0) {
    const { nodeMask } = pruneAt(entry, c.nodeThreshold, c.edgeThreshold);
    nodes = [];
    for (let n = 0; n < nodeMask.length; n++) if (nodeMask[n]) nodes.push(n);
    basis = 'nodes kept at the thresholds';
  }
  const inS = scoredSet(entry.prepared, nodes);
  let scored = 0;
  for (const x of inS) scored += x;

  const info = deps.session.info();
  return {
    title: `Circuit for “${s.prompt.length > 80 ? `${s.prompt.slice(0, 79)}…` : s.prompt}”`,
    prompt: s.prompt,
    tokens: s.tokens.map((t) => t.text),
    figureSvg,
    supernodes: c.work.supernodes.map((sn) => ({ label: sn.label, members: sn.nodeIds.map(member) })),
    labels: Object.keys(c.work.nodeLabels)
      .sort()
      .map((id) => ({ id, label: c.work.nodeLabels[id] })),
    pinned: c.work.pinnedNodeIds.map(member),
    notes: c.work.notes,
    tests: c.tests.map((t) => {
      const d = describeExpectation(t.expectation, (id) => tok.decode([id]));
      const r = testResults[t.id] ?? t.result ?? null;
      return { name: t.name, intervention: describeIntervention(t.intervention), expectation: d.expectation, measured: d.measured, result: r };
    }),
    scores: { graph: s.scores, subgraph: restrictedScores(entry.prepared, inS), subgraphNodes: scored, subgraphBasis: basis },
    thresholds: { node: c.nodeThreshold, edge: c.edgeThreshold },
    model: s.model ?? { name: 'unknown (not recorded in the graph)', fingerprint: 'unknown' },
    dictionary: s.dictionary ? { ...s.dictionary, kind: entry.full?.dictionary.kind ?? entry.imported?.workbench?.dictionary.kind ?? 'unknown' } : { name: 'unknown (not recorded in the graph)', fingerprint: 'unknown', kind: 'unknown' },
    app: { name: 'Circuit Workbench', version: info.appVersion },
    date: now.toISOString(),
  };
}

export function exportReport(deps: ExplainDeps, p: { path: string; content: ExplanationContent; figureSvg: string; testResults?: Record<string, TestRunResult> }): { path: string; bytes: number } {
  const entry = deps.graphs.get(p.content.graphId);
  const file = deps.ws.resolve(p.path);
  checkReportTarget(file);
  const html = renderReport(reportData(entry, deps, p.content, p.figureSvg, p.testResults));
  writeFileAtomic(file, html);
  return { path: file, bytes: Buffer.byteLength(html) };
}
