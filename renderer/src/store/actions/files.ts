/** Session start and opening models, dictionaries and graphs (native dialog with a bridge, else the workspace browser). */
import type { FileFilter } from '../../../../shared/api';
import type { Ctx } from '../context';
import { dictionaryDir, modelPath } from '../helpers';
import type { FilePurpose } from '../types';
import { reportError, toast } from './feedback';
import { installGraph, runJob } from './graph';
import { analyzeNow } from './prompt';

export const FILE_TITLES: Record<FilePurpose, string> = { model: 'Open model', dictionary: 'Open dictionary', graph: 'Open graph', export: 'Export graph' };

const FILTERS: Record<FilePurpose, readonly FileFilter[]> = {
  model: [{ name: 'llama2.c checkpoint, or a Hugging Face folder\'s config.json', extensions: ['bin', 'json'] }],
  dictionary: [],
  graph: [{ name: 'Attribution graph', extensions: ['json', 'safetensors'] }],
  export: [{ name: 'Graph JSON', extensions: ['json'] }],
};

/** What the workspace browser lists per purpose (folders are always listed). */
const SHOWN: Record<FilePurpose, RegExp> = {
  model: /\.bin$|^config\.json$/i,
  dictionary: /^config\.ya?ml$/i,
  graph: /\.(json|safetensors)$/i,
  export: /\.json$/i,
};

/** A raw graph's metadata sidecar (`x.safetensors.json`): part of the raw graph, not a graph of its own. */
export const isGraphSidecar = (name: string): boolean => /\.safetensors\.json$/i.test(name);

/** Whether the workspace browser lists this entry for a purpose: folders always, files by kind, never sidecars. */
export function listedFor(purpose: FilePurpose, e: { readonly kind: 'file' | 'dir'; readonly name: string }): boolean {
  return e.kind === 'dir' || (SHOWN[purpose].test(e.name) && !isGraphSidecar(e.name));
}

/** A file name for an export: the prompt's first words, so several exports are told apart. */
export function exportFileName(prompt: string): string {
  const stem = prompt.trim().split(/\s+/).slice(0, 5).join('-').replace(/[^A-Za-z0-9_-]+/g, '').toLowerCase();
  return `${stem || 'graph'}.json`;
}

export async function init(ctx: Ctx): Promise<void> {
  try {
    ctx.set({ session: await ctx.client.call('session.info', {}) });
    await analyzeNow(ctx);
  } catch (e) {
    reportError(ctx, e);
  }
}

export async function openFile(ctx: Ctx, purpose: FilePurpose): Promise<void> {
  const graph = ctx.get().graph;
  if (purpose === 'export' && !graph) return toast(ctx, 'info', 'Trace or open a graph first: there is nothing to export yet.');
  if (!ctx.pickFile) return ctx.set({ fileDialog: purpose });
  try {
    const mode = purpose === 'export' ? 'save' : purpose === 'dictionary' ? 'open-dir' : 'open';
    const defaultPath = purpose === 'export' && graph ? exportFileName(graph.prompt) : undefined;
    const path = await ctx.pickFile({ mode, title: FILE_TITLES[purpose], filters: FILTERS[purpose], ...(defaultPath ? { defaultPath } : {}) });
    if (path) await applyFile(ctx, purpose, purpose === 'dictionary' ? dictionaryDir(path) : purpose === 'model' ? modelPath(path) : path);
  } catch (e) {
    reportError(ctx, e);
  }
}

async function exportTo(ctx: Ctx, path: string): Promise<void> {
  const s = ctx.get();
  if (!s.graph) return;
  try {
    const r = await ctx.client.call('graph.export', { graphId: s.graph.graphId, path, nodeThreshold: s.nodeThreshold, edgeThreshold: s.edgeThreshold });
    toast(ctx, 'info', `Exported ${r.nodes.toLocaleString()} nodes and ${r.links.toLocaleString()} links to ${r.path}.`);
  } catch (e) {
    reportError(ctx, e);
  }
}

export async function applyFile(ctx: Ctx, purpose: FilePurpose, path: string): Promise<void> {
  ctx.set({ fileDialog: null });
  if (purpose === 'export') return exportTo(ctx, path);
  if (purpose === 'graph') {
    const graph = await runJob(ctx, 'open-graph', 'Open graph', (signal) => ctx.client.call('graph.open', { path }, { signal }));
    if (graph) {
      installGraph(ctx, graph, null);
      // The prompt box follows the graph so "Trace" re-runs what is shown (the user's text is replaced on purpose).
      if (graph.prompt && graph.prompt !== ctx.get().prompt) {
        ctx.set({ prompt: graph.prompt });
        void analyzeNow(ctx);
      }
    }
    return;
  }
  const session =
    purpose === 'model'
      ? await runJob(ctx, 'open-model', 'Open model', (signal) => ctx.client.call('model.open', { path }, { signal }))
      : await runJob(ctx, 'open-dictionary', 'Open dictionary', (signal) => ctx.client.call('dictionary.open', { path }, { signal }));
  if (!session) return;
  ctx.set({ session });
  if (purpose === 'model') {
    toast(ctx, 'info', `Opened ${session.model.name}.${session.dictionary ? '' : ' No dictionary matches it: open one to trace.'}`);
    void analyzeNow(ctx);
  } else if (session.dictionary) toast(ctx, 'info', `Opened dictionary ${session.dictionary.name}.`);
}
