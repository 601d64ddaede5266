/**
 * figure.export: writes a figure the renderer drew (SVG text or PNG bytes) to a workspace file, atomically. The
 * name must say what it is (.svg / .png) and the content must be one (an `<svg>` root / the PNG signature), so a
 * client cannot use this to drop arbitrary files (scripts, configs) into the workspace.
 */
import path from 'node:path';
import type { ApiParams } from '../../shared/api';
import { UserError } from '../errors';
import { statOrNull, writeFileAtomic } from '../files';
import { badRequest } from './errors';
import type { Workspace } from './workspace';

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The file's bytes after checking the content matches the format. */
export function figureBytes(p: ApiParams<'figure.export'>): Buffer {
  if (p.format === 'svg') {
    // An XML declaration, comments or a doctype may come first; the root element must be <svg>.
    const head = p.svg.replace(/^\uFEFF/, '').replace(/^(\s|<\?xml[^>]*\?>|<!--[\s\S]*?-->|<!DOCTYPE[^>]*>)*/i, '');
    if (!/^<svg[\s/>]/.test(head)) throw badRequest('figure.export: svg must be an SVG document (root element <svg>)');
    return Buffer.from(p.svg, 'utf8');
  }
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(p.pngBase64)) throw badRequest('figure.export: pngBase64 is not base64');
  const bytes = Buffer.from(p.pngBase64, 'base64');
  if (bytes.length < 64 || !bytes.subarray(0, 8).equals(PNG_SIGNATURE)) throw badRequest('figure.export: pngBase64 is not a PNG image');
  return bytes;
}

export function exportFigure(ws: Workspace, p: ApiParams<'figure.export'>): { path: string; bytes: number } {
  const file = ws.resolve(p.path);
  const ext = `.${p.format}`;
  if (path.extname(file).toLowerCase() !== ext) throw new UserError(`export the ${p.format.toUpperCase()} figure to a ${ext} file (got ${path.basename(file)})`);
  if (!statOrNull(path.dirname(file))?.isDirectory()) throw new UserError(`cannot export: folder ${path.dirname(file)} does not exist`);
  if (statOrNull(file)?.isDirectory()) throw new UserError(`cannot export: ${file} is a folder`);
  const bytes = figureBytes(p);
  writeFileAtomic(file, bytes);
  return { path: file, bytes: bytes.length };
}
