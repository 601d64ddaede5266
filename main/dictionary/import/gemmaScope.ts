/**
 * GemmaScope transcoders (`google/gemma-scope-2b-pt-transcoders/layer_{l}/width_{w}/average_l0_{n}/params.npz`):
 * arrays W_enc (d, D) — stored input-major, the transpose of circuit-tracer's (D, d), so it is transposed on
 * load (method brief §5) — W_dec (D, d), b_enc (D), b_dec (d) and threshold (D) of a JumpReLU. They read
 * `ln2.hook_normalized` (Gemma-2's pre_feedforward_layernorm output without its gain) and write `hook_mlp_out`.
 * The layer is handed to the PLT builder as in-memory safetensors, so every check of circuit-tracer layers applies.
 */
import type { Tensor } from '../../../shared/tensor';
import { UserError } from '../../errors';
import { writeSafetensors } from '../safetensors';
import { parseNpz } from './npz';

const NAMES = ['W_enc', 'W_dec', 'b_enc', 'b_dec', 'threshold'] as const;

function transpose2(t: Tensor): Tensor {
  const [r, c] = t.shape;
  const out = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = t.data[i * c + j];
  return { data: out, shape: [c, r] };
}

/** GemmaScope params.npz → the tensors of a circuit-tracer PLT layer (W_enc as (D, d)). */
export function gemmaScopeLayer(npz: Uint8Array, source: string): Map<string, Tensor> {
  const fail = (msg: string) => new UserError(`GemmaScope transcoder ${source}: ${msg}`);
  const arrays = parseNpz(npz, source);
  const missing = NAMES.filter((n) => !arrays.has(n));
  if (missing.length) throw fail(`missing array${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (expected ${NAMES.join(', ')})`);
  const [wEnc, wDec] = [arrays.get('W_enc')!, arrays.get('W_dec')!];
  if (wDec.shape.length !== 2) throw fail(`W_dec has shape [${wDec.shape.join(', ')}], expected (D, d)`);
  const [D, d] = wDec.shape;
  if (wEnc.shape.length !== 2 || wEnc.shape[0] !== d || wEnc.shape[1] !== D) {
    throw fail(`W_enc has shape [${wEnc.shape.join(', ')}] but GemmaScope stores it (d, D) = [${d}, ${D}] (from W_dec)`);
  }
  return new Map([
    ['W_enc', transpose2(wEnc)],
    ['W_dec', wDec],
    ['b_enc', arrays.get('b_enc')!],
    ['b_dec', arrays.get('b_dec')!],
    ['threshold', arrays.get('threshold')!],
  ]);
}

/** The layer as safetensors bytes (for the circuit-tracer layer builder). */
export function gemmaScopeLayerSafetensors(npz: Uint8Array, source: string): Uint8Array {
  return writeSafetensors(gemmaScopeLayer(npz, source));
}

/**
 * GemmaScope-2 PLT layer files (safetensors; method brief §5.2): `w_enc` (d, D), `w_dec` (D, d), `b_enc`,
 * `b_dec`, `threshold`, optional `affine_skip_connection` (d_in, d_out) applied as x · A. Converted to the
 * circuit-tracer layer: W_enc = w_encᵀ, W_dec = w_dec, W_skip = Aᵀ (the engine applies x · W_skipᵀ).
 */
export function isGemmaScope2Layer(names: ReadonlySet<string> | ReadonlyMap<string, unknown>): boolean {
  return names.has('w_enc') && names.has('w_dec') && !names.has('W_enc');
}

export function gemmaScope2Layer(tensors: ReadonlyMap<string, Tensor>, source: string): Map<string, Tensor> {
  const fail = (msg: string) => new UserError(`GemmaScope-2 transcoder ${source}: ${msg}`);
  const need = ['w_enc', 'w_dec', 'b_enc', 'b_dec', 'threshold'];
  const missing = need.filter((n) => !tensors.has(n));
  if (missing.length) throw fail(`missing tensor${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  const wEnc = tensors.get('w_enc')!;
  const wDec = tensors.get('w_dec')!;
  if (wDec.shape.length !== 2) throw fail(`w_dec has shape [${wDec.shape.join(', ')}]; GemmaScope-2 CLT files are not supported yet (PLT: (D, d))`);
  const [D, d] = wDec.shape;
  if (wEnc.shape[0] !== d || wEnc.shape[1] !== D) throw fail(`w_enc has shape [${wEnc.shape.join(', ')}], expected (d, D) = [${d}, ${D}]`);
  const out = new Map<string, Tensor>([
    ['W_enc', transpose2(wEnc)],
    ['W_dec', wDec],
    ['b_enc', tensors.get('b_enc')!],
    ['b_dec', tensors.get('b_dec')!],
    ['threshold', tensors.get('threshold')!],
  ]);
  const skip = tensors.get('affine_skip_connection');
  if (skip) {
    if (skip.shape[0] !== d || skip.shape[1] !== d) throw fail(`affine_skip_connection has shape [${skip.shape.join(', ')}], expected [${d}, ${d}]`);
    out.set('W_skip', transpose2(skip));
  }
  return out;
}
