/** Creates the workbench store around an ApiClient (any transport) — also what the unit tests drive. */
import { createStore, type StoreApi } from 'zustand/vanilla';
import { DEFAULT_EDGE_THRESHOLD, DEFAULT_NODE_THRESHOLD } from '../../../shared/api';
import type { Ctx, StoreDeps } from './context';
import { dismissToast, reportError } from './actions/feedback';
import { applyFile, init, openFile } from './actions/files';
import { cancelJob, runPrune, setThreshold, trace, type PruneRequest } from './actions/graph';
import { analyzeNow, chooseTargetToken, setPrompt, setTarget } from './actions/prompt';
import { clearSelection, selectNode } from './actions/selection';
import { notify, showGraph } from './actions/work';
import { debounce, latestOnly } from './helpers';
import type { WorkbenchActions, WorkbenchState } from './types';

export type WorkbenchStore = StoreApi<WorkbenchState>;

export const DEFAULT_PROMPT = 'Once upon a time, there was a little girl named';

export function initialState(): Omit<WorkbenchState, 'actions'> {
  return {
    connection: { state: 'connecting', failures: 0, retryAt: null },
    session: null,
    prompt: DEFAULT_PROMPT,
    analysis: null,
    analysisFor: null,
    analysisError: null,
    target: { mode: 'salient', token: '', contrastA: '', contrastB: '' },
    maxFeatures: null,
    job: null,
    graph: null,
    nodeThreshold: DEFAULT_NODE_THRESHOLD,
    edgeThreshold: DEFAULT_EDGE_THRESHOLD,
    pruned: null,
    prunedRequestedAt: null,
    traceClickedAt: null,
    selected: [],
    hovered: null,
    detail: null,
    detailLoading: false,
    paths: null,
    hoveredPath: null,
    pinnedPath: null,
    search: '',
    helpOpen: false,
    presentation: false,
    fileDialog: null,
    toasts: [],
    viewCommand: null,
  };
}

export function createWorkbenchStore(deps: StoreDeps): WorkbenchStore {
  return createStore<WorkbenchState>()((set, get) => {
    const ctx: Ctx = {
      set,
      get,
      client: deps.client,
      pickFile: deps.pickFile ?? null,
      analyzeDelayMs: deps.analyzeDelayMs ?? 250,
      now: deps.now ?? (() => performance.now()),
      rt: { jobAbort: null, seq: { analysis: 0, detail: 0, paths: 0, view: 0, toast: 0 }, requestPrune: null, analyzeSoon: null },
    };
    const prune = latestOnly<PruneRequest>((r) => runPrune(ctx, r));
    ctx.rt.requestPrune = () => {
      const s = get();
      if (s.graph) prune({ graphId: s.graph.graphId, nodeThreshold: s.nodeThreshold, edgeThreshold: s.edgeThreshold, requestedAt: ctx.now() });
    };
    ctx.rt.analyzeSoon = debounce(() => void analyzeNow(ctx), ctx.analyzeDelayMs);

    const actions: WorkbenchActions = {
      init: () => init(ctx),
      setConnection: (connection) => {
        const wasDown = get().connection.state !== 'open' && get().connection.failures > 0;
        set({ connection });
        // Back after an outage: the engine may have restarted, so refresh what the header shows.
        if (connection.state === 'open' && wasDown) void init(ctx);
      },
      setPrompt: (text) => setPrompt(ctx, text),
      setTarget: (patch) => setTarget(ctx, patch),
      chooseTargetToken: (text, id) => chooseTargetToken(ctx, text, id),
      setMaxFeatures: (v) => set({ maxFeatures: v !== null && Number.isFinite(v) && v >= 1 ? Math.floor(v) : null }),
      trace: () => trace(ctx),
      cancelJob: () => cancelJob(ctx),
      setNodeThreshold: (v) => setThreshold(ctx, 'nodeThreshold', v),
      setEdgeThreshold: (v) => setThreshold(ctx, 'edgeThreshold', v),
      selectNode: (index, opts) => selectNode(ctx, index, opts),
      clearSelection: () => clearSelection(ctx),
      hoverNode: (index) => {
        if (get().hovered !== index) set({ hovered: index });
      },
      hoverPath: (i) => set({ hoveredPath: i }),
      togglePinnedPath: (i) => set((s) => ({ pinnedPath: s.pinnedPath === i ? null : i })),
      setSearch: (search) => set({ search }),
      fit: () => set({ viewCommand: { seq: ++ctx.rt.seq.view, kind: 'fit' } }),
      showRegion: (box) => set({ viewCommand: { seq: ++ctx.rt.seq.view, kind: 'region', box } }),
      setHelpOpen: (helpOpen) => set({ helpOpen }),
      togglePresentation: () => set((s) => ({ presentation: !s.presentation })),
      exportGraph: () => openFile(ctx, 'export'),
      escape: () => {
        const s = get();
        if (s.helpOpen) set({ helpOpen: false });
        else if (s.fileDialog) set({ fileDialog: null });
        else if (s.presentation) set({ presentation: false });
        else if (s.pinnedPath !== null) set({ pinnedPath: null });
        else if (s.search !== '') set({ search: '' });
        else clearSelection(ctx);
      },
      openFile: (purpose) => openFile(ctx, purpose),
      closeFileDialog: () => set({ fileDialog: null }),
      listFiles: (dir) => ctx.client.call('files.list', dir === undefined ? {} : { dir }),
      applyFile: (purpose, path) => applyFile(ctx, purpose, path),
      reportError: (e) => reportError(ctx, e),
      dismissToast: (id) => dismissToast(ctx, id),
      showGraph: (graph, thresholds) => showGraph(ctx, graph, thresholds),
      notify: (kind, message) => notify(ctx, kind, message),
    };
    return { ...initialState(), actions };
  });
}
