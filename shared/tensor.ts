/** A dense row-major float32 tensor. The common currency between engine layers and the API. */
export interface Tensor {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

export function tensor(data: Float32Array, shape: readonly number[]): Tensor {
  if (data.length !== numel(shape)) {
    throw new RangeError(`tensor data has ${data.length} elements but shape [${shape.join(', ')}] needs ${numel(shape)}`);
  }
  return { data, shape: [...shape] };
}

export function zeros(shape: readonly number[]): Tensor {
  return { data: new Float32Array(numel(shape)), shape: [...shape] };
}
