import { describe, expect, it } from 'vitest';
import type { GraphNode } from '../../../shared/api';
import { diffNodes } from './diff';
import { cyIds, logitLines, nodeElement, nodeLabel } from './elements';
import { edgeStrength, edgeWeightScale, FEATURE_LEVELS, featureColor, featureLevel, levelStrength, relativeInfluence } from './scales';

describe('diffNodes', () => {
  it('adds everything from an empty view', () => {
    const d = diffNodes(new Set(), [1, 2, 3]);
    expect(d.add).toEqual([1, 2, 3]);
    expect(d.remove).toEqual([]);
  });

  it('removes and adds only what changed', () => {
    const d = diffNodes(new Set([1, 2, 3, 4]), [1, 3, 4, 5]);
    expect(d.add).toEqual([5]);
    expect(d.remove).toEqual([2]);
    expect(d.next.size).toBe(4);
  });

  it('is empty for an identical view', () => {
    const d = diffNodes(new Set([1, 2]), [2, 1]);
    expect(d.add.length + d.remove.length).toBe(0);
  });
});

describe('elements', () => {
  const node = (p: Partial<GraphNode>): GraphNode => ({ index: 0, id: 'x', kind: 'feature', layer: 0, pos: 1, feature: 17, activation: 1, prob: null, influence: 0, label: 'L0 #17', ...p });

  it('keeps ids unique even for duplicate node ids', () => {
    const ids = cyIds([{ index: 0, id: 'a' }, { index: 1, id: 'a' }, { index: 2, id: 'b' }]);
    expect(new Set(ids.values()).size).toBe(3);
    expect(ids.get(0)).toBe('a');
  });

  it('labels nodes briefly with visible whitespace', () => {
    const text = () => ' upon';
    expect(nodeLabel(node({}), text)).toBe('#17');
    expect(nodeLabel(node({ kind: 'token' }), text)).toBe('·upon');
    expect(nodeLabel(node({ kind: 'logit', label: ' Lily', prob: 0.25 }), text)).toBe('·Lily 25%');
    expect(nodeLabel(node({ kind: 'error' }), text)).toBe('');
  });

  it('gives logits a two-line label too', () => {
    expect(logitLines(node({ kind: 'logit', label: ' Lily', prob: 0.25 }))).toEqual(['·Lily', '25%']);
    expect(logitLines(node({ kind: 'logit', label: ' Lily', prob: null }))).toEqual(['·Lily']);
    expect(nodeElement(node({ kind: 'logit', label: ' Lily', prob: 0.25 }), 'l', { x: 0, y: 0 }, 1, () => '').data.label2).toBe('·Lily\n25%');
    expect(nodeElement(node({}), 'f', { x: 0, y: 0 }, 1, () => '').data.label2).toBeUndefined();
  });

  it('sizes edges by |weight| on a fixed scale', () => {
    expect(edgeStrength(2, 4)).toBeGreaterThan(edgeStrength(-0.5, 4));
    expect(edgeStrength(-2, 4)).toBe(edgeStrength(2, 4));
    expect(edgeStrength(100, 1)).toBe(1); // clamped
  });
});

describe('scales', () => {
  it('uses a robust edge scale', () => {
    const w = Array.from({ length: 100 }, (_, i) => (i === 99 ? 1000 : i % 2 ? 1 : -1));
    expect(edgeWeightScale(w)).toBe(1);
    expect(edgeWeightScale([])).toBe(1);
  });
  it('puts features into a few looks (one stylesheet class each), strongest at full strength', () => {
    expect(featureLevel(0)).toBe(0);
    expect(featureLevel(1)).toBe(FEATURE_LEVELS - 1);
    expect(featureLevel(2)).toBe(FEATURE_LEVELS - 1);
    expect(featureLevel(0.5)).toBeLessThan(featureLevel(0.6));
    expect(levelStrength(FEATURE_LEVELS - 1)).toBe(1);
    const node = (influence: number): GraphNode => ({ index: 0, id: 'x', kind: 'feature', layer: 0, pos: 1, feature: 1, activation: 1, prob: null, influence, label: '' });
    expect(nodeElement(node(1), 'a', { x: 0, y: 0 }, 1, () => '').classes).toBe(`feature f${FEATURE_LEVELS - 1}`);
    expect(nodeElement(node(0), 'a', { x: 0, y: 0 }, 1, () => '').classes).toBe('feature f0');
  });
  it('maps influence monotonically', () => {
    expect(relativeInfluence(0.5, 0.5)).toBe(1);
    expect(relativeInfluence(0.1, 0.5)).toBeLessThan(relativeInfluence(0.2, 0.5));
    expect(relativeInfluence(1, 0)).toBe(0);
    expect(featureColor(0)).not.toBe(featureColor(1));
  });
});
