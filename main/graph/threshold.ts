/**
 * circuit-tracer's `find_threshold(scores, τ)` (method brief §3.2) without sorting.
 *
 * Definition (sort-based): sort descending, cum = cumsum / total, idx = first index with cum ≥ τ (left
 * searchsorted), clamped to the last non-zero entry (the τ = 1.0 guard: a threshold of 0 would admit every
 * zero-weight non-edge), threshold = sorted[idx]; callers keep everything ≥ it, ties included.
 *
 * Why not sort: the edge scores are N² entries; a full sort is what runs out of memory upstream (issue #92)
 * and is far too slow for interactive re-pruning. Instead we copy the positive entries only and select:
 * a radix select on float32 bit patterns (edge scores) or a three-way quickselect (float64 influences),
 * both tracking the mass above the candidate range.
 *
 * Why exact comparisons: the answer compares a prefix sum with τ·total, and float addition is not
 * associative, so a selection algorithm (adding in partition order) and a sort (adding in sorted order)
 * would disagree in boundary cases (ties such as ten 0.1s at τ = 0.5 land exactly on the boundary). We
 * define the comparison in exact arithmetic, which makes the result a function of the values alone.
 * Fast path: float64 sums with an a-priori error bound decide the sign almost always. Slow path (near-ties
 * only): exact sums — values binned by float64 exponent and Veltkamp-split into two 26-bit halves, so
 * each bin's plain float64 running sums are exact for up to 2^26 values — combined with Shewchuk's fsum.
 */

const EXP_BINS = 2048;
/** Two float64 slots (hi half, lo half) per exponent bin. */
export type ExactParts = Float64Array;

const scratch = new Float64Array(1);
const scratchWords = new Uint32Array(scratch.buffer);
/** Index of the 32-bit word holding sign and exponent (platform endianness). */
const HI_WORD = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
const SPLITTER = 134217729; // 2^27 + 1 (Veltkamp)

export function newParts(): ExactParts {
  return new Float64Array(2 * EXP_BINS);
}

/** Add a finite value (|x| < 1e290) to an exact accumulator. */
export function addExact(parts: ExactParts, x: number): void {
  scratch[0] = x;
  const bin = (scratchWords[HI_WORD] >>> 20) & 0x7ff;
  const c = SPLITTER * x;
  const hi = c - (c - x);
  parts[2 * bin] += hi;
  parts[2 * bin + 1] += x - hi;
}

/** Correctly rounded float sum of a list of doubles (Shewchuk / Python `math.fsum`). */
export function fsum(values: ArrayLike<number>): number {
  const partials: number[] = [];
  for (let k = 0; k < values.length; k++) {
    let x = values[k];
    if (x === 0) continue;
    let i = 0;
    for (let j = 0; j < partials.length; j++) {
      let y = partials[j];
      if (Math.abs(x) < Math.abs(y)) [x, y] = [y, x];
      const hi = x + y;
      const lo = y - (hi - x);
      if (lo !== 0) partials[i++] = lo;
      x = hi;
    }
    partials.length = i;
    partials.push(x);
  }
  let n = partials.length;
  if (n === 0) return 0;
  let hi = partials[--n];
  let lo = 0;
  while (n > 0) {
    const x = hi;
    const y = partials[--n];
    hi = x + y;
    lo = y - (hi - x);
    if (lo !== 0) break;
  }
  // Round-half-even correction across the remaining partials (as in CPython).
  if (n > 0 && ((lo < 0 && partials[n - 1] < 0) || (lo > 0 && partials[n - 1] > 0))) {
    const y = lo * 2;
    const x = hi + y;
    if (y === x - hi) hi = x;
  }
  return hi;
}

/** The correctly rounded value of an exact accumulator. */
export function exactValue(parts: ExactParts): number {
  return fsum(parts);
}

/** Correctly rounded sum of an array (order-independent). */
export function exactSum(values: ArrayLike<number>): number {
  const parts = newParts();
  for (let i = 0; i < values.length; i++) if (values[i] !== 0) addExact(parts, values[i]);
  return exactValue(parts);
}

/** Dekker's exact product: a·b = hi + lo exactly (no overflow/underflow for scores and τ ∈ [0, 1]). */
function twoProduct(a: number, b: number): [number, number] {
  const hi = a * b;
  let c = SPLITTER * a;
  const ah = c - (c - a);
  const al = a - ah;
  c = SPLITTER * b;
  const bh = c - (c - b);
  const bl = b - bh;
  return [hi, al * bl - (((hi - ah * bh) - al * bh) - ah * bl)];
}

const U = 2 ** -53; // unit roundoff

/**
 * The threshold value of §3.2 for non-negative scores. Never sorts: O(n) expected time, one copy of the
 * positive entries. Throws on negative or NaN scores (influences and edge scores are never negative, and
 * the sort-based definition is not meaningful for them) and on an empty array.
 *
 * "cum ≥ τ" is decided exactly, as prefix − τ·total ≥ 0 in exact arithmetic (not as a rounded quotient):
 * then cum reaches 1 only at the last positive entry, so τ = 1 keeps every non-zero score, however tiny.
 */
export function findThreshold(scores: Float32Array | Float64Array, tau: number): number {
  if (scores.length === 0) throw new RangeError('findThreshold: empty score array');
  let m = 0;
  for (let i = 0; i < scores.length; i++) {
    const v = scores[i];
    if (v > 0) m++;
    else if (!(v === 0)) throw new RangeError(`findThreshold: score ${v} at ${i} is negative or NaN`);
  }
  if (m === 0) return 0; // all zeros: sorted[0] = 0
  // Float32 input is only read by the selection; copy it only to drop a majority of zeros (N² edge scores).
  if (scores instanceof Float32Array && 2 * m > scores.length) return thresholdOfNonNegatives(scores, tau);
  const buf = scores instanceof Float32Array ? new Float32Array(m) : new Float64Array(m);
  for (let i = 0, j = 0; i < scores.length; i++) if (scores[i] > 0) buf[j++] = scores[i];
  return thresholdOfNonNegatives(buf, tau);
}

/** findThreshold for finite non-negative values (zeros are allowed and never change the answer unless
 * everything is zero). A Float64Array is reordered in place (pass a copy); a Float32Array is only read. */
export function thresholdOfNonNegatives(buf: Float32Array | Float64Array, tau: number): number {
  if (Number.isNaN(tau)) throw new RangeError('findThreshold: tau is NaN');
  if (buf.length === 0) return 0;
  // τ ≥ 1: cum reaches 1 only at the last positive entry (exact comparison, see findThreshold), so the answer is
  // the smallest positive value. Said directly, because selecting it would be a near-tie at every step (τ·total
  // = total), each paying an exact O(n) pass: seconds on a million edge scores.
  const found = tau >= 1 ? undefined : buf instanceof Float32Array ? radixSelect(buf, tau) : quickSelect(buf, tau);
  if (found !== undefined) return found;
  // τ at or above every cumulative fraction: clamp to the last non-zero entry, the smallest one.
  let minPos = Infinity;
  for (let i = 0; i < buf.length; i++) if (buf[i] > 0 && buf[i] < minPos) minPos = buf[i];
  return minPos === Infinity ? 0 : minPos;
}

/**
 * reaches(approx, terms, p, inclusive): is S({v : v > p, or v ≥ p if inclusive}) ≥ τ·S(all)? `approx` is
 * that set's float64 sum, accumulated with at most `terms` roundings; the a-priori error bound (γ_n·sum
 * for sums of positives) settles the sign almost always, and only a near-tie pays for an exact pass.
 */
type Reaches = (approx: number, terms: number, p: number, inclusive: boolean) => boolean;

function makeReaches(buf: Float32Array | Float64Array, tau: number, total: number, totalTerms: number): Reaches {
  const m = buf.length;
  const tt = tau * total;
  let minusTauTotal: number[] | null = null;
  return (approx, terms, p, inclusive) => {
    const d = approx - tt;
    const bound = 2 * U * (terms * approx + totalTerms * Math.abs(tt)) + 4 * U * (approx + Math.abs(tt));
    if (d > bound) return true;
    if (d < -bound) return false;
    if (!minusTauTotal) {
      const all = newParts();
      for (let i = 0; i < m; i++) addExact(all, buf[i]);
      minusTauTotal = [];
      for (const q of all) if (q !== 0) minusTauTotal.push(...twoProduct(q, -tau));
    }
    const prefix = newParts();
    for (let i = 0; i < m; i++) if (buf[i] > p || (inclusive && buf[i] === p)) addExact(prefix, buf[i]);
    const terms2 = minusTauTotal.slice();
    for (const q of prefix) if (q !== 0) terms2.push(q);
    return fsum(terms2) >= 0; // fsum is correctly rounded, so its sign is exact
  };
}

// Both selections find the largest value v whose cumulative fraction S(values ≥ v) / total reaches τ:
// fractions are monotone along the sorted order, so the first crossing index lies in v's tie group.

/**
 * Float32 scores (the N²-sized edge scores): radix select on the bit patterns, which order like the
 * values for positive floats. Three histogram passes (11 + 10 + 10 bits) of counts and float64 sums;
 * only the bucket that crosses τ is refined, so the work is one branch-light pass plus small remainders.
 */
function radixSelect(buf: Float32Array, tau: number): number | undefined {
  let keys = new Int32Array(buf.buffer, buf.byteOffset, buf.length);
  const one = new Int32Array(1);
  const oneF = new Float32Array(one.buffer);
  let reaches: Reaches | null = null;
  let prefix = 0;
  let above = 0;
  let aboveTerms = 0;
  for (const [shift, bits] of [[20, 11], [10, 10], [0, 10]]) {
    const nb = 1 << bits;
    const mask = nb - 1;
    const cnt = new Int32Array(nb);
    const sum = new Float64Array(nb);
    const vals = new Float32Array(keys.buffer, keys.byteOffset, keys.length);
    for (let i = 0; i < keys.length; i++) {
      const b = (keys[i] >>> shift) & mask;
      cnt[b]++;
      sum[b] += vals[i];
    }
    if (!reaches) {
      // The first histogram doubles as the total (a sum tree over all values plus the bucket sums).
      let total = 0;
      for (let b = 0; b < nb; b++) total += sum[b];
      reaches = makeReaches(buf, tau, total, buf.length + nb);
    }
    let b = nb - 1;
    for (; b >= 0; b--) {
      if (cnt[b] === 0) continue;
      const s = above + sum[b];
      const n = aboveTerms + cnt[b] + 1;
      one[0] = prefix | (b << shift); // the smallest bit pattern of this bucket, as a float
      if (reaches(s, n, oneF[0], true)) break;
      above = s;
      aboveTerms = n;
    }
    if (b < 0) return undefined;
    prefix |= b << shift;
    if (shift === 0) return oneF[0];
    const next = new Int32Array(cnt[b]);
    for (let i = 0, j = 0; i < keys.length; i++) if (((keys[i] >>> shift) & mask) === b) next[j++] = keys[i];
    keys = next;
  }
  return undefined;
}

/** Float64 scores (node influences, N entries): three-way quickselect tracking the mass above the range. */
function quickSelect(buf: Float32Array | Float64Array, tau: number): number | undefined {
  let total = 0;
  for (let i = 0; i < buf.length; i++) total += buf[i];
  const reaches = makeReaches(buf, tau, total, buf.length);
  let lo = 0;
  let hi = buf.length;
  let above = 0;
  let aboveTerms = 0;
  let seed = 0x9e3779b9;
  while (lo < hi) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    const p = buf[lo + (seed % (hi - lo))];
    // Three-way partition: [lo, lt) > p, [lt, gt) == p, [gt, hi) < p.
    let greater = 0;
    let lt = lo;
    let i = lo;
    let gt = hi;
    while (i < gt) {
      const v = buf[i];
      if (v > p) {
        greater += v;
        buf[i] = buf[lt];
        buf[lt] = v;
        lt++;
        i++;
      } else if (v < p) {
        gt--;
        buf[i] = buf[gt];
        buf[gt] = v;
      } else i++;
    }
    const sG = above + greater;
    const nG = aboveTerms + (lt - lo) + 1;
    if (lt > lo && reaches(sG, nG, p, false)) {
      hi = lt; // the answer lies strictly above p
      continue;
    }
    const sE = sG + p * (gt - lt);
    const nE = nG + (gt - lt) + 2;
    if (reaches(sE, nE, p, true)) return p;
    above = sE;
    aboveTerms = nE;
    lo = gt;
  }
  return undefined;
}
