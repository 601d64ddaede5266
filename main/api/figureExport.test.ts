import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../errors';
import { ApiFailure } from './errors';
import { exportFigure, figureBytes, PNG_SIGNATURE } from './figureExport';
import { createWorkspace } from './workspace';

const dir = mkdtempSync(path.join(os.tmpdir(), 'cwb-fig-'));
const ws = createWorkspace(dir);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const code = (f: () => unknown): string => {
  try {
    f();
    return 'ok';
  } catch (e) {
    return e instanceof ApiFailure ? e.code : e instanceof UserError ? 'user' : 'other';
  }
};

describe('figure.export', () => {
  it('writes an SVG document and PNG bytes into the workspace (nothing left behind)', () => {
    const svg = '<?xml version="1.0"?>\n<!-- made by a test -->\n<svg xmlns="http://www.w3.org/2000/svg" width="2" height="2"><text>ü</text></svg>';
    expect(exportFigure(ws, { format: 'svg', path: 'a.svg', svg })).toEqual({ path: path.join(ws.root!, 'a.svg'), bytes: Buffer.byteLength(svg) });
    expect(readFileSync(path.join(dir, 'a.svg'), 'utf8')).toBe(svg);
    const png = Buffer.concat([PNG_SIGNATURE, Buffer.alloc(100, 7)]);
    expect(exportFigure(ws, { format: 'png', path: 'sub/../b.PNG', pngBase64: png.toString('base64') }).bytes).toBe(png.length);
    expect(readFileSync(path.join(dir, 'b.PNG')).equals(png)).toBe(true);
    // Overwriting is allowed (a save dialog's choice).
    exportFigure(ws, { format: 'svg', path: 'a.svg', svg: '<svg/>' });
    expect(readFileSync(path.join(dir, 'a.svg'), 'utf8')).toBe('<svg/>');
    expect(readdirSync(dir).sort()).toEqual(['a.svg', 'b.PNG']);
  });

  it('refuses content that is not what the name says, wrong extensions, folders and paths outside the workspace', () => {
    const png = Buffer.concat([PNG_SIGNATURE, Buffer.alloc(100)]).toString('base64');
    expect(code(() => exportFigure(ws, { format: 'svg', path: 'x.svg', svg: '<script>alert(1)</script>' }))).toBe('bad-request');
    expect(code(() => exportFigure(ws, { format: 'svg', path: 'x.svg', svg: '<html><svg></svg></html>' }))).toBe('bad-request');
    expect(code(() => exportFigure(ws, { format: 'png', path: 'x.png', pngBase64: Buffer.from('GIF89a'.padEnd(80, 'x')).toString('base64') }))).toBe('bad-request');
    expect(code(() => exportFigure(ws, { format: 'png', path: 'x.png', pngBase64: 'not base64!' }))).toBe('bad-request');
    expect(code(() => exportFigure(ws, { format: 'svg', path: 'x.html', svg: '<svg/>' }))).toBe('user');
    expect(code(() => exportFigure(ws, { format: 'png', path: 'x.svg', pngBase64: png }))).toBe('user');
    expect(code(() => exportFigure(ws, { format: 'svg', path: 'missing/x.svg', svg: '<svg/>' }))).toBe('user');
    writeFileSync(path.join(dir, 'keep.txt'), 'x');
    expect(code(() => exportFigure(ws, { format: 'svg', path: '../escape.svg', svg: '<svg/>' }))).toBe('forbidden');
    expect(existsSync(path.join(dir, 'x.svg'))).toBe(false);
    expect(existsSync(path.join(path.dirname(dir), 'escape.svg'))).toBe(false);
  });

  it('fuzz: any content is either refused as bad-request or is what it claims to be', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string().map((x) => `<svg${x}`), fc.string().map((x) => `<?xml ${x}?><svg>${x}`)), (svg) => {
        try {
          const b = figureBytes({ format: 'svg', path: 'x.svg', svg });
          expect(b.toString('utf8')).toBe(svg);
          expect(svg).toMatch(/<svg[\s/>]/);
        } catch (e) {
          expect(e).toBeInstanceOf(ApiFailure);
          expect((e as ApiFailure).code).toBe('bad-request');
        }
      }),
    );
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ minLength: 60, maxLength: 200 }).map((b) => Buffer.concat([PNG_SIGNATURE, b]))), fc.boolean(), (bytes, mangle) => {
        const b64 = Buffer.from(bytes).toString('base64') + (mangle ? '!' : '');
        try {
          const out = figureBytes({ format: 'png', path: 'x.png', pngBase64: b64 });
          expect(mangle).toBe(false);
          expect(out.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
          expect(out.equals(Buffer.from(bytes))).toBe(true);
        } catch (e) {
          expect((e as ApiFailure).code).toBe('bad-request');
        }
      }),
    );
  });
});
