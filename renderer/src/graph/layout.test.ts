import { describe, expect, it } from 'vitest';
import { cellGrid, centreOutSlots, computeLayout, DEFAULT_LAYOUT, levelOf, type LayoutNode } from './layout';

const L = 3;
let next = 0;
const node = (kind: LayoutNode['kind'], layer: number, pos: number, influence = 0): LayoutNode => ({ index: next++, kind, layer, pos, influence });

describe('levelOf', () => {
  it('puts embeddings at 0, layers at 1..L, logits at L+1', () => {
    expect(levelOf({ kind: 'token', layer: -1 }, L)).toBe(0);
    expect(levelOf({ kind: 'feature', layer: 0 }, L)).toBe(1);
    expect(levelOf({ kind: 'error', layer: 2 }, L)).toBe(3);
    expect(levelOf({ kind: 'logit', layer: L }, L)).toBe(4);
  });
});

describe('cellGrid / centreOutSlots', () => {
  it('is wider than tall and holds every node', () => {
    for (const n of [1, 2, 3, 7, 50, 333]) {
      const g = cellGrid(n, 2);
      expect(g.cols * g.rows).toBeGreaterThanOrEqual(n);
      expect(g.cols).toBeGreaterThanOrEqual(g.rows);
    }
  });
  it('orders slots from the centre outwards', () => {
    const s = centreOutSlots(5, 3, 10, 10);
    expect(s[0]).toEqual({ x: 0, y: 0 });
    const d = s.map((p) => Math.hypot(p.x, p.y));
    for (let i = 1; i < d.length; i++) expect(d[i]).toBeGreaterThanOrEqual(d[i - 1]);
    expect(new Set(s.map((p) => `${p.x},${p.y}`)).size).toBe(15);
  });
});

describe('computeLayout', () => {
  const nodes: LayoutNode[] = [];
  for (let p = 0; p < 4; p++) nodes.push(node('token', -1, p));
  for (let l = 0; l < L; l++) for (let p = 1; p < 4; p++) {
    for (let k = 0; k < 6; k++) nodes.push(node('feature', l, p, Math.random() * 0.01));
    nodes.push(node('error', l, p, 0.001));
  }
  const star = node('feature', 1, 2, 0.5); // the most influential node of its cell
  nodes.push(star);
  nodes.push(node('logit', L, 3, 0), node('logit', L, 3, 0));
  const layout = computeLayout(nodes, L, 4);
  const at = (n: LayoutNode) => layout.positions.get(n.index)!;

  it('places every node, without overlaps', () => {
    expect(layout.positions.size).toBe(nodes.length);
    expect(new Set([...layout.positions.values()].map((p) => `${p.x},${p.y}`)).size).toBe(nodes.length);
  });

  it('puts embeddings at the bottom, logits on top and layers in order', () => {
    const ys = (pred: (n: LayoutNode) => boolean) => nodes.filter(pred).map((n) => at(n).y);
    const maxY = Math.max(...layout.rows.map((r) => r.centre));
    for (const y of ys((n) => n.kind === 'token')) expect(y).toBe(maxY);
    for (const y of ys((n) => n.kind === 'logit')) expect(y).toBeLessThan(Math.min(...ys((n) => n.kind !== 'logit')));
    for (let l = 1; l < L; l++) {
      expect(Math.max(...ys((n) => n.kind !== 'token' && n.kind !== 'logit' && n.layer === l))).toBeLessThan(
        Math.min(...ys((n) => n.kind !== 'token' && n.kind !== 'logit' && n.layer === l - 1)),
      );
    }
  });

  it('gives each position its own column, left to right', () => {
    for (let p = 1; p < 4; p++) {
      const prevMax = Math.max(...nodes.filter((n) => n.pos === p - 1).map((n) => at(n).x));
      const min = Math.min(...nodes.filter((n) => n.pos === p).map((n) => at(n).x));
      expect(min).toBeGreaterThan(prevMax);
    }
  });

  it('puts the most influential node in the centre of its cell', () => {
    const cell = nodes.filter((n) => n.kind !== 'token' && n.kind !== 'logit' && n.layer === 1 && n.pos === 2);
    const xs = cell.map((n) => at(n).x);
    const ys = cell.map((n) => at(n).y);
    const cx = (Math.min(...xs) + Math.max(...xs)) / 2;
    const cy = (Math.min(...ys) + Math.max(...ys)) / 2;
    const dist = (n: LayoutNode) => Math.hypot(at(n).x - cx, at(n).y - cy);
    for (const n of cell) expect(dist(star)).toBeLessThanOrEqual(dist(n));
  });

  it('is deterministic', () => {
    const again = computeLayout([...nodes].reverse(), L, 4);
    for (const n of nodes) expect(again.positions.get(n.index)).toEqual(at(n));
  });

  it('spreads the rows to the canvas aspect, within bounds', () => {
    const flat = computeLayout(nodes, L, 4);
    const tall = computeLayout(nodes, L, 4, { ...DEFAULT_LAYOUT, targetAspect: 0.5 });
    expect(tall.height).toBeGreaterThan(flat.height);
    expect(tall.width).toBe(flat.width);
    const wide = computeLayout(nodes, L, 4, { ...DEFAULT_LAYOUT, targetAspect: 100 });
    expect(wide.height).toBe(flat.height); // never below the minimum gap
  });

  it('lays out 3,000 nodes quickly', () => {
    const big: LayoutNode[] = [];
    for (let i = 0; i < 3000; i++) big.push({ index: i, kind: 'feature', layer: i % 6, pos: i % 20, influence: (i * 7919) % 1000 });
    const t = performance.now();
    const l = computeLayout(big, 6, 20);
    expect(l.positions.size).toBe(3000);
    expect(performance.now() - t).toBeLessThan(200);
  });
});
