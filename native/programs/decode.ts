/**
 * The KV-cache decode step: one new token per batch row, attending over the cached keys and values of every
 * earlier position. Used for fast sampling (corpus generation); it has no hooks — analysis runs use the full
 * forward program, and the decode step is checked against it (test/decode.test.ts).
 *
 * Inputs:  `tokens` int64 [B, 1]; `pos` int64 [1] (position of this token, shared by the batch);
 *          `past_k_{l}`, `past_v_{l}` float32 [B, K, C, dh]: a cache of capacity C ≥ pos whose positions
 *          < pos hold the rotated keys / values of earlier tokens; positions ≥ pos are ignored (masked).
 * Outputs: `logits` float32 [B, V]; `new_k_{l}`, `new_v_{l}` [B, K, 1, dh]: this position's rotated key and
 *          value, which the caller writes into the cache at `pos`.
 *
 * Why a fixed-capacity cache rather than returning past ⧺ new ([B, K, P+1, dh]) every step: tensors that grow
 * by one position per step defeat every allocator on the way (onnxruntime's buffers, glibc's mmap threshold,
 * V8's ArrayBuffers), so each step faulted in the whole cache afresh — about 6× the CPU time of this design,
 * where shapes stay constant while the cache has room and a step writes only B·K·dh floats per tensor.
 */
import type { ModelSpec } from '../../shared/model';
import { weightNames as W } from '../../shared/model';
import { GraphBuilder, type BuiltProgram, type Value } from '../onnx/builder';
import { attnScaleOf, finalLogits, gainNorm, isSlidingLayer, mlpActivation, normScale, softcap } from './families';
import { applyRope, ropeTables, weightAccess, type RopeTables } from './llamaParts';

export const pastKeyInput = (l: number) => `past_k_${l}`;
export const pastValueInput = (l: number) => `past_v_${l}`;
export const newKeyOutput = (l: number) => `new_k_${l}`;
export const newValueOutput = (l: number) => `new_v_${l}`;

/** Throws for architectures the decode step does not implement. */
export function checkDecodable(spec: ModelSpec): void {
  const c = spec.config;
  if (c.nHeads % c.nKvHeads !== 0) throw new Error(`decode step: ${c.nHeads} query heads do not group over ${c.nKvHeads} kv heads`);
}

/**
 * Every family choice of the forward program (families.ts), for one position: the family's norms (with bias),
 * projection biases, q/k norms, embedding scale, learned positions, attention scale and soft-cap, sliding
 * windows (cache slots at least `window` positions back are masked), sandwich norms, the MLP activation and
 * the final soft-cap — in the forward program's op order, so the step matches it to float32 rounding.
 */
export function buildDecodeProgram(spec: ModelSpec): BuiltProgram {
  checkDecodable(spec);
  const cfg = spec.config;
  const { nHeads: H, nKvHeads: K, headDim: dh, dModel: d } = cfg;
  const G = H / K;
  const g = new GraphBuilder('decode');
  const w = weightAccess(g, spec);
  const eps = g.scalarF(cfg.normEps);
  const scale = g.scalarF(attnScaleOf(cfg));
  const negInf = g.scalarF(-Infinity);
  const linear = w.linear;
  /** The family's norm with its gain (and LayerNorm bias), as forward.ts's rmsNorm computes it. */
  const norm = (x: Value, gain: string, bias?: string): Value =>
    gainNorm(g, cfg, x, eps, w.weight(gain), bias && spec.weights.has(bias) ? w.weight(bias) : undefined);
  const headNorm = (x: Value, gain: string): Value => g.mul(g.div(x, normScale(g, x, eps)), w.weight(gain));
  const cap = (x: Value) => softcap(g, x, cfg.attnSoftcap);

  const tokens = g.input('tokens', 'int64', ['B', 1]);
  const pos = g.input('pos', 'int64', [1]);
  // Float32 position times float32 inverse frequencies: the angle the forward program computes at this
  // position (it casts its int64 Range the same way).
  const rope: RopeTables | null = cfg.rope ? ropeTables(g, cfg, g.op('Cast', [pos], { to: 1 })) : null;
  const rotate = (x: Value): Value => (rope ? applyRope(g, cfg, x, rope) : x);

  // Cache slots at or after `pos` are empty (or stale after a row compaction): mask [C], true = ignore. Sliding
  // layers also ignore slots at least `window` positions back.
  let mask: Value | null = null;
  let slidingMaskC: Value | null = null;
  let capacity: Value | null = null;

  let resid = g.op('Gather', [w.weight(W.embed), tokens], { axis: 0 }); // [B, 1, d]
  if (cfg.embedScale !== undefined) resid = g.mul(resid, g.scalarF(Math.fround(cfg.embedScale)));
  if (cfg.learnedPositions) resid = g.add(resid, g.op('Gather', [w.weight(W.posEmbed), pos], { axis: 0 })); // + [1, d]
  for (let l = 0; l < cfg.nLayers; l++) {
    const xin = norm(resid, W.ln1(l), W.ln1Bias(l));
    const proj = (name: string, bias: string, heads: number, normW: string) => {
      const p = g.reshape(linear(xin, name, bias), [0, 0, heads, dh]);
      return cfg.qkNorm ? headNorm(p, normW) : p;
    };
    const q = rotate(proj(W.wq(l), W.bq(l), H, W.qNorm(l))); // [B, 1, H, dh]
    const k = g.transpose(rotate(proj(W.wk(l), W.bk(l), K, W.kNorm(l))), [0, 2, 1, 3]); // [B, K, 1, dh]
    const v = g.transpose(g.reshape(linear(xin, W.wv(l), W.bv(l)), [0, 0, K, dh]), [0, 2, 1, 3]);
    g.output(k, newKeyOutput(l), 'float32', ['B', K, 1, dh]);
    g.output(v, newValueOutput(l), 'float32', ['B', K, 1, dh]);
    const pastK = g.input(pastKeyInput(l), 'float32', ['B', K, 'C', dh]);
    const pastV = g.input(pastValueInput(l), 'float32', ['B', K, 'C', dh]);
    if (!mask || !capacity) {
      capacity = g.dim(pastK, 2);
      const slots = g.op('Range', [g.constI64([0], []), g.op('Squeeze', [capacity, g.constI64([0])]), g.constI64([1], [])]);
      mask = g.op('GreaterOrEqual', [slots, pos]);
      if (cfg.slidingWindow) slidingMaskC = g.op('Or', [mask, g.op('GreaterOrEqual', [g.sub(pos, slots), g.constI64([cfg.slidingWindow.size], [])])]);
    }
    const layerMask = isSlidingLayer(cfg, l) ? slidingMaskC! : mask;
    // With one query per row, grouped-query attention is a plain batched MatMul: the G query heads of a kv
    // head are rows of one [G, dh] matrix (heads are kv-major, h = kv·G + j, as in the forward program).
    const q4 = g.reshape(q, [0, K, G, dh]); // [B, K, G, dh]
    const scoresPast = g.where(layerMask, negInf, cap(g.mul(g.matMul(q4, g.transpose(pastK, [0, 1, 3, 2])), scale))); // [B, K, G, C]
    const scoreNew = cap(g.mul(g.matMul(q4, g.transpose(k, [0, 1, 3, 2])), scale)); // [B, K, G, 1]
    // One softmax over cached and new positions; the new key is always visible, so no row is all -inf.
    const pattern = g.softmax(g.concat([scoresPast, scoreNew], -1), -1);
    const [pPast, pNew] = g.opN('Split', [pattern, g.concat([capacity, g.constI64([1])], 0)], 2, { axis: -1 });
    const z = g.add(g.matMul(pPast, pastV), g.matMul(pNew, v)); // [B, K, G, dh]
    let attnOut = linear(g.reshape(z, [0, 1, H * dh]), W.wo(l), W.bo(l));
    if (cfg.sandwichNorms) attnOut = norm(attnOut, W.ln1Post(l));
    const mid = g.add(resid, attnOut);
    const mlpIn = norm(mid, W.ln2(l), W.ln2Bias(l));
    const gated = cfg.mlp !== 'gelu-tanh';
    const pre = gated ? linear(mlpIn, W.wGate(l), W.bGate(l)) : linear(mlpIn, W.wIn(l), W.bIn(l));
    const post = gated ? g.mul(mlpActivation(g, cfg, pre), linear(mlpIn, W.wIn(l), W.bIn(l))) : mlpActivation(g, cfg, pre);
    let mlpOut = linear(post, W.wOut(l), W.bOut(l));
    if (cfg.sandwichNorms) mlpOut = norm(mlpOut, W.ln2Post(l));
    resid = g.add(mid, mlpOut);
  }
  const logits = g.reshape(finalLogits(g, spec, w, g.reshape(resid, [0, d])), [0, cfg.vocabSize]);
  g.output(logits, 'logits', 'float32', ['B', cfg.vocabSize]);
  return g.build();
}
