/** Pure store logic (unit-tested): target choice, selection rules, path queries, error text. */
import { ApiCallError, type GraphNode, type TargetChoice } from '../../../shared/api';
import { parseTokenRef } from '../text/tokenText';
import type { TargetDraft } from './types';

export function toTargetChoice(d: TargetDraft): { ok: true; target: TargetChoice } | { ok: false; message: string } {
  if (d.mode === 'salient') return { ok: true, target: { kind: 'salient' } };
  if (d.mode === 'token') {
    const t = parseTokenRef(d.token);
    if (t === null) return { ok: false, message: 'Type the target token (or click a prediction), or choose “Salient logits”.' };
    return { ok: true, target: { kind: 'tokens', tokens: [t] } };
  }
  const a = parseTokenRef(d.contrastA);
  const b = parseTokenRef(d.contrastB);
  if (a === null || b === null) return { ok: false, message: 'A contrast needs two tokens, A and B (e.g. “ Lily” vs “ Tim”).' };
  return { ok: true, target: { kind: 'contrast', a, b } };
}

/** The target field text for a clicked prediction: its id when the text alone is ambiguous or invisible. */
export function tokenFieldText(text: string, id: number): string {
  return text.trim().length === 0 ? `#${id}` : text;
}

/** Click selects one node; Shift-click adds a second (replacing the older of two) or removes a selected one. */
export function nextSelection(prev: readonly number[], index: number, additive: boolean): number[] {
  if (!additive) return [index];
  if (prev.includes(index)) return prev.filter((i) => i !== index);
  return [...prev, index].slice(-2);
}

/**
 * The paths query for a selection: one node → paths into it (a logit, usually); two nodes → from the lower
 * one to the higher one (edges only go upwards, so the other direction has no paths).
 */
export function pathQuery(selected: readonly number[], nodeAt: (i: number) => GraphNode | undefined, nLayers: number): { to: number; from: number | null } | null {
  if (selected.length === 0) return null;
  if (selected.length === 1) return { to: selected[0], from: null };
  const [a, b] = selected.slice(-2);
  const level = (i: number) => {
    const n = nodeAt(i);
    if (!n) return 0;
    return n.kind === 'token' ? -1 : n.kind === 'logit' ? nLayers + 1 : n.layer;
  };
  return level(a) <= level(b) ? { to: b, from: a } : { to: a, from: b };
}

export function isCancelled(e: unknown): boolean {
  return e instanceof ApiCallError && e.code === 'cancelled';
}

export function errorMessage(e: unknown): string {
  if (e instanceof ApiCallError) return e.message;
  if (e instanceof Error) return e.message || e.name;
  return String(e);
}

/**
 * Runs one request at a time and always finishes with the latest value: while one is in flight, newer
 * values replace each other and only the last is sent when it completes (slider drags → re-prune).
 */
export function latestOnly<T>(run: (value: T) => Promise<void>): (value: T) => void {
  let busy = false;
  let pending: { value: T } | null = null;
  const start = (value: T) => {
    busy = true;
    void run(value)
      .catch(() => undefined)
      .finally(() => {
        busy = false;
        if (pending) {
          const next = pending.value;
          pending = null;
          start(next);
        }
      });
  };
  return (value: T) => {
    if (busy) pending = { value };
    else start(value);
  };
}

/** Trailing debounce (prompt analysis while typing). */
export function debounce<A extends unknown[]>(fn: (...args: A) => void, ms: number): (...args: A) => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  return (...args: A) => {
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      fn(...args);
    }, ms);
  };
}

/** A dictionary is a folder; a native dialog can only pick its config.yaml or a layer file, so use their folder. */
/**
 * A model picked as a file: a Hugging Face model is its folder, so picking its config.json or weights
 * (model.safetensors, a shard or the shard index) opens the folder; a llama2.c checkpoint is the file itself.
 */
export function modelPath(picked: string): string {
  const name = picked.slice(Math.max(picked.lastIndexOf('/'), picked.lastIndexOf('\\')) + 1);
  if (!/^(config\.json|model(-\d+-of-\d+)?\.safetensors|model\.safetensors\.index\.json)$/i.test(name)) return picked;
  const cut = Math.max(picked.lastIndexOf('/'), picked.lastIndexOf('\\'));
  return cut > 0 ? picked.slice(0, cut) : picked;
}

export function dictionaryDir(picked: string): string {
  if (!/\.(ya?ml|safetensors|json)$/i.test(picked)) return picked;
  const cut = Math.max(picked.lastIndexOf('/'), picked.lastIndexOf('\\'));
  return cut > 0 ? picked.slice(0, cut) : picked;
}
