/**
 * The main window's size, position and maximized state across runs, in `<userData>/window-state.json`. The
 * file is written atomically and validated on read: a missing, corrupt or implausible file gives the default
 * placement, and a saved position that no current display shows (monitor unplugged, resolution changed) is
 * moved onto a display's work area. No Electron import: the display work areas are passed in. Unit-tested.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../files';

export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface SavedWindowState extends Rect {
  readonly maximized: boolean;
}

/** What the BrowserWindow is created with; no x/y means "let the OS center it". */
export interface WindowPlacement {
  readonly x?: number;
  readonly y?: number;
  readonly width: number;
  readonly height: number;
  readonly maximized: boolean;
}

export const WINDOW_STATE_FILE = 'window-state.json';
export const DEFAULT_SIZE = { width: 1280, height: 860 } as const;
export const MIN_SIZE = { width: 800, height: 560 } as const;

const coord = z.number().int().min(-1_000_000).max(1_000_000);
const size = z.number().int().min(1).max(100_000);
const stateSchema = z.object({ version: z.literal(1), x: coord, y: coord, width: size, height: size, maximized: z.boolean() });

/** The saved state, or null when the value is not a valid state file. */
export function parseWindowState(v: unknown): SavedWindowState | null {
  const r = stateSchema.safeParse(v);
  if (!r.success) return null;
  const { x, y, width, height, maximized } = r.data;
  return { x, y, width, height, maximized };
}

const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), Math.max(lo, hi));

function overlap(a: Rect, b: Rect): { readonly width: number; readonly height: number; readonly area: number } {
  const width = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const height = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  return { width, height, area: width * height };
}

function fitSize(width: number, height: number, area: Rect): { width: number; height: number } {
  return {
    width: clamp(width, Math.min(MIN_SIZE.width, area.width), area.width),
    height: clamp(height, Math.min(MIN_SIZE.height, area.height), area.height),
  };
}

/**
 * Where to put the window: the saved bounds if some display's work area shows a usable part of them (then
 * shrunk to that work area and moved fully inside it), else the default size centered on the primary display.
 */
export function placeWindow(saved: SavedWindowState | null, workAreas: readonly Rect[], primary: Rect): WindowPlacement {
  const fallback = (): WindowPlacement => ({ ...fitSize(DEFAULT_SIZE.width, DEFAULT_SIZE.height, primary), maximized: saved?.maximized ?? false });
  if (!saved) return fallback();
  let best: Rect | null = null;
  let seen = overlap(saved, { x: 0, y: 0, width: 0, height: 0 });
  for (const wa of workAreas) {
    const o = overlap(saved, wa);
    if (o.area > seen.area) [best, seen] = [wa, o];
  }
  // Usable: a piece at least 100 px wide and 50 px high on one display, with the top edge (title bar) on it.
  if (!best) return fallback();
  const visible =
    seen.width >= Math.min(100, saved.width) &&
    seen.height >= Math.min(50, saved.height) &&
    saved.y >= best.y &&
    saved.y < best.y + best.height - 20;
  if (!visible) return fallback();
  const { width, height } = fitSize(saved.width, saved.height, best);
  return {
    x: clamp(saved.x, best.x, best.x + best.width - width),
    y: clamp(saved.y, best.y, best.y + best.height - height),
    width,
    height,
    maximized: saved.maximized,
  };
}

/** The saved state in `dir`, or null (missing, unreadable or invalid file). */
export function readWindowState(dir: string): SavedWindowState | null {
  try {
    return parseWindowState(JSON.parse(readFileSync(path.join(dir, WINDOW_STATE_FILE), 'utf8')));
  } catch {
    return null;
  }
}

export function writeWindowState(dir: string, state: SavedWindowState): void {
  const clean = parseWindowState({ version: 1, ...roundRect(state), maximized: state.maximized });
  if (!clean) return; // nothing sensible to remember (e.g. a zero-size window)
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(path.join(dir, WINDOW_STATE_FILE), `${JSON.stringify({ version: 1, ...clean }, null, 2)}\n`);
}

function roundRect(r: Rect): Rect {
  return { x: Math.round(r.x), y: Math.round(r.y), width: Math.round(r.width), height: Math.round(r.height) };
}
