import type { HostBridge } from '../../shared/api';
import type { CwbDebug } from './debug';

declare global {
  interface Window {
    /** Electron preload (contextBridge); absent in browser mode. */
    cwbBridge?: HostBridge;
    /** Test and benchmark hook (e2e/, bench/). */
    cwbDebug?: CwbDebug;
  }
}
