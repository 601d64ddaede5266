import { describe, expect, it } from 'vitest';
import { BATCHES, batchOf, batchOfSlot, batchStyle, buildEdgeBatches, densityAlpha, DRAW_ORDER, drawRanges, lineWidthPx, MIN_LINE_PX, planFirstFrame, takeBudget, WIDTH_BUCKETS, widthBucket } from './edgeLayer';
import { EDGE_NEGATIVE, EDGE_POSITIVE } from './scales';

const pos = (pts: [number, number][]) => ({ xs: Float32Array.from(pts, (p) => p[0]), ys: Float32Array.from(pts, (p) => p[1]) });

describe('edge bucketing', () => {
  it('puts strengths into width buckets, weakest first', () => {
    expect(widthBucket(0)).toBe(0);
    expect(widthBucket(-1)).toBe(0);
    expect(widthBucket(Number.NaN)).toBe(0);
    expect(widthBucket(0.99 / WIDTH_BUCKETS)).toBe(0);
    expect(widthBucket(1 / WIDTH_BUCKETS)).toBe(1);
    expect(widthBucket(1)).toBe(WIDTH_BUCKETS - 1);
    expect(widthBucket(7)).toBe(WIDTH_BUCKETS - 1);
  });

  it('batches by (width bucket, sign) with excitatory before inhibitory', () => {
    expect(batchOf(1, 1)).toBe(2 * (WIDTH_BUCKETS - 1));
    expect(batchOf(-1, 1)).toBe(2 * (WIDTH_BUCKETS - 1) + 1);
    expect(batchOf(0.01, 1)).toBe(0);
    expect(batchOf(-0.01, 1)).toBe(1);
    expect(batchOf(-5, 10)).toBe(batchOf(5, 10) + 1);
  });

  it('styles batches: colour by sign, width and opacity grow with strength', () => {
    expect(batchStyle(0).color).toBe(EDGE_POSITIVE);
    expect(batchStyle(1).color).toBe(EDGE_NEGATIVE);
    for (let b = 2; b < BATCHES; b++) {
      expect(batchStyle(b).width).toBeGreaterThanOrEqual(batchStyle(b - 2).width);
      expect(batchStyle(b).alpha).toBeGreaterThanOrEqual(batchStyle(b - 2).alpha);
    }
    expect(batchStyle(BATCHES - 1).alpha).toBeLessThanOrEqual(1);
  });

  it('fades dense views so they do not turn into a solid sheet', () => {
    expect(densityAlpha(100)).toBe(1);
    expect(densityAlpha(8000)).toBeCloseTo(0.5);
    expect(densityAlpha(50_000)).toBe(0.2);
    expect(densityAlpha(500_000)).toBe(0.2);
  });

  it('keeps lines visible zoomed out and not ribbons zoomed in', () => {
    expect(lineWidthPx(0.6, 0.05)).toBe(MIN_LINE_PX);
    expect(lineWidthPx(3, 0.1)).toBeCloseTo(1.2);
    expect(lineWidthPx(3, 1)).toBe(3);
    expect(lineWidthPx(3, 6)).toBe(6);
  });
});

describe('buildEdgeBatches', () => {
  it('groups edges by batch (stable), skips edges with a hidden end, and maps slots both ways', () => {
    const { xs, ys } = pos([[0, 0], [10, 0], [20, 5], [Number.NaN, Number.NaN]]);
    // edges: strong +, weak -, strong -, weak +, and one into the hidden node 3
    const b = buildEdgeBatches([0, 1, 0, 1, 0], [1, 2, 2, 0, 3], [1, -0.01, -1, 0.02, 1], xs, ys, 1);
    expect(b.count).toBe(4);
    expect(b.starts).toHaveLength(BATCHES + 1);
    expect(b.starts[BATCHES]).toBe(4);
    expect(Array.from(b.edgeOfSlot)).toEqual([3, 1, 0, 2]); // weak +, weak −, strong +, strong −
    expect(Array.from(b.slotOfEdge)).toEqual([2, 1, 3, 0, -1]);
    expect(Array.from(b.coords.subarray(0, 4))).toEqual([10, 0, 0, 0]); // edge 3: node 1 → node 0
    expect(batchOfSlot(b, 0)).toBe(0);
    expect(batchOfSlot(b, 1)).toBe(1);
    expect(batchOfSlot(b, 2)).toBe(BATCHES - 2);
    expect(batchOfSlot(b, 3)).toBe(BATCHES - 1);
  });

  it('handles 50,000 edges in a few milliseconds', () => {
    const n = 3000;
    const xs = Float32Array.from({ length: n }, (_, i) => i % 60);
    const ys = Float32Array.from({ length: n }, (_, i) => Math.floor(i / 60));
    const m = 50_000;
    const s = Int32Array.from({ length: m }, (_, i) => i % n);
    const t = Int32Array.from({ length: m }, (_, i) => (i * 7919) % n);
    const w = Float32Array.from({ length: m }, (_, i) => Math.sin(i));
    const t0 = performance.now();
    const b = buildEdgeBatches(s, t, w, xs, ys, 0.9);
    expect(performance.now() - t0).toBeLessThan(500); // loose guard; typically ~5 ms
    expect(b.count).toBe(m);
    let sum = 0;
    for (let k = 0; k < BATCHES; k++) sum += b.starts[k + 1] - b.starts[k];
    expect(sum).toBe(m);
  });
});

describe('progressive drawing', () => {
  const { xs, ys } = pos([[0, 0], [100, 0]]);
  // 6 strong and 6 weak edges of length 100
  const b = buildEdgeBatches(new Array(12).fill(0), new Array(12).fill(1), [...new Array(6).fill(1), ...new Array(6).fill(0.01)], xs, ys, 1);
  const cost = () => 100;
  const slots = (rs: readonly { from: number; to: number }[]) => rs.flatMap((r) => Array.from({ length: r.to - r.from }, (_, k) => r.from + k));

  it('draws batches weakest first, alternating which sign goes first per width bucket', () => {
    expect([...DRAW_ORDER].sort((x, y) => x - y)).toEqual(Array.from({ length: BATCHES }, (_, i) => i));
    expect(DRAW_ORDER.slice(0, 4)).toEqual([0, 1, 3, 2]);
    expect(drawRanges(b).map((r) => r.batch)).toEqual([0, BATCHES - 2]);
  });

  it('draws a view that fits the budget in one frame, weakest first', () => {
    const p = planFirstFrame(b, 10_000, cost);
    expect(p.rest).toEqual([]);
    expect(slots(p.first)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it('puts the strongest edges in the first frame and the weaker rest, weakest first, in the next ones', () => {
    const p = planFirstFrame(b, 350, cost);
    expect(slots(p.first)).toEqual([6, 7, 8, 9]); // strong edges only
    let rest = p.rest;
    expect(rest[0].batch).toBe(0); // the weakest come first underneath
    const later: number[] = [];
    let frames = 0;
    while (rest.length > 0) {
      const step = takeBudget(rest, 350, cost);
      later.push(...slots(step.taken));
      rest = step.rest;
      frames++;
    }
    expect(frames).toBe(2);
    expect(later).toEqual([0, 1, 2, 3, 4, 5, 10, 11]);
  });

  it('always takes at least one slot', () => {
    expect(slots(takeBudget(drawRanges(b), 0, cost).taken)).toEqual([0]);
    expect(takeBudget([], 100, cost)).toEqual({ taken: [], rest: [] });
  });
});
