import { describe, expect, it } from 'vitest';
import { backingSize, canvasTransform, centreZoom, fitViewport, panToShow, retarget, toModel, toScreen, visibleModelBox } from './viewport';

const vp = { zoom: 0.5, pan: { x: 100, y: -20 } };

describe('viewport transform', () => {
  it('maps model to screen and back like cytoscape (screen = pan + zoom · model)', () => {
    expect(toScreen(vp, { x: 10, y: 40 })).toEqual({ x: 105, y: 0 });
    expect(toModel(vp, { x: 105, y: 0 })).toEqual({ x: 10, y: 40 });
  });

  it('gives the canvas transform in device pixels', () => {
    expect(canvasTransform(vp, 1)).toEqual([0.5, 0, 0, 0.5, 100, -20]);
    expect(canvasTransform(vp, 2)).toEqual([1, 0, 0, 1, 200, -40]);
  });

  it('sizes the backing store by the device pixel ratio', () => {
    expect(backingSize(690, 719, 1)).toEqual({ width: 690, height: 719 });
    expect(backingSize(690, 719, 2)).toEqual({ width: 1380, height: 1438 });
    expect(backingSize(100.4, 50.6, 1.25)).toEqual({ width: 126, height: 63 });
    expect(backingSize(0, 0, Number.NaN)).toEqual({ width: 1, height: 1 });
  });

  it('knows the visible model box (for culling)', () => {
    expect(visibleModelBox(vp, 200, 100)).toEqual({ x1: -200, y1: 40, x2: 200, y2: 240 });
    expect(visibleModelBox(vp, 200, 100, 10)).toEqual({ x1: -220, y1: 20, x2: 220, y2: 260 });
  });

  it('moves a picture from one viewport to another', () => {
    const to = { zoom: 1, pan: { x: 50, y: 10 } };
    const { k, dx, dy } = retarget(vp, to);
    const p = { x: 30, y: 70 };
    const a = toScreen(vp, p);
    const b = toScreen(to, p);
    expect(k * a.x + dx).toBeCloseTo(b.x);
    expect(k * a.y + dy).toBeCloseTo(b.y);
  });
});

describe('fit and centre', () => {
  it('fits a box inside the padding, centred in the free area', () => {
    const v = fitViewport({ x1: 0, y1: 0, x2: 1000, y2: 500 }, 600, 400, { left: 50, right: 50, top: 0, bottom: 0 }, 0.02, 2)!;
    expect(v.zoom).toBeCloseTo(0.5);
    expect(toScreen(v, { x: 500, y: 250 })).toEqual({ x: 300, y: 200 });
    expect(toScreen(v, { x: 0, y: 0 }).x).toBeCloseTo(50);
    expect(fitViewport({ x1: 0, y1: 0, x2: 10, y2: 10 }, 600, 400, { left: 0, right: 0, top: 0, bottom: 0 }, 0.02, 2)!.zoom).toBe(2);
    expect(fitViewport({ x1: 0, y1: 0, x2: 10, y2: 10 }, 0, 400, { left: 0, right: 0, top: 0, bottom: 0 }, 0.02, 2)).toBeNull();
  });

  it('centres at the current zoom unless the node would be unreadably small', () => {
    expect(centreZoom(1.2, 0.4)).toBe(1.2); // readable: keep the zoom (never 4× in)
    expect(centreZoom(0.3, 0.3)).toBeCloseTo(0.45); // at most 1.5× the fit zoom
    expect(centreZoom(0.45, 0.45)).toBeCloseTo(0.6); // up to the readable zoom
    expect(centreZoom(0.5, 0.2)).toBe(0.5); // never zooms out
  });

  it('pans a model point to a screen point', () => {
    const pan = panToShow({ x: 10, y: 20 }, 2, { x: 300, y: 200 });
    expect(toScreen({ zoom: 2, pan }, { x: 10, y: 20 })).toEqual({ x: 300, y: 200 });
  });
});
