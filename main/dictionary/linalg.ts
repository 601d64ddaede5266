/** Small dense linear algebra for bookkeeping-sized problems (d × d with d ≤ a few hundred). */

/**
 * Least-squares W (d_out × d_in, y ≈ W·x) from N rows, via the normal equations in float64 with a tiny ridge
 * (keeps it solvable when inputs are rank-deficient). O(N·d² + d³): fine for d = 64..1024 once per layer.
 */
export function leastSquares(x: Float32Array, y: Float32Array, n: number, d: number, ridge = 1e-6): Float32Array {
  const xtx = new Float64Array(d * d);
  const xty = new Float64Array(d * d);
  for (let r = 0; r < n; r++) {
    const o = r * d;
    for (let i = 0; i < d; i++) {
      const xi = x[o + i];
      if (xi === 0) continue;
      for (let j = 0; j < d; j++) {
        xtx[i * d + j] += xi * x[o + j];
        xty[i * d + j] += xi * y[o + j];
      }
    }
  }
  let trace = 0;
  for (let i = 0; i < d; i++) trace += xtx[i * d + i];
  for (let i = 0; i < d; i++) xtx[i * d + i] += (ridge * trace) / d + 1e-12;
  const sol = solveSpd(xtx, xty, d); // (d_in × d_out): x·sol ≈ y
  const w = new Float32Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) w[j * d + i] = sol[i * d + j];
  return w;
}

/** Solves A·X = B for symmetric positive-definite A (d × d) and B (d × m) by Cholesky. */
export function solveSpd(a: Float64Array, b: Float64Array, d: number, m = d): Float64Array {
  const L = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * d + j];
      for (let k = 0; k < j; k++) s -= L[i * d + k] * L[j * d + k];
      L[i * d + j] = i === j ? Math.sqrt(Math.max(s, 1e-300)) : s / L[j * d + j];
    }
  }
  const x = new Float64Array(b);
  for (let c = 0; c < m; c++) {
    for (let i = 0; i < d; i++) {
      let s = x[i * m + c];
      for (let k = 0; k < i; k++) s -= L[i * d + k] * x[k * m + c];
      x[i * m + c] = s / L[i * d + i];
    }
    for (let i = d - 1; i >= 0; i--) {
      let s = x[i * m + c];
      for (let k = i + 1; k < d; k++) s -= L[k * d + i] * x[k * m + c];
      x[i * m + c] = s / L[i * d + i];
    }
  }
  return x;
}
