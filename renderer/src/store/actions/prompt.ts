/** Prompt text, its live analysis (tokens + top predictions, debounced while typing) and the target draft. */
import type { Ctx } from '../context';
import { errorMessage, tokenFieldText } from '../helpers';
import type { TargetDraft } from '../types';

export async function analyzeNow(ctx: Ctx): Promise<void> {
  const prompt = ctx.get().prompt;
  const seq = ++ctx.rt.seq.analysis;
  try {
    const analysis = await ctx.client.call('prompt.analyze', { prompt });
    if (seq === ctx.rt.seq.analysis) ctx.set({ analysis, analysisFor: prompt, analysisError: null });
  } catch (e) {
    if (seq === ctx.rt.seq.analysis) ctx.set({ analysisError: errorMessage(e), analysisFor: prompt });
  }
}

export function setPrompt(ctx: Ctx, text: string): void {
  ctx.set({ prompt: text });
  ctx.rt.analyzeSoon?.();
}

export function setTarget(ctx: Ctx, patch: Partial<TargetDraft>): void {
  ctx.set((s) => ({ target: { ...s.target, ...patch } }));
}

export function chooseTargetToken(ctx: Ctx, text: string, id: number): void {
  const value = tokenFieldText(text, id);
  const t = ctx.get().target;
  if (t.mode === 'contrast') {
    // Fill A first, then B, then start over at A: two clicks build a contrast.
    if (t.contrastA === '') setTarget(ctx, { contrastA: value });
    else if (t.contrastB === '') setTarget(ctx, { contrastB: value });
    else setTarget(ctx, { contrastA: value, contrastB: '' });
    return;
  }
  setTarget(ctx, { mode: 'token', token: value });
}
