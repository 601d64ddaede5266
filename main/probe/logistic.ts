/**
 * L2-regularized logistic regression by Newton's method (IRLS) with a backtracking line search, on
 * standardized features. The problem is small (n items × d features of one hook, d ≤ a few thousand), so a
 * d×d Hessian and its Cholesky factor are cheap and Newton converges in a handful of steps, also when the
 * classes are (nearly) separable, where the L2 term keeps the optimum finite.
 *
 * Objective: (1/n) Σ logloss(σ(w·z + b), y) + (λ/2)‖w‖², z = (x − mean)/std; the bias is not penalized.
 */

export interface LogisticModel {
  /** In raw feature space: p = σ(w·x + b). */
  readonly w: Float64Array;
  readonly b: number;
  readonly iterations: number;
}

const sigmoid = (t: number) => (t >= 0 ? 1 / (1 + Math.exp(-t)) : Math.exp(t) / (1 + Math.exp(t)));
/** log(1 + e^t) without overflow. */
const softplus = (t: number) => (t > 0 ? t + Math.log1p(Math.exp(-t)) : Math.log1p(Math.exp(t)));

export interface Standardization {
  readonly mean: Float64Array;
  readonly std: Float64Array;
}

export function standardization(X: Float32Array, rows: readonly number[], d: number): Standardization {
  const mean = new Float64Array(d);
  const std = new Float64Array(d);
  for (const r of rows) for (let j = 0; j < d; j++) mean[j] += X[r * d + j] / rows.length;
  for (const r of rows) for (let j = 0; j < d; j++) std[j] += (X[r * d + j] - mean[j]) ** 2 / rows.length;
  // Constant features get std 1: their standardized value is 0 and their weight stays 0.
  for (let j = 0; j < d; j++) std[j] = std[j] > 1e-12 ? Math.sqrt(std[j]) : 1;
  return { mean, std };
}

/** Solves A x = v in place of v for a symmetric positive definite A (k×k, row-major; overwritten). */
function choleskySolve(A: Float64Array, v: Float64Array, k: number): void {
  for (let j = 0; j < k; j++) {
    let s = A[j * k + j];
    for (let p = 0; p < j; p++) s -= A[j * k + p] ** 2;
    const ljj = Math.sqrt(Math.max(s, 1e-300));
    A[j * k + j] = ljj;
    for (let i = j + 1; i < k; i++) {
      let t = A[i * k + j];
      for (let p = 0; p < j; p++) t -= A[i * k + p] * A[j * k + p];
      A[i * k + j] = t / ljj;
    }
  }
  for (let i = 0; i < k; i++) {
    let t = v[i];
    for (let p = 0; p < i; p++) t -= A[i * k + p] * v[p];
    v[i] = t / A[i * k + i];
  }
  for (let i = k - 1; i >= 0; i--) {
    let t = v[i];
    for (let p = i + 1; p < k; p++) t -= A[p * k + i] * v[p];
    v[i] = t / A[i * k + i];
  }
}

/** Fits on rows `rows` of X (n×d row-major) with labels y (0/1). */
export function fitLogistic(X: Float32Array, y: ArrayLike<number>, rows: readonly number[], d: number, l2: number, maxIter = 50): LogisticModel {
  const st = standardization(X, rows, d);
  const n = rows.length;
  const k = d + 1; // weights then bias
  const Z = new Float64Array(n * k);
  rows.forEach((r, i) => {
    for (let j = 0; j < d; j++) Z[i * k + j] = (X[r * d + j] - st.mean[j]) / st.std[j];
    Z[i * k + d] = 1;
  });
  const Y = Float64Array.from(rows, (r) => y[r]);
  const theta = new Float64Array(k);
  const margins = (th: Float64Array) => {
    const m = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < k; j++) s += Z[i * k + j] * th[j];
      m[i] = s;
    }
    return m;
  };
  const objective = (th: Float64Array) => {
    const m = margins(th);
    let f = 0;
    for (let i = 0; i < n; i++) f += softplus(m[i]) - Y[i] * m[i];
    let reg = 0;
    for (let j = 0; j < d; j++) reg += th[j] ** 2;
    return f / n + (l2 / 2) * reg;
  };
  let f = objective(theta);
  let it = 0;
  for (; it < maxIter; it++) {
    const m = margins(theta);
    const grad = new Float64Array(k);
    const H = new Float64Array(k * k);
    for (let i = 0; i < n; i++) {
      const p = sigmoid(m[i]);
      const r = (p - Y[i]) / n;
      const s = (p * (1 - p)) / n;
      const zi = i * k;
      for (let a = 0; a < k; a++) {
        const za = Z[zi + a];
        if (za === 0) continue;
        grad[a] += r * za;
        const sa = s * za;
        for (let c = 0; c <= a; c++) H[a * k + c] += sa * Z[zi + c];
      }
    }
    for (let a = 0; a < k; a++) for (let c = 0; c < a; c++) H[c * k + a] = H[a * k + c];
    for (let j = 0; j < d; j++) {
      grad[j] += l2 * theta[j];
      H[j * k + j] += l2;
    }
    H[d * k + d] += 1e-9; // the unpenalized bias: keep the system definite
    let gnorm = 0;
    for (let a = 0; a < k; a++) gnorm = Math.max(gnorm, Math.abs(grad[a]));
    if (gnorm < 1e-9) break;
    const step = Float64Array.from(grad);
    choleskySolve(H, step, k);
    // Backtracking: Newton's full step can overshoot on nearly separable data.
    let t = 1;
    let next = theta;
    let fNext = f;
    for (let ls = 0; ls < 30; ls++, t /= 2) {
      next = theta.map((v, j) => v - t * step[j]);
      fNext = objective(next);
      if (fNext <= f - 1e-4 * t * step.reduce((s, v, j) => s + v * grad[j], 0)) break;
    }
    const improvement = f - fNext;
    if (!(improvement >= 0)) break;
    theta.set(next);
    f = fNext;
    if (improvement < 1e-12) break;
  }
  // Back to raw features: w_raw = w/std, b_raw = b − Σ w·mean/std.
  const w = new Float64Array(d);
  let b = theta[d];
  for (let j = 0; j < d; j++) {
    w[j] = theta[j] / st.std[j];
    b -= w[j] * st.mean[j];
  }
  return { w, b, iterations: it };
}

export function predictLogistic(w: ArrayLike<number>, b: number, X: Float32Array, rows: readonly number[], d: number): Float64Array {
  return Float64Array.from(rows, (r) => {
    let s = b;
    for (let j = 0; j < d; j++) s += w[j] * X[r * d + j];
    return sigmoid(s);
  });
}
