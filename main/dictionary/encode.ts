/**
 * Encodes a prompt with a dictionary: one forward run for the hook tensors, one encode program for features,
 * reconstructions and error vectors. Active features come out sparse, ordered by (layer, position, feature) —
 * the order that defines feature node indices in attribution (circuit-tracer §2.3).
 */
import type { Dictionary } from '../../shared/dictionary';
import type { ModelSpec } from '../../shared/model';
import type { Tensor } from '../../shared/tensor';
import { runForward } from '../../native/forwardRun';
import { runEncode } from '../../native/encodeRun';
import { hookUnavailable } from '../../shared/hooks';
import { UserError } from '../errors';

export interface ActiveFeatures {
  readonly layer: Int32Array;
  readonly pos: Int32Array;
  readonly feature: Int32Array;
  readonly value: Float32Array;
  readonly count: number;
}

export interface EncodedPrompt {
  readonly tokens: readonly number[];
  readonly features: ActiveFeatures;
  /** Per layer (T, d): what the transcoder reads, the true MLP output, its reconstruction and the error. */
  readonly x: Tensor[];
  readonly y: Tensor[];
  readonly recon: Tensor[];
  readonly err: Tensor[];
  /** Per layer (T, D) dense activations (zeroed at BOS) and pre-activations. */
  readonly act: Tensor[];
  readonly pre: Tensor[];
}

export function checkDictionaryFits(spec: ModelSpec, dict: Dictionary): void {
  if (dict.dModel !== spec.config.dModel || dict.nLayers !== spec.config.nLayers) {
    throw new UserError(
      `dictionary ${dict.name} has ${dict.nLayers} layers of width ${dict.dModel} but model ${spec.name} has ${spec.config.nLayers} layers of width ${spec.config.dModel}`,
    );
  }
  // The dictionary declares the hooks it reads and writes: the model must have them.
  for (const h of [dict.inputHook, dict.outputHook]) {
    const why = hookUnavailable(`blocks.0.${h}`, spec.config);
    if (why) throw new UserError(`dictionary ${dict.name} uses hook ${h}, which model ${spec.name} does not have (${why})`);
  }
  if (dict.model.fingerprint && dict.model.fingerprint !== spec.fingerprint) {
    throw new UserError(
      `dictionary ${dict.name} was trained for model ${dict.model.name ?? '?'} (sha256 ${dict.model.fingerprint.slice(0, 12)}…), not ${spec.name} (${spec.fingerprint.slice(0, 12)}…); pass a dictionary trained for this model`,
    );
  }
}

/** Sparse (layer, pos, feature, value) of nonzero activations, in lexicographic order. */
export function sparsify(act: readonly Tensor[]): ActiveFeatures {
  let count = 0;
  for (const a of act) {
    const data = a.data;
    for (let k = 0; k < data.length; k++) if (data[k] !== 0) count++;
  }
  const out = { layer: new Int32Array(count), pos: new Int32Array(count), feature: new Int32Array(count), value: new Float32Array(count), count };
  let i = 0;
  for (let l = 0; l < act.length; l++) {
    const data = act[l].data;
    const [T, D] = act[l].shape;
    for (let t = 0; t < T; t++) {
      for (let f = 0; f < D; f++) {
        const v = data[t * D + f];
        if (v === 0) continue;
        out.layer[i] = l;
        out.pos[i] = t;
        out.feature[i] = f;
        out.value[i++] = v;
      }
    }
  }
  return out;
}

/** Drops the batch axis of a [1, T, ...] hook tensor. */
function unbatch(t: Tensor): Tensor {
  return { data: t.data, shape: t.shape.slice(1) };
}

export async function encodePrompt(spec: ModelSpec, dict: Dictionary, tokens: readonly number[], zeroPositions = 1): Promise<EncodedPrompt> {
  checkDictionaryFits(spec, dict);
  const L = dict.nLayers;
  const inNames = [...Array(L).keys()].map((l) => `blocks.${l}.${dict.inputHook}`);
  const outNames = [...Array(L).keys()].map((l) => `blocks.${l}.${dict.outputHook}`);
  const acts = await runForward(spec, { tokens: [tokens], outputs: [...inNames, ...outNames] });
  const x = inNames.map((n) => unbatch(acts.get(n)!));
  const y = outNames.map((n) => unbatch(acts.get(n)!));
  const enc = await runEncode(dict, { x, y, zeroPositions }, { withError: true, withPre: true });
  return { tokens, features: sparsify(enc.act), x, y, recon: enc.recon!, err: enc.err!, act: enc.act, pre: enc.pre! };
}
