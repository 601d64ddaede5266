/**
 * The exported figures (renderer/src/present): the subgraph figure and the graph canvas as SVG. Checked against
 * the data they draw (one box per shown group, one path per kept edge, labels as text, colours by sign) and
 * against the evidence report's SVG sanitizer (main/explain/report.ts), which must keep every element and
 * label — a figure the report silently strips would be an empty figure in the reviewer's file.
 */
import { describe, expect, it } from 'vitest';
import type { GraphNode, GraphSummary } from '../shared/api';
import type { SubgraphStats } from '../shared/apiExplain';
import { sanitizeSvg } from '../main/explain/report';
import { figureExtraNodes, subgraphFigure } from '../renderer/src/present/figure';
import { sceneSvg } from '../renderer/src/present/sceneSvg';
import { EDGE_NEGATIVE, EDGE_POSITIVE } from '../renderer/src/graph/scales';
import type { GraphScene } from '../renderer/src/graph/scene';

const node = (p: Partial<GraphNode> & Pick<GraphNode, 'index' | 'id' | 'kind'>): GraphNode => ({ layer: 0, pos: 0, feature: null, activation: null, prob: null, influence: 0, label: '', ...p });

const nodes: GraphNode[] = [
  node({ index: 0, id: '1_10_2', kind: 'feature', layer: 1, pos: 2, feature: 10, label: 'L1 #10' }),
  node({ index: 1, id: '2_20_2', kind: 'feature', layer: 2, pos: 2, feature: 20, label: 'L2 #20' }),
  node({ index: 2, id: '3_30_2', kind: 'feature', layer: 3, pos: 2, feature: 30, label: 'L3 #30' }),
  node({ index: 3, id: 'E_5_0', kind: 'token', layer: -1, pos: 0, label: '<s>' }),
  node({ index: 4, id: 'E_6_1', kind: 'token', layer: -1, pos: 1, label: ' girl' }),
  node({ index: 5, id: 'E_7_2', kind: 'token', layer: -1, pos: 2, label: ' named' }),
  node({ index: 6, id: '5_42_2', kind: 'logit', layer: 5, pos: 2, prob: 0.6, label: ' Lily' }),
  node({ index: 7, id: '5_43_2', kind: 'logit', layer: 5, pos: 2, prob: 0.1, label: ' Sue' }),
];
const graph: GraphSummary = {
  graphId: 'g1',
  source: { kind: 'trace' },
  prompt: '<s> girl named',
  tokens: [{ id: 5, text: '<s>' }, { id: 6, text: ' girl' }, { id: 7, text: ' named' }],
  nLayers: 5,
  nPos: 3,
  nodes,
  scores: { replacement: 0.9, completeness: 0.95 },
  activeFeatureCount: null,
  model: null,
  dictionary: null,
  attributionMs: null,
};
const group = (kind: 'supernode' | 'node', id: string, label: string, ns: number[]) => ({ kind, id, label, nodes: ns, inputAbs: 1, outsideShare: 0.5, errorShare: 0.1 });
// Groups: the supernode, the loose feature, the tokens and logits (as the work store requests them).
const stats: SubgraphStats = {
  graphId: 'g1',
  groups: [
    group('supernode', 'sn1', 'say <Lily> & "co"', [0, 1]),
    group('node', '3_30_2', 'L3 #30', [2]),
    group('node', 'E_5_0', '<s>', [3]),
    group('node', 'E_6_1', ' girl', [4]),
    group('node', 'E_7_2', ' named', [5]),
    group('node', '5_42_2', ' Lily', [6]),
    group('node', '5_43_2', ' Sue', [7]),
  ],
  edges: [
    { source: 0, target: 5, weight: 2 },
    { source: 4, target: 0, weight: 1.2 },
    { source: 1, target: 6, weight: -0.8 },
    { source: 3, target: 1, weight: 0.5 },
    { source: 2, target: 0, weight: 0.01 }, // below 3 % of the strongest: left out, and "<s>" with it
  ],
  scoredNodes: [],
  scores: { replacement: 0.5, completeness: 0.6 },
  graphScores: { replacement: 0.9, completeness: 0.95 },
};

const count = (s: string, re: RegExp) => (s.match(re) ?? []).length;

describe('subgraph figure', () => {
  it('asks for every token and the top logits besides the work', () => {
    expect(figureExtraNodes(graph, 1)).toEqual([3, 4, 5, 6]);
  });

  it('draws one box per shown group and one path per kept edge, labels as escaped text', () => {
    const f = subgraphFigure({ graph, stats, nodeLabels: { '3_30_2': 'pronoun' }, featureLabels: {}, title: 'Circuit for “<s> girl named”' });
    // Shown: supernode, loose feature, " girl", " named", both logits; "<s>" has only the dropped edge.
    expect(f.boxes.map((b) => b.kind).sort()).toEqual(['feature', 'logit', 'logit', 'supernode', 'token', 'token']);
    expect(f.edges).toBe(4);
    expect(count(f.svg, /<path /g)).toBe(4);
    expect(count(f.svg, new RegExp(`<path [^>]*stroke="${EDGE_NEGATIVE}"`, 'g'))).toBe(1);
    expect(count(f.svg, new RegExp(`<path [^>]*stroke="${EDGE_POSITIVE}"`, 'g'))).toBe(3);
    expect(f.svg).toContain('say &lt;Lily&gt; &amp; &quot;co&quot;');
    expect(f.svg).toContain('>pronoun<');
    expect(f.svg).toContain('2 nodes · L1,2');
    expect(f.svg).not.toContain('<s>');
    // Logits above the supernode above the tokens.
    const y = (kind: string) => f.boxes.find((b) => b.kind === kind)!.y;
    expect(y('logit')).toBeLessThan(y('supernode'));
    expect(y('supernode')).toBeLessThan(y('token'));
  });

  it('survives the evidence report’s sanitizer whole', () => {
    const f = subgraphFigure({ graph, stats, nodeLabels: {}, featureLabels: { '3_30': 'dictionary label' }, title: 'T' });
    const clean = sanitizeSvg(f.svg);
    for (const tag of ['<text', '<path', '<rect', '<title', '<g']) expect(count(clean, new RegExp(tag, 'g'))).toBe(count(f.svg, new RegExp(tag, 'g')));
    expect(clean).toContain('say &lt;Lily&gt; &amp; &quot;co&quot;');
    expect(clean).toContain('dictionary label');
  });
});

describe('graph canvas SVG', () => {
  const scene: GraphScene = {
    region: { x1: 0, y1: 0, x2: 400, y2: 300 },
    zoom: 1,
    nodes: [
      { index: 0, id: '1_10_2', kind: 'feature', x: 100, y: 150, size: 20, label: '#10', level: 5, marks: ['pinned', 'supernode'], selected: false },
      { index: 1, id: '2_20_2', kind: 'feature', x: 140, y: 120, size: 14, label: '#20', level: 2, marks: ['pinned', 'supernode'], selected: false },
      { index: 2, id: '3_30_2', kind: 'feature', x: 200, y: 80, size: 12, label: '#30', level: 1, marks: [], selected: true },
      { index: 5, id: 'E_7_2', kind: 'token', x: 100, y: 280, size: 0, label: '·named', level: -1, marks: [], selected: false },
      { index: 6, id: '5_42_2', kind: 'logit', x: 200, y: 10, size: 0, label: '·Lily 60%', level: -1, marks: ['affected'], selected: false },
    ],
    edges: [
      { x1: 100, y1: 280, x2: 100, y2: 150, batch: 0 },
      { x1: 100, y1: 150, x2: 140, y2: 120, batch: 5 },
      { x1: 140, y1: 120, x2: 200, y2: 10, batch: 14 },
    ],
    edgeAlpha: 1,
    rows: [{ level: 0, y: 280 }, { level: 6, y: 10 }],
    nLayers: 5,
  };

  it('writes every node, edge, label and the supernode frame with its label', () => {
    const svg = sceneSvg(scene, { nodeLabels: { '3_30_2': 'she' }, featureLabels: { '2_20': 'girl names' }, supernodes: [{ id: 'sn1', label: 'say Lily', nodeIds: ['1_10_2', '2_20_2', 'gone'] }], title: 'View 1' });
    expect(count(svg, /<line /g)).toBe(3);
    expect(count(svg, /data-node=/g)).toBe(5);
    expect(svg).toContain('data-supernode="sn1"');
    for (const t of ['>say Lily<', '>she<', '>girl names<', '>#10<', '>·named<', '>·Lily 60%<', '>Emb<', '>Logits<', '>View 1<']) expect(svg).toContain(t);
    // Batches keep their sign colour: 5 (odd) inhibits, 14 (even) excites.
    expect(svg).toMatch(new RegExp(`<g stroke="${EDGE_NEGATIVE}"`));
    expect(svg).toMatch(new RegExp(`<g stroke="${EDGE_POSITIVE}"`));
    const clean = sanitizeSvg(svg);
    for (const tag of ['<text', '<line', '<circle', '<rect']) expect(count(clean, new RegExp(tag, 'g'))).toBe(count(svg, new RegExp(tag, 'g')));
  });
});
