/**
 * Cheap numerical rank and top singular values of a weight change ΔW (m × n): randomized subspace iteration
 * (Halko, Martinsson & Tropp 2011, alg. 4.4) with r probe vectors. The products with ΔW and ΔWᵀ — the only
 * O(m·n·r) work — run in a small onnxruntime Gemm program; the r-column orthonormalizations (Gram–Schmidt) and
 * the r × r symmetric eigenproblem (Jacobi) are float64 bookkeeping in JS. A rank-one ΔW gives σ₂/σ₁ at float32
 * rounding level (~1e-6), far under RANK_TOLERANCE.
 */
import { GraphBuilder, type BuiltProgram } from '../../native/onnx/builder';
import { getProgram, ort } from '../../native/session';
import { mulberry32 } from '../../shared/prng';
import { RANK_TOLERANCE, type WeightRank } from '../../shared/diff';

function gemmProgram(transA: boolean): BuiltProgram {
  const g = new GraphBuilder(`diff-gemm-${transA ? 't' : 'n'}`);
  const a = g.input('a', 'float32', ['P', 'Q']);
  const b = g.input('b', 'float32', [transA ? 'P' : 'Q', 'R']);
  g.output(g.op('Gemm', [a, b], { transA: transA ? 1 : 0 }), 'c', 'float32', [transA ? 'Q' : 'P', 'R']);
  return g.build();
}

/** a·b, or aᵀ·b: a is [p, q] row-major. */
async function gemm(a: Float32Array, p: number, q: number, b: Float32Array, r: number, transA: boolean): Promise<Float32Array> {
  const prog = await getProgram(`diff|gemm|${transA}`, () => gemmProgram(transA));
  const out = await prog.run({ a: new ort.Tensor('float32', a, [p, q]), b: new ort.Tensor('float32', b, [transA ? p : q, r]) });
  return out.c.data as Float32Array;
}

/** Orthonormal columns of x [rows, r] (modified Gram–Schmidt in float64); columns that vanish become zero. */
function orthonormalize(x: Float32Array, rows: number, r: number): Float32Array {
  const cols: Float64Array[] = [];
  for (let j = 0; j < r; j++) {
    const c = new Float64Array(rows);
    for (let i = 0; i < rows; i++) c[i] = x[i * r + j];
    for (const q of cols) {
      let dot = 0;
      for (let i = 0; i < rows; i++) dot += q[i] * c[i];
      for (let i = 0; i < rows; i++) c[i] -= dot * q[i];
    }
    let n = 0;
    for (let i = 0; i < rows; i++) n += c[i] * c[i];
    n = Math.sqrt(n);
    if (n > 0) for (let i = 0; i < rows; i++) c[i] /= n;
    cols.push(c);
  }
  const out = new Float32Array(rows * r);
  for (let j = 0; j < r; j++) for (let i = 0; i < rows; i++) out[i * r + j] = cols[j][i];
  return out;
}

/** Eigenvalues of a symmetric matrix (cyclic Jacobi), descending. */
export function symmetricEigenvalues(s: Float64Array, r: number): number[] {
  const a = Float64Array.from(s);
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let i = 0; i < r; i++) for (let j = i + 1; j < r; j++) off += a[i * r + j] ** 2;
    if (off <= 1e-30 * Math.max(1e-300, [...Array(r).keys()].reduce((t, i) => t + a[i * r + i] ** 2, 0))) break;
    for (let p = 0; p < r; p++) {
      for (let q = p + 1; q < r; q++) {
        const apq = a[p * r + q];
        if (apq === 0) continue;
        const theta = (a[q * r + q] - a[p * r + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const sn = t * c;
        for (let k = 0; k < r; k++) {
          const akp = a[k * r + p];
          const akq = a[k * r + q];
          a[k * r + p] = c * akp - sn * akq;
          a[k * r + q] = sn * akp + c * akq;
        }
        for (let k = 0; k < r; k++) {
          const apk = a[p * r + k];
          const aqk = a[q * r + k];
          a[p * r + k] = c * apk - sn * aqk;
          a[q * r + k] = sn * apk + c * aqk;
        }
      }
    }
  }
  return [...Array(r).keys()].map((i) => a[i * r + i]).sort((x, y) => y - x);
}

export interface RankOptions {
  readonly probes?: number;
  readonly powerIterations?: number;
  readonly seed?: number;
}

/** Numerical rank of d [m, n] (see RANK_TOLERANCE); `frobSq` = ‖d‖²_F, computed by the caller. */
export async function estimateRank(d: Float32Array, m: number, n: number, frobSq: number, o: RankOptions = {}): Promise<WeightRank> {
  const r = Math.min(o.probes ?? 12, m, n);
  if (frobSq === 0 || r === 0) return { rank: 0, atLeast: false, probes: r, singularValues: [], rankOneEnergy: 0 };
  const rand = mulberry32(o.seed ?? 7);
  const omega = new Float32Array(n * r);
  for (let i = 0; i < omega.length; i++) omega[i] = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  let q = orthonormalize(await gemm(d, m, n, omega, r, false), m, r);
  for (let it = 0; it < (o.powerIterations ?? 2); it++) {
    const z = orthonormalize(await gemm(d, m, n, q, r, true), n, r);
    q = orthonormalize(await gemm(d, m, n, z, r, false), m, r);
  }
  // Bᵀ = ΔWᵀ·Q [n, r]; the singular values of B = Qᵀ·ΔW are those of ΔW restricted to the range found.
  const bt = await gemm(d, m, n, q, r, true);
  const s = new Float64Array(r * r);
  for (let i = 0; i < r; i++) {
    for (let j = i; j < r; j++) {
      let acc = 0;
      for (let k = 0; k < n; k++) acc += bt[k * r + i] * bt[k * r + j];
      s[i * r + j] = s[j * r + i] = acc;
    }
  }
  const sv = symmetricEigenvalues(s, r).map((l) => Math.sqrt(Math.max(0, l)));
  const rank = sv.filter((x) => x > RANK_TOLERANCE * sv[0]).length;
  return { rank, atLeast: rank === r && r < Math.min(m, n), probes: r, singularValues: sv, rankOneEnergy: Math.min(1, sv[0] ** 2 / frobSq) };
}
