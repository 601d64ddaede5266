/**
 * Workspace containment for browser mode: the client may name files only inside one folder. A path is resolved
 * against the workspace, then the deepest part of it that exists is resolved through the file system
 * (realpath), so a symlink inside the workspace cannot lead outside it; anything outside is 'forbidden'.
 * Without a workspace (Electron: the user picks files in native dialogs) every absolute path is allowed.
 */
import { realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors';
import { ApiFailure, badRequest } from './errors';

export interface Workspace {
  /** The workspace folder (real path), or null when unrestricted. */
  readonly root: string | null;
  /**
   * The real absolute path `p` names, checked to lie inside the workspace (or inside one of `alsoAllowed`,
   * used for the app's own read-only assets). Throws ApiFailure 'forbidden' / 'bad-request'.
   */
  resolve(p: string, alsoAllowed?: readonly string[]): string;
}

/** `child` is `parent` or lies below it (both absolute and normalized). */
export function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel));
}

/** realpath of the deepest existing ancestor of `abs`, with the rest of `abs` appended. */
export function realpathDeepest(abs: string): string {
  let head = abs;
  const tail: string[] = [];
  for (;;) {
    try {
      return path.join(realpathSync.native(head), ...tail.reverse());
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const parent = path.dirname(head);
      // ENOENT/ENOTDIR: this part does not exist (yet); ELOOP etc.: unusable, refuse by resolving nothing.
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || parent === head) throw new ApiFailure('forbidden', `${abs} cannot be resolved (${code ?? 'error'})`);
      tail.push(path.basename(head));
      head = parent;
    }
  }
}

export function createWorkspace(dir: string | null): Workspace {
  if (dir === null) {
    return {
      root: null,
      resolve(p) {
        if (p.includes('\0')) throw badRequest('a path must not contain NUL characters');
        if (!path.isAbsolute(p)) throw badRequest(`path must be absolute: ${p}`);
        return realpathDeepest(path.resolve(p));
      },
    };
  }
  const lexicalRoot = path.resolve(dir);
  let root: string;
  try {
    root = realpathSync.native(lexicalRoot);
  } catch {
    throw new UserError(`workspace ${lexicalRoot} does not exist`);
  }
  if (!statSync(root).isDirectory()) throw new UserError(`workspace ${lexicalRoot} is not a directory`);
  return {
    root,
    resolve(p, alsoAllowed = []) {
      if (p.includes('\0')) throw badRequest('a path must not contain NUL characters');
      const real = realpathDeepest(path.resolve(root, p));
      if (isInside(root, real) || alsoAllowed.some((a) => isInside(realpathDeepest(path.resolve(a)), real))) return real;
      throw new ApiFailure('forbidden', `${p} is outside the workspace ${root}`);
    },
  };
}
