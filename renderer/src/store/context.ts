/** What every action module shares: the store's get/set, its dependencies and a little mutable runtime. */
import type { ApiClient, HostBridge } from '../../../shared/api';
import type { GetState, SetState } from './types';

export interface StoreDeps {
  readonly client: ApiClient;
  /** The host's native file dialog (Electron); null in browser mode (the workspace file browser is used). */
  readonly pickFile?: HostBridge['pickFile'] | null;
  /** Prompt analysis debounce while typing. */
  readonly analyzeDelayMs?: number;
  /** Clock for debug timings (performance.now in the app). */
  readonly now?: () => number;
}

export interface Runtime {
  /** Aborts the running job (trace / open). */
  jobAbort: AbortController | null;
  seq: { analysis: number; detail: number; paths: number; view: number; toast: number };
  requestPrune: (() => void) | null;
  analyzeSoon: (() => void) | null;
}

export interface Ctx {
  readonly set: SetState;
  readonly get: GetState;
  readonly client: ApiClient;
  readonly pickFile: HostBridge['pickFile'] | null;
  readonly analyzeDelayMs: number;
  readonly now: () => number;
  readonly rt: Runtime;
}
