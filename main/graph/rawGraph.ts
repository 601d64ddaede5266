/**
 * The raw graph on disk, full fidelity (circuit-tracer's `.pt` is a pickle; method brief §5.3 says to use a
 * container of our own): `<file>` is safetensors with every numeric array, `<file>.json` is a JSON sidecar with
 * everything else plus the sha256 and size of the safetensors file, so a mismatched or modified pair is refused.
 *
 * Tensors (all F32, since writeSafetensors writes only float dtypes):
 *   adjacency [N, N]         rows = targets, columns = sources (shared/graph.ts)
 *   features.layer/pos/index [F]  integers stored as float32: exact because every value is asserted < 2^24
 *   features.activation [F]
 *   targets.weight [K]       float32 copy for readers of the safetensors alone; the sidecar holds the exact
 *                            float64 weights (LogitTarget.weight is a JS number) and the two must agree
 * Nothing is ever unpickled or evaluated; every malformed input is a one-line UserError.
 */
import { createHash, randomBytes } from 'node:crypto';
import { open, readFile, rename, rm, stat } from 'node:fs/promises';
import { z } from 'zod';
import { graphLayout, type AttributionGraph } from '../../shared/graph';
import type { Tensor } from '../../shared/tensor';
import { parseSafetensors, type SafetensorsTensor, writeSafetensors } from '../dictionary/safetensors';
import { UserError } from '../errors';
import { formatBytes, parseJsonSafely } from './safeJson';

export const RAW_GRAPH_FORMAT = 'circuit-workbench-raw-graph';
const F32_EXACT = 2 ** 24;
const SIDECAR_MAX_BYTES = 64 * 1024 * 1024;
const T = { adjacency: 'adjacency', layer: 'features.layer', pos: 'features.pos', index: 'features.index', activation: 'features.activation', weight: 'targets.weight' } as const;

const nat = z.number().int().nonnegative();
const sidecarSchema = z.object({
  format: z.literal(RAW_GRAPH_FORMAT),
  formatVersion: z.literal(1),
  safetensors: z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/), bytes: nat }),
  prompt: z.string(),
  tokens: z.array(nat),
  tokenTexts: z.array(z.string()),
  nLayers: nat,
  nPos: nat,
  vocabSize: nat,
  activeFeatureCount: nat,
  featureCount: nat,
  nodeCount: nat,
  targets: z.array(z.object({ vocabIdx: nat, label: z.string(), weight: z.number() })),
  settings: z.object({
    maxFeatureNodes: nat.nullable(),
    batchSize: nat,
    maxLogits: nat,
    desiredLogitProb: z.number(),
    targetMode: z.enum(['salient', 'tokens', 'contrast', 'custom']),
  }),
  model: z.object({ name: z.string(), fingerprint: z.string() }),
  dictionary: z.object({ name: z.string(), fingerprint: z.string(), kind: z.enum(['plt', 'clt']) }),
});
type Sidecar = z.infer<typeof sidecarSchema>;

export const sidecarPath = (file: string): string => `${file}.json`;
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Integers in [0, below) as float32, refusing any value float32 cannot hold exactly or the reader would refuse. */
function intsAsF32(a: Int32Array, what: string, below: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) {
    if (a[i] >= F32_EXACT) throw new UserError(`cannot write the raw graph: ${what}[${i}] = ${a[i]} is too large to store exactly as float32 (limit 2^24)`);
    if (a[i] < 0 || a[i] >= below) throw new UserError(`cannot write the raw graph: ${what}[${i}] = ${a[i]} is outside [0, ${below})`);
    out[i] = a[i];
  }
  return out;
}

/** Writes `data` to `file` through a temp sibling that is fsynced and renamed, so readers never see half a file. */
async function writeTemp(file: string, data: Uint8Array | string): Promise<string> {
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const fh = await open(tmp, 'wx');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  return tmp;
}

/**
 * Writes `<file>` and `<file>.json`. Each is replaced atomically; between the two renames a crash leaves a new
 * safetensors beside an old sidecar, which readRawGraph refuses by its hash instead of mixing two graphs.
 */
export async function writeRawGraph(file: string, g: AttributionGraph): Promise<void> {
  const lay = graphLayout(g);
  const check = (what: string, got: number, want: number) => {
    if (got !== want) throw new UserError(`cannot write the raw graph: ${what} has ${got} entries, expected ${want}`);
  };
  check('adjacency', g.adjacency.length, lay.N * lay.N);
  for (const k of ['pos', 'index', 'activation'] as const) check(`features.${k}`, g.features[k].length, lay.F);
  check('tokens', g.tokens.length, g.nPos);
  check('tokenTexts', g.tokenTexts.length, g.nPos);
  const tensors: [string, Tensor][] = [
    [T.adjacency, { data: g.adjacency, shape: [lay.N, lay.N] }],
    [T.layer, { data: intsAsF32(g.features.layer, 'features.layer', g.nLayers), shape: [lay.F] }],
    [T.pos, { data: intsAsF32(g.features.pos, 'features.pos', g.nPos), shape: [lay.F] }],
    [T.index, { data: intsAsF32(g.features.index, 'features.index', F32_EXACT + 1), shape: [lay.F] }],
    [T.activation, { data: g.features.activation, shape: [lay.F] }],
    [T.weight, { data: Float32Array.from(g.targets, (t) => t.weight), shape: [lay.K] }],
  ];
  const bytes = writeSafetensors(tensors, { format: RAW_GRAPH_FORMAT, formatVersion: '1' });
  const sidecar: Sidecar = {
    format: RAW_GRAPH_FORMAT,
    formatVersion: 1,
    safetensors: { sha256: sha256(bytes), bytes: bytes.length },
    prompt: g.prompt,
    tokens: [...g.tokens],
    tokenTexts: [...g.tokenTexts],
    nLayers: g.nLayers,
    nPos: g.nPos,
    vocabSize: g.vocabSize,
    activeFeatureCount: g.activeFeatureCount,
    featureCount: lay.F,
    nodeCount: lay.N,
    targets: g.targets.map((t) => ({ vocabIdx: t.vocabIdx, label: t.label, weight: t.weight })),
    settings: { ...g.settings },
    model: { name: g.model.name, fingerprint: g.model.fingerprint },
    dictionary: { name: g.dictionary.name, fingerprint: g.dictionary.fingerprint, kind: g.dictionary.kind },
  };
  // Validate what we write with the reader's schema: a graph we could not read back must not reach the disk.
  const ok = sidecarSchema.safeParse(sidecar);
  if (!ok.success) throw new UserError(`cannot write the raw graph: ${ok.error.issues[0].path.join('.')}: ${ok.error.issues[0].message}`);
  const temps: string[] = [];
  try {
    temps.push(await writeTemp(file, bytes));
    temps.push(await writeTemp(sidecarPath(file), `${JSON.stringify(sidecar, null, 1)}\n`));
    await rename(temps[0], file);
    await rename(temps[1], sidecarPath(file));
  } catch (e) {
    await Promise.all(temps.map((t) => rm(t, { force: true }).catch(() => undefined)));
    if (e instanceof UserError) throw e;
    throw new UserError(`cannot write the raw graph ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

async function readBytes(file: string, what: string, maxBytes = Infinity): Promise<Uint8Array> {
  try {
    const st = await stat(file);
    if (!st.isFile()) throw new UserError(`${what} ${file} is not a file`);
    if (st.size > maxBytes) throw new UserError(`${what} ${file} is ${formatBytes(st.size)}, over the ${formatBytes(maxBytes)} limit`);
    return await readFile(file);
  } catch (e) {
    if (e instanceof UserError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`cannot read ${what} ${file}: ${code === 'ENOENT' ? 'no such file' : (code ?? String(e))}`);
  }
}

async function readSidecar(file: string): Promise<Sidecar> {
  const path = sidecarPath(file);
  const what = `raw graph sidecar ${path}`;
  const bytes = await readBytes(path, 'raw graph sidecar', SIDECAR_MAX_BYTES);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new UserError(`${what} is not valid UTF-8`);
  }
  const r = sidecarSchema.safeParse(parseJsonSafely(text, what, { maxBytes: SIDECAR_MAX_BYTES, maxDepth: 16 }));
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new UserError(`${what}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return r.data;
}

/** Reads and checks a raw graph written by writeRawGraph (see the module comment). */
export async function readRawGraph(file: string): Promise<AttributionGraph> {
  const sc = await readSidecar(file);
  const bytes = await readBytes(file, 'raw graph', Number.MAX_SAFE_INTEGER);
  const fail = (msg: string) => new UserError(`raw graph ${file}: ${msg}`);
  if (bytes.length !== sc.safetensors.bytes) {
    throw fail(`the file is ${bytes.length} bytes but its sidecar records ${sc.safetensors.bytes}; it is truncated or does not belong to this sidecar`);
  }
  if (sha256(bytes) !== sc.safetensors.sha256) throw fail('the file does not match its sidecar (sha256 differs); it was modified or the pair was mixed up');
  const tensors = parseSafetensors(bytes, file);
  // The node layout of shared/graph.ts: features, L·T errors, T tokens, K logits.
  const F = sc.featureCount;
  const K = sc.targets.length;
  const N = F + sc.nLayers * sc.nPos + sc.nPos + K;
  if (N !== sc.nodeCount) throw fail(`the sidecar says ${sc.nodeCount} nodes, but F + L·T + T + K = ${N}`);
  if (sc.tokens.length !== sc.nPos || sc.tokenTexts.length !== sc.nPos) throw fail(`nPos is ${sc.nPos} but there are ${sc.tokens.length} tokens and ${sc.tokenTexts.length} token texts`);
  if (sc.activeFeatureCount < F) throw fail(`activeFeatureCount ${sc.activeFeatureCount} is below the ${F} selected features`);
  if (sc.tokens.some((t) => t >= sc.vocabSize)) throw fail(`a prompt token id is outside the vocabulary (${sc.vocabSize})`);
  if (sc.targets.some((t) => t.vocabIdx >= sc.vocabSize + K)) throw fail('a target vocabulary index is outside the vocabulary and the custom-target range');
  const get = (name: string, shape: readonly number[]): Float32Array => {
    const t: SafetensorsTensor | undefined = tensors.get(name);
    if (!t) throw fail(`tensor "${name}" is missing`);
    if (t.dtype !== 'F32') throw fail(`tensor "${name}" is ${t.dtype}, expected F32`);
    if (t.shape.length !== shape.length || t.shape.some((s, i) => s !== shape[i])) throw fail(`tensor "${name}" has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}]`);
    return t.data;
  };
  const finite = (a: Float32Array, name: string): Float32Array => {
    for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) throw fail(`tensor "${name}" has a non-finite value at ${i}`);
    return a;
  };
  const ints = (name: string, below: number): Int32Array => {
    const a = get(name, [F]);
    const out = new Int32Array(F);
    for (let i = 0; i < F; i++) {
      if (!Number.isInteger(a[i]) || a[i] < 0 || a[i] >= below) throw fail(`tensor "${name}"[${i}] = ${a[i]} is not an integer in [0, ${below})`);
      out[i] = a[i];
    }
    return out;
  };
  const weights = get(T.weight, [K]);
  sc.targets.forEach((t, k) => {
    if (Math.fround(t.weight) !== weights[k]) throw fail(`target ${k}: the sidecar weight ${t.weight} and the tensor's ${weights[k]} differ`);
  });
  return {
    formatVersion: 1,
    prompt: sc.prompt,
    tokens: sc.tokens,
    tokenTexts: sc.tokenTexts,
    nLayers: sc.nLayers,
    nPos: sc.nPos,
    vocabSize: sc.vocabSize,
    features: {
      layer: ints(T.layer, sc.nLayers),
      pos: ints(T.pos, sc.nPos),
      index: ints(T.index, F32_EXACT),
      activation: finite(get(T.activation, [F]), T.activation),
    },
    activeFeatureCount: sc.activeFeatureCount,
    targets: sc.targets,
    adjacency: finite(get(T.adjacency, [N, N]), T.adjacency),
    settings: sc.settings,
    model: sc.model,
    dictionary: sc.dictionary,
  };
}
