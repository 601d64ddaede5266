/**
 * Opens a model from disk: the checkpoint plus its tokenizer. The result is format-neutral (ModelSpec +
 * Tokenizer); nothing downstream asks which file format it came from.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ModelSpec } from '../../shared/model';
import { UserError } from '../errors';
import { embeddedModelPath } from '../paths';
import type { Tokenizer } from '../tokenizer/types';
import { loadLlama2cTokenizer } from '../tokenizer/llama2c';
import { loadLlama2cCheckpoint } from './llama2c';
import { loadHfFolder } from './hf/open';

export interface LoadedModel {
  readonly spec: ModelSpec;
  readonly tokenizer: Tokenizer;
}

export interface LoadOptions {
  /** Checkpoint path; the embedded stories260K model when absent. */
  readonly model?: string;
  /** Tokenizer file; by default looked up next to the checkpoint. */
  readonly tokenizer?: string;
}

/** llama2.c conventions: `tok{vocab}.bin` or `tokenizer.bin` beside the checkpoint. */
function findLlama2cTokenizer(modelPath: string, vocabSize: number): string {
  const dir = path.dirname(modelPath);
  for (const name of [`tok${vocabSize}.bin`, 'tokenizer.bin']) {
    const p = path.join(dir, name);
    if (existsSync(p)) return p;
  }
  throw new UserError(
    `no tokenizer found for ${modelPath}: expected tok${vocabSize}.bin or tokenizer.bin in ${dir}; pass --tokenizer FILE`,
  );
}

export async function loadModel(opts: LoadOptions = {}): Promise<LoadedModel> {
  const modelPath = path.resolve(opts.model ?? embeddedModelPath);
  if (!existsSync(modelPath)) throw new UserError(`model file not found: ${modelPath}`);
  if (statSync(modelPath).isDirectory()) return loadHfFolder(modelPath, opts.tokenizer);
  const spec = await loadLlama2cCheckpoint(modelPath);
  const tokPath = opts.tokenizer ? path.resolve(opts.tokenizer) : findLlama2cTokenizer(modelPath, spec.config.vocabSize);
  const tokenizer = loadLlama2cTokenizer(tokPath, spec.config.vocabSize);
  return { spec, tokenizer };
}
