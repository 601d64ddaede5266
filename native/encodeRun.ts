/** Runs the dictionary-encode program on one sequence's hook tensors. */
import type { Dictionary } from '../shared/dictionary';
import type { Tensor } from '../shared/tensor';
import { getProgram, ort } from './session';
import { buildEncodeProgram, encodeInputs, encodeOutputs, type EncodeProgramOptions } from './programs/encode';

export interface EncodeRunInput {
  /** Per layer (T, d): the feature-input hook values. */
  readonly x: readonly Tensor[];
  /** Per layer (T, d): the true output-hook values (needed for errors). */
  readonly y?: readonly Tensor[];
  /** Positions whose features and errors are zeroed (circuit-tracer: the BOS position). */
  readonly zeroPositions: number;
  /**
   * Explicit row mask (T): 0 zeroes a row's features and error. Lets several sequences be encoded as one
   * stack of rows, each with its own BOS row zeroed. Overrides `zeroPositions`.
   */
  readonly keep?: Float32Array;
}

export interface EncodeRunOutput {
  /** Per layer (T, D), dense; zero at zeroed positions. */
  readonly act: Tensor[];
  readonly pre?: Tensor[];
  readonly recon?: Tensor[];
  readonly err?: Tensor[];
}

export async function runEncode(dict: Dictionary, input: EncodeRunInput, opts: EncodeProgramOptions = {}): Promise<EncodeRunOutput> {
  const withError = !!opts.withError;
  if (withError && !input.y) throw new RangeError('runEncode: errors need the output-hook values (y)');
  const key = `${dict.fingerprint}|encode|${withError}|${!!opts.withPre}`;
  const session = await getProgram(key, () => buildEncodeProgram(dict, opts));
  const T = input.x[0].shape[0];
  let keep = input.keep;
  if (!keep) {
    keep = new Float32Array(T).fill(1);
    keep.fill(0, 0, Math.min(input.zeroPositions, T));
  }
  if (keep.length !== T) throw new RangeError(`runEncode: keep has ${keep.length} rows, inputs have ${T}`);
  const feeds: Record<string, ort.Tensor> = { [encodeInputs.keep]: new ort.Tensor('float32', keep, [T, 1]) };
  for (let l = 0; l < dict.nLayers; l++) {
    feeds[encodeInputs.x(l)] = new ort.Tensor('float32', input.x[l].data, [T, dict.dModel]);
    if (withError) feeds[encodeInputs.y(l)] = new ort.Tensor('float32', input.y![l].data, [T, dict.dModel]);
  }
  const r = await session.run(feeds);
  const get = (name: string): Tensor => ({ data: r[name].data as Float32Array, shape: r[name].dims.map(Number) });
  const layers = [...Array(dict.nLayers).keys()];
  return {
    act: layers.map((l) => get(encodeOutputs.act(l))),
    ...(opts.withPre ? { pre: layers.map((l) => get(encodeOutputs.pre(l))) } : {}),
    ...(withError ? { recon: layers.map((l) => get(encodeOutputs.recon(l))), err: layers.map((l) => get(encodeOutputs.err(l))) } : {}),
  };
}
