/**
 * Writes the Diff view journey's workspace files (run as a child process: `node --import tsx e2e/diffSetup.ts DIR`,
 * so the Playwright process never loads the engine): the rank-one edited model (" Lily" → " Tim", layer 3 MLP)
 * with its tokenizer, and a prompt suite of naming prompts and controls.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadModel } from '../main/model/load';
import { writeLlama2cV0 } from '../main/model/llama2cWrite';
import { CONTROLS, NAMING, editedSpec, writeModel } from '../test/diffModels';

const dir = process.argv[2];
if (!dir) throw new Error('usage: diffSetup.ts DIR');
const { spec, tokenizer } = await loadModel();
writeModel(dir, 'edited.bin', writeLlama2cV0(await editedSpec(spec, tokenizer)));
writeFileSync(path.join(dir, 'suite.txt'), [...NAMING, ...CONTROLS].join('\n') + '\n');
