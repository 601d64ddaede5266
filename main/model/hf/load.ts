/**
 * Opens a Hugging Face model folder (`config.json` + `model.safetensors` or a sharded index) as a ModelSpec.
 * Weights are widened to float32 as they are read (the engine computes in float32; F16/BF16 files use 2× their
 * size in memory). The fingerprint is the sha256 of config.json followed by every used tensor's stored bytes in
 * file order: it changes with any weight or architecture change, and costs no extra pass over the files.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ModelSpec } from '../../../shared/model';
import { weightNames as W } from '../../../shared/model';
import type { Tensor } from '../../../shared/tensor';
import { UserError } from '../../errors';
import { readJsonFile } from '../../files';
import { parseHfConfig, type HfConfig } from './config';
import { openShards, readShardTensors, type ShardSet } from './shards';
import { checkPlan, planWeights, type TensorPlan } from './weights';

export function isHfFolder(dir: string): boolean {
  return existsSync(dir) && statSync(dir).isDirectory() && existsSync(path.join(dir, 'config.json'));
}

export function readHfConfig(dir: string): HfConfig {
  const file = path.join(dir, 'config.json');
  if (!existsSync(file)) throw new UserError(`${dir}: no config.json (not a Hugging Face model folder)`);
  return parseHfConfig(readJsonFile(file), file);
}

export interface HfInspection {
  readonly config: HfConfig;
  readonly shards: ShardSet;
  /** HF tensor name → where it goes in the engine's weights (checked against the shard headers). */
  readonly plan: ReadonlyMap<string, TensorPlan>;
  /** Stored dtypes of the tensors the model uses, e.g. ['BF16']. */
  readonly dtypes: readonly string[];
  readonly parameters: number;
}

/** Validates a folder without reading weights: config, shard headers, every tensor's presence and shape. */
export function inspectHfFolder(dir: string): HfInspection {
  const config = readHfConfig(dir);
  const shards = openShards(dir);
  const plan = planWeights(config, new Set(shards.tensors.keys()));
  checkPlan(plan, new Map([...shards.tensors].map(([n, t]) => [n, t.entry.shape])), dir);
  const dtypes = [...new Set([...plan.keys()].map((n) => shards.tensors.get(n)!.entry.dtype))].sort();
  let parameters = 0;
  for (const n of plan.keys()) parameters += shards.tensors.get(n)!.entry.shape.reduce((a, b) => a * b, 1);
  return { config, shards, plan, dtypes, parameters };
}

export function loadHfModel(dir: string): ModelSpec {
  const folder = path.resolve(dir);
  const { config, shards, plan, dtypes } = inspectHfFolder(folder);
  const hash = createHash('sha256').update(readFileSync(path.join(folder, 'config.json')));
  const weights = new Map<string, Tensor>();
  readShardTensors(shards, [...plan.keys()], (name, data) => plan.get(name)!.store(data, weights), hash);
  if (config.arch.tiedEmbeddings) weights.set(W.unembed, weights.get(W.embed)!);
  return {
    name: path.basename(folder),
    format: `hf-${config.family}-${dtypes.join('+').toLowerCase()}`,
    path: folder,
    fingerprint: hash.digest('hex'),
    config: config.arch,
    weights,
  };
}
