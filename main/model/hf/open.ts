/**
 * A Hugging Face folder as a LoadedModel: weights (./load.ts) plus a tokenizer — `--tokenizer FILE` when given
 * (a llama2.c `.bin` or a `tokenizer.json`), else the folder's tokenizer.json (or GPT-2 vocab.json + merges.txt),
 * else an ids-only tokenizer so that `--ids` works on folders that ship none (the tiny fixtures).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ModelSpec } from '../../../shared/model';
import { UserError } from '../../errors';
import { loadLlama2cTokenizer } from '../../tokenizer/llama2c';
import { loadHfTokenizer } from '../../tokenizer/hf';
import type { Tokenizer } from '../../tokenizer/types';
import type { LoadedModel } from '../load';
import { loadHfModel } from './load';

/** Encodes nothing (the user must pass ids); decodes ids as `[id]`. */
export function idsOnlyTokenizer(spec: ModelSpec): Tokenizer {
  const { vocabSize, bosId, eosId } = spec.config;
  const text = (id: number) => (id === bosId ? '' : `[${id}]`);
  return {
    vocabSize,
    bosId,
    eosId,
    encode: () => {
      throw new UserError(`${spec.path} has no tokenizer.json: pass token ids with --ids 1,15,27 or a tokenizer with --tokenizer FILE`);
    },
    decode: (ids) => ids.map(text).join(''),
    printablePiece: (_prev, token) => new TextEncoder().encode(text(token)),
  };
}

export function tokenizerFor(spec: ModelSpec, dir: string, tokenizerPath?: string): Tokenizer {
  const V = spec.config.vocabSize;
  if (tokenizerPath) {
    const p = path.resolve(tokenizerPath);
    if (!existsSync(p)) throw new UserError(`tokenizer file not found: ${p}`);
    return p.endsWith('.json') ? loadHfTokenizer(p, { vocabSize: V, bosId: spec.config.bosId, eosId: spec.config.eosId }) : loadLlama2cTokenizer(p, V);
  }
  const has = (f: string) => existsSync(path.join(dir, f));
  if (has('tokenizer.json') || (has('vocab.json') && has('merges.txt'))) {
    return loadHfTokenizer(dir, { vocabSize: V, bosId: spec.config.bosId, eosId: spec.config.eosId });
  }
  return idsOnlyTokenizer(spec);
}

export function loadHfFolder(dir: string, tokenizerPath?: string): LoadedModel {
  const spec = loadHfModel(dir);
  return { spec, tokenizer: tokenizerFor(spec, dir, tokenizerPath) };
}
