/**
 * Exports of what is shown: the current figure (the graph canvas, or the labelled subgraph figure) as SVG or PNG,
 * and the HTML evidence report (engine `report.export`, with the subgraph figure embedded). The SVG is built from
 * the layout (present/sceneSvg.ts, present/figure.ts); the PNG is that SVG rasterized at 2× in the page (no
 * canvas read-back of cytoscape). Files are written by the engine (workspace-contained, atomic): desktop mode
 * asks where with the native dialog, browser mode with the export dialog (a name in the workspace).
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { ApiClient, HostBridge } from '../../../shared/api';
import { errorMessage, isCancelled } from '../store/helpers';
import type { WorkbenchStore } from '../store/store';
import { explanationContent, fileSlug, inDir } from '../store/work/build';
import { activeViewOf } from '../store/work/viewActions';
import type { WorkStore } from '../store/work/workStore';
import { subgraphFigure } from './figure';
import { graphHandle } from './graphHandle';
import { sceneSvg } from './sceneSvg';

export type ExportFormat = 'svg' | 'png' | 'html';

export interface ExportState {
  /** The browser-mode export dialog, when open. */
  readonly dialog: ExportFormat | null;
  readonly busy: boolean;
  /** The last file written (shown in the dialog / toasts; e2e reads it). */
  readonly lastPath: string | null;
  readonly actions: ExportActions;
}

export interface ExportActions {
  /** Asks where (native dialog, else the export dialog) and writes. */
  export(format: ExportFormat): Promise<void>;
  exportTo(format: ExportFormat, path: string): Promise<boolean>;
  closeDialog(): void;
  /** The SVG of what is shown now ('figure': the subgraph figure even when the canvas shows the graph). */
  currentSvg(what?: 'shown' | 'figure'): Promise<string | null>;
}

export type Exporter = StoreApi<ExportState>;

const FILTERS: Record<ExportFormat, { name: string; extensions: string[] }> = {
  svg: { name: 'SVG image', extensions: ['svg'] },
  png: { name: 'PNG image', extensions: ['png'] },
  html: { name: 'HTML report', extensions: ['html'] },
};

/** A file name for an export: the explanation's name (or the prompt's first words) + what it is. */
export function exportName(savedPath: string | null, prompt: string, format: ExportFormat, viewName: string | null): string {
  const base = savedPath ? savedPath.slice(Math.max(savedPath.lastIndexOf('/'), savedPath.lastIndexOf('\\')) + 1).replace(/\.circuit\.json$/i, '').replace(/\.json$/i, '') : '';
  const stem = base || fileSlug(prompt) || 'circuit';
  if (format === 'html') return `${stem}-report.html`;
  const view = viewName ? fileSlug(viewName) : '';
  return `${stem}${view ? `-${view}` : ''}.${format}`;
}

/** `name` with the format's extension (added when missing), in `dir` unless a path was typed. */
export function exportPath(typed: string, dir: string | null, format: ExportFormat): string | null {
  let t = typed.trim();
  if (!t) return null;
  if (!t.toLowerCase().endsWith(`.${format}`)) t = `${t}.${format}`;
  return inDir(t, dir);
}

/** Rasterizes SVG text to PNG (base64) at `scale`× in the page: an <img> of the SVG drawn on a canvas. */
export async function svgToPngBase64(svg: string, scale = 2): Promise<string> {
  const url = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
  try {
    const img = new Image();
    img.decoding = 'sync';
    await new Promise<void>((resolve, reject) => {
      img.onload = () => resolve();
      img.onerror = () => reject(new Error('the figure could not be rasterized'));
      img.src = url;
    });
    const w = Math.max(1, Math.round(img.naturalWidth * scale));
    const h = Math.max(1, Math.round(img.naturalHeight * scale));
    // Chromium caps canvases at 16,384 px a side and ~268 M pixels.
    const k = Math.min(1, 16_000 / w, 16_000 / h, Math.sqrt(200e6 / (w * h)));
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(w * k);
    canvas.height = Math.round(h * k);
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('no 2D canvas to rasterize the figure');
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
    const dataUrl = canvas.toDataURL('image/png');
    return dataUrl.slice(dataUrl.indexOf(',') + 1);
  } finally {
    URL.revokeObjectURL(url);
  }
}

export interface ExporterDeps {
  readonly main: WorkbenchStore;
  readonly work: WorkStore;
  readonly client: ApiClient;
  readonly pickFile?: HostBridge['pickFile'] | null;
}

export function createExporter(deps: ExporterDeps): Exporter {
  const { main, work, client } = deps;
  const pickFile = deps.pickFile ?? null;
  return createStore<ExportState>()((set) => {
    const notify = (kind: 'error' | 'info', m: string) => main.getState().actions.notify(kind, m);
    const activeView = () => activeViewOf(work.getState());
    const title = () => {
      const g = main.getState().graph;
      const v = activeView();
      const prompt = g ? `“${g.prompt.length > 70 ? `${g.prompt.slice(0, 69)}…` : g.prompt}”` : '';
      return v ? `${v.name} — ${prompt}` : prompt;
    };
    /** The subgraph figure: the applied view's supernode choice, or (for the report) the whole subgraph. */
    const figureSvg = async (whole = false): Promise<string | null> => {
      const g = main.getState().graph;
      const w = work.getState();
      if (!g) return null;
      const stats = await w.actions.figureStats(whole ? undefined : activeView()?.supernodeIds);
      if (!stats) return null;
      return subgraphFigure({ graph: g, stats, nodeLabels: w.history.present.work.nodeLabels, featureLabels: w.featureLabels, ...(whole ? {} : { title: title() }) }).svg;
    };
    const graphSvg = (): string | null => {
      const scene = graphHandle()?.scene();
      const w = work.getState();
      if (!scene) return null;
      const { nodeLabels, supernodes } = w.history.present.work;
      return sceneSvg(scene, { nodeLabels, featureLabels: w.featureLabels, supernodes, title: title() });
    };
    const actions: ExportActions = {
      currentSvg: async (what = 'shown') => {
        if (what === 'figure' || work.getState().display === 'subgraph') return figureSvg();
        return graphSvg();
      },
      export: async (format) => {
        const g = main.getState().graph;
        if (!g) return notify('info', 'Trace or open a graph first: there is nothing to export yet.');
        if (!pickFile) return set({ dialog: format });
        try {
          const defaultPath = exportName(work.getState().savedPath, g.prompt, format, activeView()?.name ?? null);
          const path = await pickFile({ mode: 'save', title: format === 'html' ? 'Export evidence report' : `Export figure as ${format.toUpperCase()}`, filters: [FILTERS[format]], defaultPath });
          if (path) await actions.exportTo(format, exportPath(path, null, format) ?? path);
        } catch (e) {
          if (!isCancelled(e)) notify('error', errorMessage(e));
        }
      },
      exportTo: async (format, path) => {
        const m = main.getState();
        const w = work.getState();
        if (!m.graph) return false;
        set({ busy: true });
        try {
          let r: { path: string; bytes: number };
          if (format === 'html') {
            // The report's figure: the labelled subgraph when there is one, else the graph as shown.
            const svg = (await figureSvg(true)) ?? graphSvg() ?? '';
            const content = explanationContent(m.graph.graphId, w.history.present, m.nodeThreshold, m.edgeThreshold, w.testResults);
            r = await client.call('report.export', { path, content, figureSvg: svg, testResults: { ...w.testResults } });
          } else {
            const svg = await actions.currentSvg();
            if (!svg) {
              notify('info', work.getState().display === 'subgraph' ? 'Pin nodes or group a supernode first: the subgraph figure is empty.' : 'The graph view has nothing to export yet.');
              return false;
            }
            r = format === 'svg' ? await client.call('figure.export', { format, path, svg }) : await client.call('figure.export', { format, path, pngBase64: await svgToPngBase64(svg) });
          }
          set({ lastPath: r.path, dialog: null });
          notify('info', `Exported ${r.path} (${Math.max(1, Math.round(r.bytes / 1024)).toLocaleString()} KB).`);
          return true;
        } catch (e) {
          if (!isCancelled(e)) notify('error', errorMessage(e));
          return false;
        } finally {
          set({ busy: false });
        }
      },
      closeDialog: () => set({ dialog: null }),
    };
    return { dialog: null, busy: false, lastPath: null, actions };
  });
}
