/**
 * The explanation work store: the user's work and tests (an undoable document, ./model.ts), subgraph stats,
 * the causal-test panel's intervention, explanation files (save / open / recovery copies) and feature labels.
 * A store of its own beside the workbench store (which holds the graph and the view); it follows the
 * workbench store's graph and asks it to show an opened explanation's graph.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { ApiClient, GraphNode, GraphSummary, HostBridge } from '../../../../shared/api';
import type { FeatureLabels, InterventionRunResult, RecoveryEntry, SubgraphStats, TestRunResult } from '../../../../shared/apiExplain';
import type { CausalTest, Expectation } from '../../../../shared/explanation';
import type { InterventionRequest } from '../../../../shared/intervention';
import { debounce, errorMessage, isCancelled } from '../helpers';
import type { WorkbenchStore } from '../store';
import { buildIntervention, explanationContent, explanationFileName, explanationPath, logitNodes, logitToken, nodeIndexById, type InterventionDraft } from './build';
import * as M from './model';
import { createFigureStats } from './figureStats';
import { createViewActions, type ViewActions, type ViewSlice } from './viewActions';
import { detachTest } from './views';

export type WorkFileDialog = 'save' | 'open';

export interface LastRun {
  readonly label: string;
  readonly request: InterventionRequest;
  readonly result: InterventionRunResult;
}

export interface WorkState extends ViewSlice {
  readonly history: M.WorkHistory;
  /** The graph the work belongs to. */
  readonly graphId: string | null;
  /** Where the explanation was last saved or opened from. */
  readonly savedPath: string | null;
  /** Items checked in the subgraph pane: node ids and supernode ids. */
  readonly checked: readonly string[];
  readonly stats: SubgraphStats | null;
  readonly statsLoading: boolean;
  /** What the causal-test panel edits: 'selection' (the graph's selected nodes), a supernode id or a pinned node id. */
  readonly subject: string;
  readonly draft: InterventionDraft;
  readonly running: boolean;
  readonly lastRun: LastRun | null;
  /** Fresh test results this session, by test id (a test's saved `result` is shown until it is re-run). */
  readonly testResults: Readonly<Record<string, TestRunResult>>;
  readonly testsRunning: readonly string[];
  /** Feature labels of the graph's dictionary ("layer_feature" → label). */
  readonly featureLabels: FeatureLabels;
  readonly featureLabelsFor: string | null;
  readonly fileDialog: WorkFileDialog | null;
  readonly fileBusy: boolean;
  /** Recovery copies offered at startup. */
  readonly recovery: readonly RecoveryEntry[];
  readonly actions: WorkActions;
}

export interface WorkActions extends ViewActions {
  undo(): void;
  redo(): void;
  togglePin(nodeId: string): void;
  unpin(ids: readonly string[]): void;
  setChecked(id: string, on: boolean): void;
  /** Groups the checked items into a new supernode. */
  groupChecked(label?: string): void;
  ungroup(supernodeId: string): void;
  renameSupernode(supernodeId: string, label: string): void;
  setNodeLabel(nodeId: string, label: string): void;
  setNotes(notes: string): void;
  setFeatureLabel(key: string, label: string): Promise<void>;
  setSubject(subject: string): void;
  setDraft(patch: Partial<InterventionDraft>): void;
  runIntervention(): Promise<void>;
  saveAsTest(name: string, expectation: Expectation): void;
  updateTest(id: string, patch: Partial<CausalTest>): void;
  removeTest(id: string): void;
  runTest(id: string): Promise<void>;
  save(): Promise<void>;
  saveAs(): Promise<void>;
  open(): Promise<void>;
  openPath(path: string, recovered?: RecoveryEntry): Promise<boolean>;
  saveTo(path: string): Promise<boolean>;
  closeFileDialog(): void;
  restoreRecovery(entry: RecoveryEntry): Promise<void>;
  discardRecovery(entry: RecoveryEntry): Promise<void>;
  dismissRecovery(): void;
  /**
   * Stats for the subgraph figure (present/figure.ts): the work's pins and supernodes (only `supernodeIds` when
   * given) plus the prompt tokens and top logits as groups. Cached per graph and work; null without a graph or pins.
   */
  figureStats(supernodeIds?: readonly string[]): Promise<SubgraphStats | null>;
}

export type WorkStore = StoreApi<WorkState>;

export interface WorkDeps {
  readonly main: WorkbenchStore;
  readonly client: ApiClient;
  readonly pickFile?: HostBridge['pickFile'] | null;
  /** Asks before replacing unsaved work (window.confirm in the app). */
  readonly confirm?: (message: string) => boolean;
  readonly recoveryDelayMs?: number;
  readonly statsDelayMs?: number;
}

const FILTERS = [{ name: 'Explanation', extensions: ['json'] }];

/** What new work (another graph, an opened file) starts from, besides its history, graph and path. */
const FRESH = {
  checked: [],
  stats: null,
  lastRun: null,
  testResults: {},
  subject: 'selection',
  activeView: null,
  viewPath: null,
  display: 'graph',
} as const satisfies Partial<WorkState>;

export function createWorkStore(deps: WorkDeps): WorkStore {
  const { main, client } = deps;
  const pickFile = deps.pickFile ?? null;
  const confirm = deps.confirm ?? (() => true);
  /** The graph an open is about to install: its arrival must not reset the work. */
  let expectedGraph: string | null = null;
  let statsSeq = 0;
  let runSeq = 0;
  const figureStats = createFigureStats(client);

  const store = createStore<WorkState>()((set, get) => {
    const notify = (kind: 'error' | 'info', m: string) => main.getState().actions.notify(kind, m);
    const fail = (e: unknown) => {
      if (!isCancelled(e)) notify('error', errorMessage(e));
    };
    const edit = (fn: (d: M.WorkDoc) => M.WorkDoc, key: string | null = null) => set((s) => ({ history: M.applyEdit(s.history, fn, key) }));
    const graph = () => main.getState().graph;
    const nodesOf = (ids: readonly string[]): GraphNode[] => {
      const g = graph();
      const byId = nodeIndexById(g);
      return ids.map((id) => byId.get(id)).filter((i): i is number => i !== undefined).map((i) => g!.nodes[i]?.index === i ? g!.nodes[i] : g!.nodes.find((n) => n.index === i)!);
    };
    const subjectNodes = (): { nodes: GraphNode[]; label: string } => {
      const s = get();
      const g = graph();
      if (!g) return { nodes: [], label: '' };
      const sn = s.history.present.work.supernodes.find((x) => x.id === s.subject);
      if (sn) return { nodes: nodesOf(sn.nodeIds), label: sn.label || sn.id };
      if (s.subject !== 'selection') {
        const nodes = nodesOf([s.subject]);
        return { nodes, label: s.history.present.work.nodeLabels[s.subject] || nodes[0]?.label || s.subject };
      }
      const sel = main.getState().selected.map((i) => g.nodes.find((n) => n.index === i)).filter((n): n is GraphNode => !!n);
      return { nodes: sel, label: sel.map((n) => n.label).join(' + ') };
    };
    const content = () => {
      const s = get();
      const m = main.getState();
      if (!m.graph) return null;
      return explanationContent(m.graph.graphId, s.history.present, m.nodeThreshold, m.edgeThreshold, s.testResults);
    };
    const guard = () => !M.isDirty(get().history) || confirm('The explanation has unsaved changes. Discard them?');

    const actions: WorkActions = {
      ...createViewActions(get, set, edit, main),
      undo: () => set((s) => ({ history: M.undo(s.history) })),
      redo: () => set((s) => ({ history: M.redo(s.history) })),
      togglePin: (id) => edit(M.togglePin(id)),
      unpin: (ids) => {
        edit(M.unpin(ids));
        set((s) => ({ checked: s.checked.filter((c) => !ids.includes(c)) }));
      },
      setChecked: (id, on) => set((s) => ({ checked: on ? (s.checked.includes(id) ? s.checked : [...s.checked, id]) : s.checked.filter((c) => c !== id) })),
      groupChecked: (label) => {
        const s = get();
        if (s.checked.length === 0) return notify('info', 'Tick pinned nodes in the subgraph pane to group them.');
        const id = M.nextSupernodeId(s.history.present);
        edit(M.group(s.checked, label ?? `Group ${id.slice(2)}`, id));
        set({ checked: [] });
      },
      ungroup: (id) => edit(M.ungroup(id)),
      renameSupernode: (id, label) => edit(M.renameSupernode(id, label), `sn-label:${id}`),
      setNodeLabel: (id, label) => edit(M.setNodeLabel(id, label), `label:${id}`),
      setNotes: (notes) => edit(M.setNotes(notes), 'notes'),
      setFeatureLabel: async (key, label) => {
        const fp = get().featureLabelsFor;
        if (!fp) return notify('info', 'Feature labels need the graph’s dictionary.');
        const labels = { ...get().featureLabels };
        if (label.trim() === '') delete labels[key];
        else labels[key] = label;
        set({ featureLabels: labels });
        try {
          const r = await client.call('labels.set', { dictionaryFingerprint: fp, labels });
          if (get().featureLabelsFor === fp) set({ featureLabels: r.labels });
        } catch (e) {
          fail(e);
        }
      },
      setSubject: (subject) => set({ subject }),
      setDraft: (patch) => set((s) => ({ draft: { ...s.draft, ...patch } })),
      runIntervention: async () => {
        const g = graph();
        if (!g) return notify('info', 'Trace or open a graph first.');
        const { nodes, label } = subjectNodes();
        const target = logitNodes(g)[0];
        const built = buildIntervention(nodes, get().draft, { label, targetToken: target ? logitToken(target) : null, nPos: g.nPos });
        if (!built.ok) return notify('info', built.message);
        const seq = ++runSeq;
        set({ running: true });
        try {
          const result = await client.call('intervene.run', { graphId: g.graphId, intervention: built.request });
          if (seq === runSeq && graph()?.graphId === g.graphId) set({ lastRun: { label, request: built.request, result } });
          for (const w of result.warnings) notify('info', w);
        } catch (e) {
          fail(e);
        } finally {
          if (seq === runSeq) set({ running: false });
        }
      },
      saveAsTest: (name, expectation) => {
        const run = get().lastRun;
        if (!run) return;
        const id = M.nextTestId(get().history.present);
        edit(M.addTest({ id, name: name.trim() || run.label, intervention: run.request, expectation }));
        void get().actions.runTest(id);
      },
      updateTest: (id, patch) => edit(M.updateTest(id, patch), `test:${id}`),
      removeTest: (id) => edit((d) => detachTest(id)(M.removeTest(id)(d))),
      runTest: async (id) => {
        const g = graph();
        const test = get().history.present.tests.find((t) => t.id === id);
        if (!g || !test) return;
        set((s) => ({ testsRunning: [...s.testsRunning, id] }));
        try {
          const r = await client.call('test.run', { graphId: g.graphId, test });
          if (graph()?.graphId === g.graphId) set((s) => ({ testResults: { ...s.testResults, [id]: r } }));
        } catch (e) {
          fail(e);
        } finally {
          set((s) => ({ testsRunning: s.testsRunning.filter((x) => x !== id) }));
        }
      },
      save: async () => {
        const p = get().savedPath;
        if (p && !/[\\/]\.cwb[\\/]recovery[\\/]/.test(p)) await get().actions.saveTo(p);
        else await get().actions.saveAs();
      },
      saveAs: async () => {
        const g = graph();
        if (!g) return notify('info', 'Trace or open a graph first: there is nothing to save yet.');
        if (!pickFile) return set({ fileDialog: 'save' });
        try {
          const picked = await pickFile({ mode: 'save', title: 'Save explanation', filters: FILTERS, defaultPath: get().savedPath ?? explanationFileName(g.prompt) });
          const path = picked ? explanationPath(picked, null) : null;
          if (path) await get().actions.saveTo(path);
        } catch (e) {
          fail(e);
        }
      },
      saveTo: async (path) => {
        const c = content();
        if (!c) return false;
        const doc = get().history.present;
        set({ fileBusy: true });
        try {
          const r = await client.call('explanation.save', { ...c, path });
          set((s) => ({ savedPath: r.path, history: M.markSaved(s.history, doc), fileDialog: null }));
          notify('info', `Saved ${r.path}.`);
          return true;
        } catch (e) {
          fail(e);
          return false;
        } finally {
          set({ fileBusy: false });
        }
      },
      open: async () => {
        if (!guard()) return;
        if (!pickFile) return set({ fileDialog: 'open' });
        try {
          const path = await pickFile({ mode: 'open', title: 'Open explanation', filters: FILTERS });
          if (path) await get().actions.openPath(path);
        } catch (e) {
          fail(e);
        }
      },
      openPath: async (path, recovered) => {
        set({ fileBusy: true });
        try {
          const r = await client.call('explanation.open', { path });
          const ex = r.explanation;
          expectedGraph = r.graph.graphId;
          const doc: M.WorkDoc = { work: ex.work, tests: ex.tests };
          const history = recovered ? { ...M.newHistory(doc), saved: M.emptyWork() } : M.newHistory(doc);
          set({
            history,
            graphId: r.graph.graphId,
            savedPath: recovered ? recovered.savedPath : r.path,
            ...FRESH,
            fileDialog: null,
          });
          main.getState().actions.showGraph(r.graph, { nodeThreshold: ex.attribution.nodeThreshold, edgeThreshold: ex.attribution.edgeThreshold });
          for (const w of r.warnings) notify('info', w);
          notify('info', `Opened ${r.path}${r.graphFrom === 'embedded' ? ' (the pruned graph saved in the file)' : ''}.`);
          return true;
        } catch (e) {
          fail(e);
          return false;
        } finally {
          set({ fileBusy: false });
        }
      },
      closeFileDialog: () => set({ fileDialog: null }),
      restoreRecovery: async (entry) => {
        if (!guard()) return;
        if (await get().actions.openPath(entry.path, entry)) set((s) => ({ recovery: s.recovery.filter((x) => x.path !== entry.path) }));
      },
      discardRecovery: async (entry) => {
        set((s) => ({ recovery: s.recovery.filter((x) => x.path !== entry.path) }));
        try {
          await client.call('explanation.recoveryDiscard', { path: entry.path });
        } catch (e) {
          fail(e);
        }
      },
      dismissRecovery: () => set({ recovery: [] }),
      figureStats: (supernodeIds) => figureStats(graph(), get().history.present.work, supernodeIds),
    };
    return {
      history: M.newHistory(),
      graphId: null,
      savedPath: null,
      ...FRESH,
      statsLoading: false,
      draft: { op: 'ablate', value: 0, mode: 'frozen' },
      running: false,
      testsRunning: [],
      featureLabels: {},
      featureLabelsFor: null,
      fileDialog: null,
      fileBusy: false,
      recovery: [],
      actions,
    };
  });

  // ------------------------------------------------------------------ following the workbench store

  const refreshStats = debounce(async () => {
    const g = main.getState().graph;
    const w = store.getState().history.present.work;
    const seq = ++statsSeq;
    if (!g || (w.pinnedNodeIds.length === 0 && w.supernodes.length === 0)) return store.setState({ stats: null, statsLoading: false });
    const byId = nodeIndexById(g);
    const idx = (ids: readonly string[]) => ids.map((id) => byId.get(id)).filter((i): i is number => i !== undefined);
    store.setState({ statsLoading: true });
    try {
      const stats = await client.call('subgraph.stats', {
        graphId: g.graphId,
        nodes: idx(w.pinnedNodeIds),
        supernodes: w.supernodes.map((s) => ({ id: s.id, label: s.label, nodes: idx(s.nodeIds) })).filter((s) => s.nodes.length > 0),
      });
      if (seq === statsSeq) store.setState({ stats, statsLoading: false });
    } catch (e) {
      if (seq === statsSeq) store.setState({ statsLoading: false });
      if (!isCancelled(e)) main.getState().actions.notify('error', errorMessage(e));
    }
  }, deps.statsDelayMs ?? 150);

  const loadLabels = async (g: GraphSummary | null) => {
    const fp = g?.dictionary?.fingerprint ?? null;
    if (fp === store.getState().featureLabelsFor) return;
    store.setState({ featureLabelsFor: fp, featureLabels: {} });
    if (!fp) return;
    try {
      const r = await client.call('labels.get', { dictionaryFingerprint: fp });
      if (store.getState().featureLabelsFor === fp) store.setState({ featureLabels: r.labels });
    } catch (e) {
      main.getState().actions.notify('error', errorMessage(e));
    }
  };

  const recoverySave = debounce(async () => {
    const s = store.getState();
    const m = main.getState();
    if (!m.graph || !M.isDirty(s.history) || s.graphId !== m.graph.graphId) return;
    const saved = s.savedPath;
    try {
      await client.call('explanation.recoverySave', {
        ...(saved ? { path: saved } : {}),
        content: explanationContent(m.graph.graphId, s.history.present, m.nodeThreshold, m.edgeThreshold, s.testResults),
      });
    } catch {
      // A recovery copy is best effort (no data root, a graph the engine cannot save): never bother the user.
    }
  }, deps.recoveryDelayMs ?? 2000);

  let askedRecovery = false;
  main.subscribe((m, prev) => {
    if (m.graph !== prev.graph) {
      const id = m.graph?.graphId ?? null;
      if (id !== null && id === expectedGraph) expectedGraph = null;
      else if (id !== store.getState().graphId) {
        // A new trace or graph: new work. Unsaved work of the previous graph goes to a recovery copy right away
        // (offered at the next start; the engine still holds that graph) instead of waiting for the debounce.
        const s = store.getState();
        if (s.graphId !== null && M.isDirty(s.history)) {
          const content = explanationContent(s.graphId, s.history.present, prev.nodeThreshold, prev.edgeThreshold, s.testResults);
          void client.call('explanation.recoverySave', { ...(s.savedPath ? { path: s.savedPath } : {}), content }).then(
            () => main.getState().actions.notify('info', 'The previous graph’s unsaved explanation was kept as a recovery copy (offered at the next start).'),
            () => undefined,
          );
        }
        store.setState({ history: M.newHistory(), graphId: id, savedPath: null, ...FRESH });
      }
      void loadLabels(m.graph);
      refreshStats();
    }
    // A node clicked: the saved view's path gives way to the user's own exploring.
    if (m.selected !== prev.selected && store.getState().viewPath) store.setState({ viewPath: null });
    if (m.session && !prev.session && !askedRecovery) {
      askedRecovery = true;
      void client.call('explanation.recoveryList', {}).then(
        (r) => store.setState({ recovery: r.entries }),
        () => undefined,
      );
    }
  });
  store.subscribe((s, prev) => {
    if (s.history.present.work !== prev.history.present.work) refreshStats();
    if (s.history.present !== prev.history.present) recoverySave();
  });
  return store;
}
