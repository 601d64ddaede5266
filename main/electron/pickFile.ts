/**
 * `cwb:pick-file`: the renderer's request for a native open/save dialog (HostBridge.pickFile), validated with
 * zod before anything reaches `dialog`, and the dialog's answer reduced to a path or null. No Electron import at
 * runtime (types only): unit-tested.
 */
import { z } from 'zod';
import type { OpenDialogOptions, OpenDialogReturnValue, SaveDialogOptions, SaveDialogReturnValue } from 'electron';

const extension = z.string().regex(/^(\*|[A-Za-z0-9][A-Za-z0-9._-]{0,31})$/, 'an extension without the dot, or *');

export const pickFileOptionsSchema = z
  .object({
    mode: z.enum(['open', 'open-dir', 'save']),
    title: z.string().min(1).max(200),
    filters: z
      .array(z.object({ name: z.string().min(1).max(100), extensions: z.array(extension).min(1).max(20) }).strict())
      .max(20)
      .optional(),
    defaultPath: z.string().min(1).max(4096).refine((p) => !p.includes('\0'), 'no NUL characters').optional(),
  })
  .strict();

export type PickFileOptions = z.infer<typeof pickFileOptionsSchema>;

export type ParsedPickFile = { readonly ok: true; readonly options: PickFileOptions } | { readonly ok: false; readonly reason: string };

export function parsePickFileOptions(v: unknown): ParsedPickFile {
  const r = pickFileOptionsSchema.safeParse(v);
  if (r.success) return { ok: true, options: r.data };
  const issue = r.error.issues[0];
  return { ok: false, reason: `${issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : ''}${issue?.message ?? 'invalid options'}` };
}

export type DialogRequest =
  | { readonly kind: 'open'; readonly options: OpenDialogOptions }
  | { readonly kind: 'save'; readonly options: SaveDialogOptions };

/** The options for `dialog.showOpenDialog` / `dialog.showSaveDialog`: one file or one folder, never multiple. */
export function dialogRequest(o: PickFileOptions): DialogRequest {
  const filters = o.filters?.map((f) => ({ name: f.name, extensions: [...f.extensions] }));
  const common = { title: o.title, ...(filters ? { filters } : {}), ...(o.defaultPath ? { defaultPath: o.defaultPath } : {}) };
  if (o.mode === 'open-dir') return { kind: 'open', options: { ...common, properties: ['openDirectory', 'dontAddToRecent'] } };
  if (o.mode === 'open') return { kind: 'open', options: { ...common, properties: ['openFile', 'dontAddToRecent'] } };
  return { kind: 'save', options: { ...common, properties: ['createDirectory', 'showOverwriteConfirmation', 'dontAddToRecent'] } };
}

/** The chosen path, or null when the user cancelled. */
export function dialogResultPath(r: OpenDialogReturnValue | SaveDialogReturnValue): string | null {
  if (r.canceled) return null;
  const p = 'filePaths' in r ? r.filePaths[0] : r.filePath;
  return typeof p === 'string' && p.length > 0 ? p : null;
}
