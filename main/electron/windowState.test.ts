import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_SIZE, MIN_SIZE, WINDOW_STATE_FILE, parseWindowState, placeWindow, readWindowState, writeWindowState, type Rect } from './windowState';

const primary: Rect = { x: 0, y: 0, width: 1920, height: 1040 };
const second: Rect = { x: 1920, y: 0, width: 2560, height: 1400 };

describe('parseWindowState', () => {
  it('accepts a valid state and rejects bad ones', () => {
    expect(parseWindowState({ version: 1, x: 10, y: 20, width: 1000, height: 700, maximized: true })).toEqual({ x: 10, y: 20, width: 1000, height: 700, maximized: true });
    for (const bad of [
      null,
      [],
      'x',
      { x: 10, y: 20, width: 1000, height: 700, maximized: true },
      { version: 2, x: 10, y: 20, width: 1000, height: 700, maximized: true },
      { version: 1, x: 10, y: 20, width: 0, height: 700, maximized: true },
      { version: 1, x: 10.5, y: 20, width: 1000, height: 700, maximized: true },
      { version: 1, x: 10, y: 20, width: 1000, height: 700, maximized: 'yes' },
      { version: 1, x: 1e9, y: 20, width: 1000, height: 700, maximized: false },
      { version: 1, x: Number.NaN, y: 20, width: 1000, height: 700, maximized: false },
    ]) {
      expect(parseWindowState(bad), JSON.stringify(bad)).toBeNull();
    }
  });
});

describe('placeWindow', () => {
  it('uses the default size, centered by the OS, without a saved state', () => {
    expect(placeWindow(null, [primary], primary)).toEqual({ ...DEFAULT_SIZE, maximized: false });
  });

  it('keeps a saved placement that is on screen', () => {
    const saved = { x: 100, y: 80, width: 1200, height: 800, maximized: true };
    expect(placeWindow(saved, [primary, second], primary)).toEqual(saved);
    const onSecond = { x: 2200, y: 100, width: 1500, height: 900, maximized: false };
    expect(placeWindow(onSecond, [primary, second], primary)).toEqual(onSecond);
  });

  it('falls back to the primary display when the saved display is gone', () => {
    const onSecond = { x: 2200, y: 100, width: 1500, height: 900, maximized: true };
    expect(placeWindow(onSecond, [primary], primary)).toEqual({ ...DEFAULT_SIZE, maximized: true });
  });

  it('falls back when only a sliver is visible or the title bar is off the top', () => {
    expect(placeWindow({ x: 1900, y: 100, width: 1200, height: 800, maximized: false }, [primary], primary)).toEqual({ ...DEFAULT_SIZE, maximized: false });
    expect(placeWindow({ x: 100, y: -300, width: 1200, height: 800, maximized: false }, [primary], primary).x).toBeUndefined();
    expect(placeWindow({ x: 100, y: 1030, width: 1200, height: 800, maximized: false }, [primary], primary).x).toBeUndefined();
  });

  it('moves a partly off-screen window fully onto its display and shrinks it to the work area', () => {
    expect(placeWindow({ x: 1500, y: 500, width: 1200, height: 800, maximized: false }, [primary], primary)).toEqual({
      x: 720,
      y: 240,
      width: 1200,
      height: 800,
      maximized: false,
    });
    expect(placeWindow({ x: 10, y: 10, width: 5000, height: 3000, maximized: false }, [primary], primary)).toEqual({
      x: 0,
      y: 0,
      width: 1920,
      height: 1040,
      maximized: false,
    });
  });

  it('never goes below the minimum size unless the screen is smaller', () => {
    expect(placeWindow({ x: 10, y: 10, width: 200, height: 100, maximized: false }, [primary], primary)).toMatchObject({ ...MIN_SIZE });
    const tiny: Rect = { x: 0, y: 0, width: 640, height: 480 };
    expect(placeWindow(null, [tiny], tiny)).toEqual({ width: 640, height: 480, maximized: false });
  });
});

describe('window-state.json', () => {
  const dirs: string[] = [];
  const tmp = () => {
    const d = mkdtempSync(path.join(tmpdir(), 'cwb-winstate-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('round-trips atomically (no temp file left) and rounds fractional bounds', () => {
    const dir = tmp();
    writeWindowState(dir, { x: 10.4, y: 20.6, width: 1000, height: 700, maximized: true });
    expect(readdirSync(dir)).toEqual([WINDOW_STATE_FILE]);
    expect(JSON.parse(readFileSync(path.join(dir, WINDOW_STATE_FILE), 'utf8'))).toEqual({ version: 1, x: 10, y: 21, width: 1000, height: 700, maximized: true });
    expect(readWindowState(dir)).toEqual({ x: 10, y: 21, width: 1000, height: 700, maximized: true });
  });

  it('creates the folder, and reads a missing or corrupt file as no state', () => {
    const dir = path.join(tmp(), 'nested', 'userData');
    expect(readWindowState(dir)).toBeNull();
    writeWindowState(dir, { x: 0, y: 0, width: 900, height: 600, maximized: false });
    expect(readWindowState(dir)).not.toBeNull();
    writeFileSync(path.join(dir, WINDOW_STATE_FILE), '{"version":1,"x":');
    expect(readWindowState(dir)).toBeNull();
    writeFileSync(path.join(dir, WINDOW_STATE_FILE), JSON.stringify({ version: 1, x: 0, y: 0, width: -5, height: 600, maximized: false }));
    expect(readWindowState(dir)).toBeNull();
  });

  it('does not write a nonsensical state', () => {
    const dir = tmp();
    writeWindowState(dir, { x: 0, y: 0, width: 0, height: 0, maximized: false });
    expect(readdirSync(dir)).toEqual([]);
  });
});
