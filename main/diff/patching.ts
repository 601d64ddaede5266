/**
 * Localization by cross-model patching: for the most affected prompts, run A with one component's output taken
 * from B (its attention output `blocks.{l}.hook_attn_out`, MLP output `blocks.{l}.hook_mlp_out`, or the
 * embedding `hook_embed`) and measure how much of the output change that alone reproduces; and the converse,
 * B with A's component, how much of A's behaviour it restores (metrics in shared/diff.ts).
 *
 * One patched run covers many (prompt, component) pairs: every component hook gets a dense `add` input, zero
 * except on the rows patching it, where it is B's value minus A's. The hooks upstream of a patched component are
 * untouched in that row, so A's own value there is A's clean value and the sum is exactly B's output.
 */
import type { ModelSpec } from '../../shared/model';
import type { PatchRow } from '../../shared/diff';
import type { Tensor } from '../../shared/tensor';
import { runForward } from '../../native/forwardRun';
import { padded, rowAt } from './batch';
import { argmax } from '../engine/sampler';
import { klFromLogits } from '../engine/sampler';

export const PATCH_METRIC = 'reproduced = 1 − KL(p_B ‖ p_A with c from B) / KL(p_B ‖ p_A); restored = 1 − KL(p_A ‖ p_B with c from A) / KL(p_A ‖ p_B); next-token distributions at the last position';

export function componentHooks(nLayers: number): { hook: string; layer: number | null; component: string }[] {
  const out: { hook: string; layer: number | null; component: string }[] = [{ hook: 'hook_embed', layer: null, component: 'embed' }];
  for (let l = 0; l < nLayers; l++) {
    out.push({ hook: `blocks.${l}.hook_attn_out`, layer: l, component: 'attn' });
    out.push({ hook: `blocks.${l}.hook_mlp_out`, layer: l, component: 'mlp' });
  }
  return out;
}

/** Floats of add inputs per run beyond which a run patches fewer components. */
const MAX_ADD_FLOATS = 16 * 1024 * 1024;

/** Logits at each row's last position of `target` with, per row, one component's output replaced by `source`'s. */
async function patchedLogits(target: ModelSpec, clean: Map<string, Tensor>, source: Map<string, Tensor>, tokens: number[][], lengths: number[], hooks: string[], signal?: AbortSignal): Promise<Float32Array[][]> {
  const K = tokens.length;
  const T = tokens[0].length;
  const d = clean.get(hooks[0])!.shape[2];
  const C = hooks.length;
  const chunk = Math.max(1, Math.floor(MAX_ADD_FLOATS / (K * T * d * C)));
  const out: Float32Array[][] = hooks.map(() => []);
  for (let c0 = 0; c0 < C; c0 += chunk) {
    signal?.throwIfAborted();
    const comps = hooks.slice(c0, c0 + chunk);
    const rows = comps.length * K;
    const addDense = new Map<string, Tensor>();
    for (const h of hooks) addDense.set(h, { data: new Float32Array(rows * T * d), shape: [rows, T, d] });
    comps.forEach((h, ci) => {
      const dst = addDense.get(h)!.data;
      const a = clean.get(h)!.data;
      const b = source.get(h)!.data;
      for (let k = 0; k < K; k++) {
        const off = (ci * K + k) * T * d;
        for (let i = 0; i < T * d; i++) dst[off + i] = b[k * T * d + i] - a[k * T * d + i];
      }
    });
    const batch = comps.flatMap(() => tokens);
    const logits = (await runForward(target, { tokens: batch, outputs: ['logits'], addDense })).get('logits')!;
    comps.forEach((_, ci) => {
      for (let k = 0; k < K; k++) out[c0 + ci].push(Float32Array.from(rowAt(logits, ci * K + k, lengths[k] - 1)));
    });
  }
  return out;
}

export async function patchingLevel(a: ModelSpec, b: ModelSpec, prompts: readonly (readonly number[])[], chosen: readonly number[], signal?: AbortSignal): Promise<PatchRow[]> {
  const comps = componentHooks(a.config.nLayers);
  if (chosen.length === 0) return comps.map((c) => ({ ...c, reproduced: 0, restored: 0, perPrompt: [] }));
  const lengths = chosen.map((i) => prompts[i].length);
  const tokens = padded(prompts, chosen, Math.max(...lengths));
  const hooks = comps.map((c) => c.hook);
  const runA = await runForward(a, { tokens, outputs: [...hooks, 'logits'] });
  const runB = await runForward(b, { tokens, outputs: [...hooks, 'logits'] });
  const la = chosen.map((_, k) => Float32Array.from(rowAt(runA.get('logits')!, k, lengths[k] - 1)));
  const lb = chosen.map((_, k) => Float32Array.from(rowAt(runB.get('logits')!, k, lengths[k] - 1)));
  const aWithB = await patchedLogits(a, runA, runB, tokens, lengths, hooks, signal);
  const bWithA = await patchedLogits(b, runB, runA, tokens, lengths, hooks, signal);
  return comps.map((c, ci) => {
    const perPrompt = chosen.map((p, k) => {
      const klBA = klFromLogits(lb[k], la[k]);
      const klAB = klFromLogits(la[k], lb[k]);
      const reproduced = klBA > 0 ? 1 - klFromLogits(lb[k], aWithB[ci][k]) / klBA : 0;
      const restored = klAB > 0 ? 1 - klFromLogits(la[k], bWithA[ci][k]) / klAB : 0;
      const ta = argmax(la[k]);
      const tb = argmax(lb[k]);
      const ld = (x: Float32Array) => x[tb] - x[ta];
      const logitDiffReproduced = ta !== tb ? (ld(aWithB[ci][k]) - ld(la[k])) / (ld(lb[k]) - ld(la[k])) : null;
      return { prompt: p, reproduced, restored, logitDiffReproduced };
    });
    const mean = (f: (x: (typeof perPrompt)[number]) => number) => perPrompt.reduce((s, x) => s + f(x), 0) / perPrompt.length;
    return { ...c, reproduced: mean((x) => x.reproduced), restored: mean((x) => x.restored), perPrompt };
  }).sort((x, y) => y.reproduced - x.reproduced || y.restored - x.restored);
}
