/**
 * Trains a per-layer transcoder set for a model (`cwb dict train`), layer by layer, with checkpoints so a
 * stopped run resumes where it was and ends with the same weights as an uninterrupted one.
 *
 * Checkpoint directory layout: `meta.json` (options + corpus sha256: resuming with other settings is refused),
 * `layer_{l}.done.safetensors` for finished layers, `layer_{l}.state.safetensors` for the layer in progress
 * (parameters, Adam moments, dead-feature counters, step and RNG state in the metadata).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Dictionary, TranscoderLayer } from '../../shared/dictionary';
import type { ModelSpec } from '../../shared/model';
import type { Tensor } from '../../shared/tensor';
import { UserError } from '../errors';
import { Rng } from '../engine/sampler';
import { collectLayerData } from './activations';
import { parseSafetensors, readSafetensorsHeader, writeSafetensors } from './safetensors';
import { writeFileAtomic } from '../files';
import { initTrainState, trainLayer, type TrainLayerOptions, type TrainState } from './trainLayer';
import { TRAIN_PARAMS, type TrainParam } from '../../native/programs/trainStep';

/** Every layer's training options (the layer seed is derived from `seed`), plus hooks and checkpointing. */
export interface TrainDictionaryOptions extends Omit<TrainLayerOptions, 'onStep'> {
  readonly inputHook: string;
  readonly outputHook: string;
  /** Where to keep checkpoints; no checkpoints when absent. */
  readonly checkpointDir?: string;
  readonly checkpointEvery?: number;
  readonly onProgress?: (p: { layer: number; step: number; steps: number; loss: number; phase: 'collect' | 'train' }) => void;
}

export const defaultTrainOptions = {
  features: 1024,
  k: 16,
  skip: true,
  steps: 3000,
  batchSize: 4096,
  lr: 2e-3,
  seed: 1,
  resampleEvery: 250,
  resampleUntil: 0.6,
  inputHook: 'mlp.hook_in',
  outputHook: 'hook_mlp_out',
} as const;

export function corpusHash(sequences: readonly (readonly number[])[]): string {
  const h = createHash('sha256');
  for (const s of sequences) h.update(Int32Array.from(s)).update('\n');
  return h.digest('hex');
}


function saveState(file: string, state: TrainState): void {
  const t = new Map<string, Tensor>();
  for (const p of TRAIN_PARAMS) {
    t.set(p, { data: state.params[p], shape: [state.params[p].length] });
    t.set(`m.${p}`, { data: state.m[p], shape: [state.m[p].length] });
    t.set(`v.${p}`, { data: state.v[p], shape: [state.v[p].length] });
  }
  t.set('since_fired', { data: state.sinceFired, shape: [state.sinceFired.length] });
  writeFileAtomic(file, writeSafetensors(t, { step: String(state.step), rng: state.rng.state64.toString() }));
}

function loadState(file: string): TrainState {
  const bytes = readFileSync(file);
  const t = parseSafetensors(bytes, file);
  const meta = Object.fromEntries(readSafetensorsHeader(bytes, file).metadata);
  const get = (n: string) => {
    const x = t.get(n);
    if (!x) throw new UserError(`checkpoint ${file} is missing ${n}: delete the checkpoint directory to start over`);
    return x.data;
  };
  const rec = (prefix: string) => Object.fromEntries(TRAIN_PARAMS.map((p) => [p, get(prefix + p)])) as Record<TrainParam, Float32Array>;
  return { step: Number(meta.step), params: rec(''), m: rec('m.'), v: rec('v.'), sinceFired: get('since_fired'), rng: Rng.fromState(BigInt(meta.rng)) };
}


function layerTensors(layer: TranscoderLayer): Map<string, Tensor> {
  const m = new Map<string, Tensor>(Object.entries(layer).filter(([, v]) => v !== undefined) as [string, Tensor][]);
  return m;
}

export async function trainDictionary(spec: ModelSpec, sequences: readonly (readonly number[])[], name: string, o: TrainDictionaryOptions): Promise<Dictionary> {
  const L = spec.config.nLayers;
  const d = spec.config.dModel;
  const ck = o.checkpointDir;
  const every = o.checkpointEvery ?? 250;
  const settings = { ...o, onProgress: undefined, signal: undefined, checkpointDir: undefined, checkpointEvery: undefined, model: spec.fingerprint, corpus: corpusHash(sequences) };
  if (ck) {
    mkdirSync(ck, { recursive: true });
    const metaFile = path.join(ck, 'meta.json');
    if (existsSync(metaFile)) {
      const before = readFileSync(metaFile, 'utf8');
      if (before !== JSON.stringify(settings, null, 2)) {
        throw new UserError(`checkpoint ${ck} was made with other settings, model or corpus: delete it or pass another --checkpoint-dir`);
      }
    } else writeFileAtomic(metaFile, JSON.stringify(settings, null, 2));
  }
  const layers: TranscoderLayer[] = [];
  for (let l = 0; l < L; l++) {
    const done = ck ? path.join(ck, `layer_${l}.done.safetensors`) : '';
    if (ck && existsSync(done)) {
      const t = parseSafetensors(readFileSync(done), done);
      const g = (n: string) => t.get(n) && { data: t.get(n)!.data, shape: t.get(n)!.shape };
      layers.push({ W_enc: g('W_enc')!, b_enc: g('b_enc')!, W_dec: g('W_dec')!, b_dec: g('b_dec')!, ...(t.has('W_skip') ? { W_skip: g('W_skip')! } : {}) });
      continue;
    }
    o.onProgress?.({ layer: l, step: 0, steps: o.steps, loss: NaN, phase: 'collect' });
    const data = await collectLayerData(spec, sequences, l, { inputHook: o.inputHook, outputHook: o.outputHook, signal: o.signal });
    const lo: TrainLayerOptions = {
      features: o.features,
      k: o.k,
      skip: o.skip,
      steps: o.steps,
      batchSize: o.batchSize,
      lr: o.lr,
      seed: o.seed * 1000 + l,
      resampleEvery: o.resampleEvery,
      resampleUntil: o.resampleUntil,
      signal: o.signal,
      onStep: (step, loss) => o.onProgress?.({ layer: l, step, steps: o.steps, loss, phase: 'train' }),
    };
    const stateFile = ck ? path.join(ck, `layer_${l}.state.safetensors`) : '';
    const state = ck && existsSync(stateFile) ? loadState(stateFile) : initTrainState(data, lo);
    const { layer } = await trainLayer(data, lo, state, {
      afterStep: (s) => {
        if (ck && s.step % every === 0 && s.step < o.steps) saveState(stateFile, s);
      },
    });
    if (ck) writeFileAtomic(done, writeSafetensors(layerTensors(layer)));
    layers.push(layer);
  }
  return {
    kind: 'plt',
    name,
    path: '',
    fingerprint: '',
    model: { name: spec.name, fingerprint: spec.fingerprint },
    inputHook: o.inputHook,
    outputHook: o.outputHook,
    activation: { kind: 'topk', k: o.k },
    nLayers: L,
    dModel: d,
    nFeatures: o.features,
    layers,
  };
}
