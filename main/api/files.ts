/** files.list: one directory's entries for the client's file browser (dirs first, then files; no dotfiles). */
import { readdir, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FileEntry } from '../../shared/api';
import { UserError } from '../errors';
import type { Workspace } from './workspace';

/** More entries than this are cut (a file browser cannot show them usefully anyway). */
export const MAX_ENTRIES = 5000;

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

export async function listDirectory(ws: Workspace, dir: string | undefined): Promise<{ dir: string; entries: FileEntry[] }> {
  const abs = ws.resolve(dir ?? ws.root ?? os.homedir());
  let names: string[];
  try {
    const st = await stat(abs);
    if (!st.isDirectory()) throw new UserError(`${abs} is not a directory`);
    names = (await readdir(abs)).filter((n) => !n.startsWith('.'));
  } catch (e) {
    if (e instanceof UserError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`cannot list ${abs}: ${code === 'ENOENT' ? 'no such directory' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (code ?? String(e))}`);
  }
  const stats = await Promise.all(names.map((name) => stat(path.join(abs, name)).catch(() => null)));
  const entries: FileEntry[] = [];
  names.forEach((name, i) => {
    // stat follows symlinks: a link is shown as what it points to; broken links and sockets are left out.
    const st = stats[i];
    if (!st || !(st.isDirectory() || st.isFile())) return;
    entries.push({ name, path: path.join(abs, name), kind: st.isDirectory() ? 'dir' : 'file', size: st.isDirectory() ? 0 : st.size });
  });
  entries.sort((a, b) => (a.kind === b.kind ? collator.compare(a.name, b.name) : a.kind === 'dir' ? -1 : 1));
  return { dir: abs, entries: entries.slice(0, MAX_ENTRIES) };
}
