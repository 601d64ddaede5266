/** Toasts: errors stay until dismissed (never lost), info disappears by itself (the Toasts component). */
import type { Ctx } from '../context';
import { errorMessage, isCancelled } from '../helpers';
import type { Toast } from '../types';

const MAX_TOASTS = 5;

export function toast(ctx: Ctx, kind: Toast['kind'], message: string): void {
  const id = ++ctx.rt.seq.toast;
  ctx.set((s) => ({ toasts: [...s.toasts.filter((t) => t.message !== message), { id, kind, message }].slice(-MAX_TOASTS) }));
}

export function reportError(ctx: Ctx, e: unknown): void {
  if (isCancelled(e)) return; // the user asked for it
  toast(ctx, 'error', errorMessage(e));
}

export function dismissToast(ctx: Ctx, id: number): void {
  ctx.set((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) }));
}
