// electron-builder afterPack hook: onnxruntime-node ships binaries for every OS and CPU; in the packaged app
// (never in the developer's node_modules) keep only the target's.
const fs = require('node:fs');
const path = require('node:path');

function findBinDirs(dir, depth = 0, out = []) {
  if (depth > 8 || !fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!e.isDirectory()) continue;
    const p = path.join(dir, e.name);
    if (p.endsWith(path.join('onnxruntime-node', 'bin', 'napi-v6'))) out.push(p);
    else findBinDirs(p, depth + 1, out);
  }
  return out;
}

exports.default = async function prune(context) {
  const platform = context.electronPlatformName;
  const arch = { 0: 'ia32', 1: 'x64', 2: 'armv7l', 3: 'arm64', 4: 'universal' }[context.arch] ?? process.arch;
  for (const binDir of findBinDirs(context.appOutDir)) {
    for (const os of fs.readdirSync(binDir)) {
      const osDir = path.join(binDir, os);
      if (os !== platform) { fs.rmSync(osDir, { recursive: true, force: true }); continue; }
      if (arch === 'universal') continue;
      for (const a of fs.readdirSync(osDir)) if (a !== arch) fs.rmSync(path.join(osDir, a), { recursive: true, force: true });
    }
  }
};
