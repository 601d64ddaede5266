/**
 * Writes the Diff view journey's workspace files (run as a child process: `node --import tsx e2e/diffSetup.ts DIR`,
 * so the Playwright process never loads the engine): the rank-one edited model (" Lily" → " Tim", layer 3 MLP)
 * with its tokenizer, a prompt suite of naming prompts and controls, and in `expl/` an explanation made on the
 * embedded model whose causal test depends on the renamed girl.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadModel } from '../main/model/load';
import { writeLlama2cV0 } from '../main/model/llama2cWrite';
import { loadDictionary } from '../main/dictionary/format';
import { makeExplanation } from '../main/explain/build';
import { saveExplanation } from '../main/explain/file';
import { parseTestSpec } from '../main/explain/testSpec';
import { embeddedDictionaryPath } from '../main/paths';
import { interventionRequestSchema } from '../shared/intervention';
import { CONTROLS, EDIT_PROMPT, NAMING, editedSpec, writeModel } from '../test/diffModels';

const dir = process.argv[2];
if (!dir) throw new Error('usage: diffSetup.ts DIR');
const { spec, tokenizer } = await loadModel();
writeModel(dir, 'edited.bin', writeLlama2cV0(await editedSpec(spec, tokenizer)));
writeFileSync(path.join(dir, 'suite.txt'), [...NAMING, ...CONTROLS].join('\n') + '\n');
const tokens = tokenizer.encode(EDIT_PROMPT, { bos: true });
const test = 'none => p( Lily) >= 50%';
const t = parseTestSpec(test, tokenizer, spec.config.vocabSize, tokens.length);
const e = await makeExplanation(spec, await loadDictionary(embeddedDictionaryPath), tokenizer, {
  prompt: EDIT_PROMPT, tokens, targets: { kind: 'salient' }, attribution: { maxFeatureNodes: null, batchSize: 256, nodeThreshold: 0.8, edgeThreshold: 0.98 },
  tests: [{ name: test, spec: test, intervention: interventionRequestSchema.parse({ edits: t.edits, mode: t.mode }), expectation: t.expectation }],
});
mkdirSync(path.join(dir, 'expl'));
saveExplanation(path.join(dir, 'expl', 'lily.circuit.json'), e);
