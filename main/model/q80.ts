/**
 * Q8_0 group-wise symmetric int8 quantization, as llama2.c's export.py `quantize_q80` does it: the flattened
 * tensor is cut into consecutive groups of `groupSize` elements; per group scale = max|w| / 127 (float32),
 * q = round(w / scale) with round-half-to-even (torch.round), stored as int8 in [-127, 127].
 * Dequantization is value = q * scale rounded to float32, exactly what runq.c's `dequantize` computes.
 */

export interface Q80Tensor {
  readonly q: Int8Array;
  readonly scales: Float32Array;
  readonly groupSize: number;
}

/**
 * Group size and scales of arrays made by {@link dequantizeQ80}. Why: re-quantizing from scratch reproduces a file
 * only when its scales are export.py's own (s = fround(x / 127) with some |q| = 127 per group: then
 * fround(fround(127·s) / 127) = s, checked on 2M random x). Files from other producers (another group size, another
 * scale rule, groups whose max |q| < 127) would change. Remembering the scales (1/groupSize of the data, no int8
 * copy) makes quantize ∘ dequantize lossless for any file; each group is verified element by element before its
 * remembered scale is reused, so edited data are quantized afresh.
 */
const knownScales = new WeakMap<Float32Array, { readonly groupSize: number; readonly scales: Float32Array }>();

/** The group size `data` was dequantized with by {@link dequantizeQ80}, if it was. */
export function knownQ80GroupSize(data: Float32Array): number | undefined {
  return knownScales.get(data)?.groupSize;
}

/** export.py's group size: start at 64 and halve while it does not divide `dim` (every weight's numel is a multiple of dim). */
export function defaultQ80GroupSize(dim: number): number {
  let gs = 64;
  while (gs > 1 && dim % gs !== 0) gs /= 2;
  return gs;
}

/** Round half to even, like torch.round / numpy.round (Math.round rounds halves up). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function quantizeValue(v: number, scale: number): number {
  // A zero scale means an all-zero group: torch divides 0/0 = NaN and the int8 cast yields 0 on x86; we write 0.
  if (scale === 0) return 0;
  const q = roundHalfEven(Math.fround(v / scale));
  return q > 127 ? 127 : q < -127 ? -127 : q;
}

function checkGroupArgs(n: number, groupSize: number): void {
  if (!Number.isInteger(groupSize) || groupSize <= 0 || n % groupSize !== 0) {
    throw new RangeError(`Q8_0 group size ${groupSize} must be a positive integer dividing the tensor size ${n}`);
  }
}

/** Quantizes with `scale` if that reproduces the group exactly (see {@link knownScales}); returns false otherwise. */
function tryScale(data: Float32Array, start: number, gs: number, scale: number, q: Int8Array): boolean {
  for (let i = start; i < start + gs; i++) {
    const qi = quantizeValue(data[i], scale);
    if (Math.fround(qi * scale) !== data[i]) return false;
    q[i] = qi;
  }
  return true;
}

export function quantizeQ80(data: Float32Array, groupSize: number): Q80Tensor {
  checkGroupArgs(data.length, groupSize);
  const nGroups = data.length / groupSize;
  const q = new Int8Array(data.length);
  const scales = new Float32Array(nGroups);
  const known = knownScales.get(data);
  const remembered = known && known.groupSize === groupSize && known.scales.length === nGroups ? known.scales : null;
  for (let g = 0; g < nGroups; g++) {
    const start = g * groupSize;
    if (remembered && tryScale(data, start, groupSize, remembered[g], q)) {
      scales[g] = remembered[g];
      continue;
    }
    let wmax = 0;
    for (let i = start; i < start + groupSize; i++) {
      const a = Math.abs(data[i]);
      if (a > wmax) wmax = a;
    }
    const scale = Math.fround(wmax / 127);
    scales[g] = scale;
    for (let i = start; i < start + groupSize; i++) q[i] = quantizeValue(data[i], scale);
  }
  return { q, scales, groupSize };
}

/** Dequantizes to a new float32 array (the forward pass then runs in float32: activations are not quantized). */
export function dequantizeQ80(q: Int8Array, scales: Float32Array, groupSize: number): Float32Array {
  checkGroupArgs(q.length, groupSize);
  if (scales.length !== q.length / groupSize) {
    throw new RangeError(`Q8_0 tensor of ${q.length} values needs ${q.length / groupSize} scales, got ${scales.length}`);
  }
  const out = new Float32Array(q.length);
  for (let g = 0; g < scales.length; g++) {
    const s = scales[g];
    const start = g * groupSize;
    // int8 × float32 is exact in a double, so the Float32Array store rounds once, like C's float product.
    for (let i = start; i < start + groupSize; i++) out[i] = q[i] * s;
  }
  knownScales.set(out, { groupSize, scales: scales.slice() });
  return out;
}
