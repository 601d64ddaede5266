/**
 * The workbench state (one zustand store, Excalidraw/tldraw style: plain serializable state plus an
 * `actions` object). Components select slices; the graph view subscribes imperatively.
 */
import type { ApiResult, GraphSummary, NodeDetail, PathInfo, PromptAnalysis, PrunedView, SessionInfo, Progress } from '../../../shared/api';
import type { ConnectionStatus } from '../api/wsChannel';

export type TargetMode = 'salient' | 'token' | 'contrast';

/** What the target controls hold (raw input); `toTargetChoice` turns it into the API's TargetChoice. */
export interface TargetDraft {
  readonly mode: TargetMode;
  readonly token: string;
  readonly contrastA: string;
  readonly contrastB: string;
}

export type JobKind = 'trace' | 'open-graph' | 'open-model' | 'open-dictionary';

export interface JobState {
  readonly kind: JobKind;
  readonly label: string;
  readonly startedAt: number;
  readonly progress: Progress | null;
}

export interface Toast {
  readonly id: number;
  readonly kind: 'error' | 'info';
  readonly message: string;
}

/** What a file dialog is for; 'export' picks where to write the shown graph (graph JSON). */
export type FilePurpose = 'model' | 'dictionary' | 'graph' | 'export';

/** One-shot requests to the graph view (it applies each `seq` once). */
export type ViewCommand =
  | { readonly seq: number; readonly kind: 'fit' }
  | { readonly seq: number; readonly kind: 'center'; readonly node: number }
  /** Show this region of the layout (model coordinates): a saved view's region (store/work/views.ts). */
  | { readonly seq: number; readonly kind: 'region'; readonly box: { readonly x1: number; readonly y1: number; readonly x2: number; readonly y2: number } };

export interface PathsState {
  /** The query they answer: paths into `to`, optionally starting at `from`. */
  readonly to: number;
  readonly from: number | null;
  readonly paths: readonly PathInfo[] | null;
  readonly loading: boolean;
}

export interface WorkbenchState {
  readonly connection: ConnectionStatus;
  readonly session: SessionInfo | null;
  readonly prompt: string;
  readonly analysis: PromptAnalysis | null;
  /** The prompt text the analysis belongs to (it lags typing by the debounce). */
  readonly analysisFor: string | null;
  /** Why the prompt cannot be analyzed (shown under the prompt, not as a toast: it changes per keystroke). */
  readonly analysisError: string | null;
  readonly target: TargetDraft;
  /** Trace option: keep at most this many features (the most influential); null = every active feature. */
  readonly maxFeatures: number | null;
  readonly job: JobState | null;
  readonly graph: GraphSummary | null;
  readonly nodeThreshold: number;
  readonly edgeThreshold: number;
  readonly pruned: PrunedView | null;
  /** performance.now() when the thresholds of `pruned` were requested (debug timing: slider → cytoscape). */
  readonly prunedRequestedAt: number | null;
  /** performance.now() of the Trace click that produced `graph` (debug timing), null for opened graphs. */
  readonly traceClickedAt: number | null;
  /** Selected node indices, in click order (at most two: Shift-click adds a second for paths between them). */
  readonly selected: readonly number[];
  readonly hovered: number | null;
  readonly detail: NodeDetail | null;
  readonly detailLoading: boolean;
  readonly paths: PathsState | null;
  readonly hoveredPath: number | null;
  readonly pinnedPath: number | null;
  readonly search: string;
  readonly helpOpen: boolean;
  /** Presentation mode: the graph alone, side columns hidden. */
  readonly presentation: boolean;
  readonly fileDialog: FilePurpose | null;
  readonly toasts: readonly Toast[];
  readonly viewCommand: ViewCommand | null;
  readonly actions: WorkbenchActions;
}

export interface WorkbenchActions {
  init(): Promise<void>;
  setConnection(s: ConnectionStatus): void;
  setPrompt(text: string): void;
  setTarget(patch: Partial<TargetDraft>): void;
  /** A click on a predicted token: it becomes the target (or fills the next contrast slot). */
  chooseTargetToken(text: string, id: number): void;
  /** The "Max features" field: a positive integer, or null (blank) for every active feature. */
  setMaxFeatures(v: number | null): void;
  trace(): Promise<void>;
  cancelJob(): void;
  setNodeThreshold(v: number): void;
  setEdgeThreshold(v: number): void;
  selectNode(index: number, opts?: { additive?: boolean; center?: boolean }): void;
  clearSelection(): void;
  hoverNode(index: number | null): void;
  hoverPath(i: number | null): void;
  togglePinnedPath(i: number): void;
  setSearch(q: string): void;
  fit(): void;
  /** Shows a region of the layout (model coordinates) and stops refitting after re-prunes. */
  showRegion(box: { readonly x1: number; readonly y1: number; readonly x2: number; readonly y2: number }): void;
  setHelpOpen(open: boolean): void;
  togglePresentation(): void;
  /** Writes the shown graph (current thresholds) as graph JSON: native save dialog, else the workspace browser. */
  exportGraph(): Promise<void>;
  /** Esc: close the topmost thing (dialog, help, pinned path), else clear the selection. */
  escape(): void;
  openFile(purpose: FilePurpose): Promise<void>;
  closeFileDialog(): void;
  /** The workspace browser's listing (browser mode). */
  listFiles(dir?: string): Promise<ApiResult<'files.list'>>;
  applyFile(purpose: FilePurpose, path: string): Promise<void>;
  reportError(e: unknown): void;
  dismissToast(id: number): void;
  /** Shows a graph opened elsewhere (an explanation file, store/work), at its saved thresholds when given. */
  showGraph(graph: GraphSummary, thresholds: { readonly nodeThreshold: number; readonly edgeThreshold: number } | null): void;
  notify(kind: Toast['kind'], message: string): void;
}

export type SetState = (partial: Partial<WorkbenchState> | ((s: WorkbenchState) => Partial<WorkbenchState>)) => void;
export type GetState = () => WorkbenchState;
