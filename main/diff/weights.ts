/**
 * The weights level: per tensor the change ΔW = W_B − W_A — relative Frobenius norm, max |Δ|, changed entries —
 * and, for matrices, its numerical rank (lowRank.ts); per component (a layer's attention, MLP, each norm; the
 * embeddings) the aggregate relative change. Both lists ranked, biggest relative change first. The elementwise
 * work runs in a small onnxruntime program (difference, sums of squares, max, count of nonzeros).
 */
import type { ModelSpec } from '../../shared/model';
import { weightNames } from '../../shared/model';
import type { ComponentRow, WeightRow } from '../../shared/diff';
import { GraphBuilder, type BuiltProgram } from '../../native/onnx/builder';
import { getProgram, ort } from '../../native/session';
import { estimateRank } from './lowRank';

function statsProgram(): BuiltProgram {
  const g = new GraphBuilder('diff-weight-stats');
  const a = g.input('a', 'float32', ['N']);
  const b = g.input('b', 'float32', ['N']);
  const d = g.sub(b, a);
  g.output(d, 'd', 'float32', ['N']);
  g.output(g.op('ReduceSumSquare', [d], { keepdims: 0 }), 'dsq', 'float32', []);
  g.output(g.op('ReduceSumSquare', [a], { keepdims: 0 }), 'asq', 'float32', []);
  g.output(g.op('ReduceMax', [g.op('Abs', [d])], { keepdims: 0 }), 'dmax', 'float32', []);
  const nz = g.op('Cast', [g.op('Not', [g.op('Equal', [d, g.scalarF(0)])])], { to: 1 });
  g.output(g.op('ReduceSum', [nz], { keepdims: 0 }), 'nz', 'float32', []);
  return g.build();
}

interface Stats {
  readonly d: Float32Array;
  readonly dsq: number;
  readonly asq: number;
  readonly dmax: number;
  readonly nz: number;
}

async function tensorStats(a: Float32Array, b: Float32Array): Promise<Stats> {
  const prog = await getProgram('diff|weight-stats', statsProgram);
  const r = await prog.run({ a: new ort.Tensor('float32', a, [a.length]), b: new ort.Tensor('float32', b, [b.length]) });
  const one = (k: string) => Number((r[k].data as Float32Array)[0]);
  return { d: r.d.data as Float32Array, dsq: one('dsq'), asq: one('asq'), dmax: one('dmax'), nz: Math.round(one('nz')) };
}

/** Layer and component of a canonical weight name (shared/model.ts weightNames). */
export function componentOf(name: string): { layer: number | null; component: string; id: string } {
  const m = /^blocks\.(\d+)\.([A-Za-z0-9_]+)\./.exec(name);
  if (m) return { layer: Number(m[1]), component: m[2], id: `blocks.${m[1]}.${m[2]}` };
  const g = name.split('.')[0];
  return { layer: null, component: g, id: g };
}

export interface WeightsDiff {
  readonly identical: boolean;
  readonly tensors: WeightRow[];
  readonly components: ComponentRow[];
}

export interface WeightsOptions {
  readonly probes?: number;
  readonly signal?: AbortSignal;
}

export async function diffWeights(a: ModelSpec, b: ModelSpec, o: WeightsOptions = {}): Promise<WeightsDiff> {
  const tied = a.weights.get(weightNames.unembed) === a.weights.get(weightNames.embed) && b.weights.get(weightNames.unembed) === b.weights.get(weightNames.embed);
  const rows: WeightRow[] = [];
  const groups = new Map<string, { layer: number | null; component: string; dsq: number; asq: number; tensors: string[] }>();
  for (const [name, ta] of a.weights) {
    if (tied && name === weightNames.unembed) continue; // the same tensor as the embedding
    o.signal?.throwIfAborted();
    const tb = b.weights.get(name)!;
    const s = await tensorStats(ta.data, tb.data);
    const where = componentOf(name);
    const rank = ta.shape.length === 2 ? await estimateRank(s.d, ta.shape[0], ta.shape[1], s.dsq, { probes: o.probes }) : null;
    rows.push({
      name, layer: where.layer, component: where.component, shape: [...ta.shape],
      // A tensor that was all zeros has no scale: any change of it counts as relative change 1.
      relChange: s.asq > 0 ? Math.sqrt(s.dsq / s.asq) : s.dsq > 0 ? 1 : 0,
      absChange: Math.sqrt(s.dsq), maxAbs: s.dmax, changedEntries: s.nz, rank,
    });
    let gr = groups.get(where.id);
    if (!gr) groups.set(where.id, (gr = { layer: where.layer, component: where.component, dsq: 0, asq: 0, tensors: [] }));
    gr.dsq += s.dsq;
    gr.asq += s.asq;
    gr.tensors.push(name);
  }
  const byChange = <T extends { relChange: number; absChange: number }>(x: T, y: T) => y.relChange - x.relChange || y.absChange - x.absChange;
  rows.sort(byChange);
  const components: ComponentRow[] = [...groups].map(([id, gr]) => ({
    id, layer: gr.layer, component: gr.component,
    relChange: gr.asq > 0 ? Math.sqrt(gr.dsq / gr.asq) : gr.dsq > 0 ? 1 : 0, absChange: Math.sqrt(gr.dsq), tensors: gr.tensors,
  }));
  components.sort(byChange);
  return { identical: rows.every((r) => r.changedEntries === 0), tensors: rows, components };
}
