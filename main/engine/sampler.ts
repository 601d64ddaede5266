/**
 * Next-token sampling with llama2.c's exact semantics (run.c): xorshift RNG, temperature, top-p. Matching it
 * bit for bit lets `cwb generate --seed S` reproduce `run -s S` on the same model.
 */

/** llama2.c's xorshift* generator on a 64-bit state. */
export class Rng {
  private state: bigint;
  constructor(seed: bigint | number) {
    this.state = BigInt.asUintN(64, BigInt(seed));
  }
  /** The generator's full state, for exact checkpoint/resume. */
  get state64(): bigint {
    return this.state;
  }
  static fromState(state: bigint): Rng {
    const r = new Rng(0);
    r.state = state;
    return r;
  }
  u32(): number {
    let s = this.state;
    s ^= s >> 12n;
    s = BigInt.asUintN(64, s ^ (s << 25n));
    s ^= s >> 27n;
    this.state = s;
    return Number(BigInt.asUintN(64, s * 0x2545f4914f6cdd1dn) >> 32n);
  }
  f32(): number {
    return Math.fround((this.u32() >>> 8) / 16777216);
  }
}

export interface SamplerOptions {
  readonly temperature: number;
  /** Nucleus threshold; outside (0, 1) samples from the full distribution. llama2.c's default is 0.9. */
  readonly topP: number;
  readonly seed: bigint | number;
}

/** First index of the maximum (ties go to the lowest id, as run.c's strict `>`). */
export function argmax(x: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
  return best;
}

/** Softmax in float32 arithmetic, as run.c computes it. */
export function softmaxF32(logits: ArrayLike<number>, temperature = 1): Float32Array {
  const p = new Float32Array(logits.length);
  for (let i = 0; i < p.length; i++) p[i] = Math.fround(logits[i] / temperature);
  let max = p[0];
  for (let i = 1; i < p.length; i++) if (p[i] > max) max = p[i];
  let sum = 0;
  for (let i = 0; i < p.length; i++) {
    p[i] = Math.fround(Math.exp(p[i] - max));
    sum = Math.fround(sum + p[i]);
  }
  for (let i = 0; i < p.length; i++) p[i] = Math.fround(p[i] / sum);
  return p;
}

function sampleMult(p: Float32Array, coin: number): number {
  let cdf = 0;
  for (let i = 0; i < p.length; i++) {
    cdf = Math.fround(cdf + p[i]);
    if (coin < cdf) return i;
  }
  return p.length - 1;
}

function sampleTopP(p: Float32Array, topP: number, coin: number): number {
  // Tokens below the cutoff can never be in the nucleus; dropping them first keeps the sort short.
  const cutoff = Math.fround(Math.fround(1 - topP) / (p.length - 1));
  const cand: number[] = [];
  for (let i = 0; i < p.length; i++) if (p[i] >= cutoff) cand.push(i);
  cand.sort((a, b) => p[b] - p[a]);
  let cum = 0;
  let last = cand.length - 1;
  for (let i = 0; i < cand.length; i++) {
    cum = Math.fround(cum + p[cand[i]]);
    if (cum > topP) {
      last = i;
      break;
    }
  }
  const r = Math.fround(coin * cum);
  let cdf = 0;
  for (let i = 0; i <= last; i++) {
    cdf = Math.fround(cdf + p[cand[i]]);
    if (r < cdf) return cand[i];
  }
  return cand[last];
}

export function makeSampler(opts: SamplerOptions): (logits: ArrayLike<number>) => number {
  const rng = new Rng(opts.seed);
  return (logits) => {
    if (opts.temperature === 0) return argmax(logits);
    const p = softmaxF32(logits, opts.temperature);
    const coin = rng.f32();
    return opts.topP <= 0 || opts.topP >= 1 ? sampleMult(p, coin) : sampleTopP(p, opts.topP, coin);
  };
}

/** log-softmax in float64. */
export function logSoftmax(x: ArrayLike<number>): Float64Array {
  let m = -Infinity;
  for (let i = 0; i < x.length; i++) if (x[i] > m) m = x[i];
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.exp(x[i] - m);
  const lse = m + Math.log(s);
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i] - lse;
  return out;
}

/** KL(p ‖ q) in nats from logits; exactly 0 for identical logits. */
export function klFromLogits(p: ArrayLike<number>, q: ArrayLike<number>): number {
  const lp = logSoftmax(p);
  const lq = logSoftmax(q);
  let kl = 0;
  for (let i = 0; i < lp.length; i++) {
    const pi = Math.exp(lp[i]);
    if (pi > 0) kl += pi * (lp[i] - lq[i]);
  }
  // Rounding can leave a tiny negative for near-identical distributions; KL is never negative.
  return Math.max(0, kl);
}
