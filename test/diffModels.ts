/** The v2 models the diff tests and the diff benchmark build from the embedded model, written as real checkpoint files. */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ModelSpec } from '../shared/model';
import type { Tokenizer } from '../main/tokenizer/types';
import { writeLlama2cV0, writeLlama2cV2 } from '../main/model/llama2cWrite';
import { embeddedModelPath } from '../main/paths';
import { resolveToken } from '../main/attribution/targets';
import { perturbTensor, rankOneEdit } from '../main/diff/edits';

/** The prompt whose last position keys the rank-one edit: " Lily" → " Tim" after "girl named". */
export const EDIT_PROMPT = 'Once upon a time, there was a little girl named';
export const EDIT_LAYER = 3;
export const PERTURBED = 'blocks.1.attn.W_O';

/** Naming prompts (the edit's key context) and controls (other contexts). */
export const NAMING = [
  EDIT_PROMPT, 'One day, a girl named', 'There was a little girl named', 'Once upon a time, there was a girl named',
  'Once upon a time, there was a little boy named', 'One day, a little girl named',
];
export const CONTROLS = [
  'Once upon a time, there was a little girl. She', 'The sun was shining and', 'Tom and Lily went to the park. They', 'Once upon a time',
  'Lily wanted to play with her', 'One day, Tim went to the', 'The bird flew up to the', 'He liked to play with his', 'They played all day and',
  'Mom said, "Let\'s go to the', 'The dog was very', 'She saw a big',
];

export function writeModel(dir: string, name: string, bytes: Uint8Array): string {
  mkdirSync(dir, { recursive: true });
  copyFileSync(path.join(path.dirname(embeddedModelPath), 'tok512.bin'), path.join(dir, 'tok512.bin'));
  const f = path.join(dir, name);
  writeFileSync(f, bytes);
  return f;
}

export async function editedSpec(spec: ModelSpec, tok: Tokenizer, strength = 8): Promise<ModelSpec> {
  return rankOneEdit(spec, {
    layer: EDIT_LAYER, tokens: tok.encode(EDIT_PROMPT, { bos: true }),
    from: resolveToken(tok, spec.config.vocabSize, ' Lily'), to: resolveToken(tok, spec.config.vocabSize, ' Tim'), strength,
  });
}

export interface TestModels {
  readonly same: string;
  readonly edit: string;
  readonly attn: string;
  readonly q80: string;
}

export async function writeTestModels(dir: string, spec: ModelSpec, tok: Tokenizer): Promise<TestModels> {
  return {
    same: writeModel(dir, 'same.bin', writeLlama2cV0(spec)),
    edit: writeModel(dir, 'edit.bin', writeLlama2cV0(await editedSpec(spec, tok))),
    attn: writeModel(dir, 'attn.bin', writeLlama2cV0(perturbTensor(spec, PERTURBED, 0.5, 3))),
    q80: writeModel(dir, 'q80.bin', writeLlama2cV2(spec)),
  };
}
