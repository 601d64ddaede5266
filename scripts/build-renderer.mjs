// Bundles the renderer (renderer/src/index.tsx) into renderer/dist/{app.js, app.css, index.html}.
//
// The source is ES modules; the bundle is emitted as an IIFE on purpose: Electron loads index.html from
// file://, where Chromium refuses <script type="module"> (null origin, no MIME type), while a classic
// script works from file:// and http alike. No inline script, so the strict CSP below holds.
import { build } from 'esbuild';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'renderer', 'dist');

export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self' ws://127.0.0.1:*",
  "object-src 'none'",
  "base-uri 'none'",
].join('; ');

const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Circuit Workbench</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="./app.css">
<script defer src="./app.js"></script>
</head>
<body>
<div id="root"></div>
<noscript>Circuit Workbench needs JavaScript.</noscript>
</body>
</html>
`;

/** See renderer-zod-stub.mjs: the renderer never validates, the engine does. */
const zodStub = {
  name: 'zod-stub',
  setup(b) {
    b.onResolve({ filter: /^zod(\/.*)?$/ }, () => ({ path: path.join(root, 'scripts', 'renderer-zod-stub.mjs') }));
  },
};

const t0 = performance.now();
await mkdir(outdir, { recursive: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: ['renderer/src/index.tsx'],
  outfile: path.join(outdir, 'app.js'),
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: ['chrome120'],
  // CWB_RENDERER_NO_MINIFY=1: readable names in profiles.
  minify: process.env.CWB_RENDERER_NO_MINIFY !== '1',
  sourcemap: true,
  jsx: 'automatic',
  define: { 'process.env.NODE_ENV': '"production"' },
  legalComments: 'linked',
  logLevel: 'warning',
  metafile: true,
  plugins: [zodStub],
});
await writeFile(path.join(outdir, 'index.html'), html);
const bytes = Object.entries(result.metafile.outputs)
  .filter(([f]) => !f.endsWith('.map'))
  .map(([f, o]) => `${path.basename(f)} ${(o.bytes / 1024).toFixed(0)} KB`)
  .join(', ');
console.log(`renderer/dist: ${bytes} (${Math.round(performance.now() - t0)} ms)`);
