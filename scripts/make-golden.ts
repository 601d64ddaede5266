/**
 * Writes the CLI's golden outputs with the plain-TypeScript reference forward (independent of the onnxruntime
 * program the CLI uses) and the llama2.c tokenizer: greedy decoding with llama2.c's loop semantics.
 * Usage: npx tsx scripts/make-golden.ts
 */
import { writeFileSync } from 'node:fs';
import { loadModel } from '../main/model/load';
import { referenceForward } from '../main/reference/forward';
import { argmax } from '../main/engine/sampler';

const { spec, tokenizer } = await loadModel();
const V = spec.config.vocabSize;

function greedy(prompt: string, steps: number): Buffer {
  const promptIds = tokenizer.encode(prompt, { bos: true });
  const ids = [promptIds[0]];
  const out: Uint8Array[] = [];
  for (let pos = 0; pos < steps; pos++) {
    let next: number;
    if (pos < promptIds.length - 1) next = promptIds[pos + 1];
    else {
      const logits = referenceForward(spec, [ids], { outputs: ['logits'] }).get('logits')!.data;
      next = argmax(logits.subarray((ids.length - 1) * V));
    }
    if (next === tokenizer.bosId) break;
    out.push(tokenizer.printablePiece(ids[ids.length - 1], next));
    ids.push(next);
  }
  return Buffer.concat([...out, Buffer.from('\n')]);
}

const goldens: [string, string, number][] = [
  ['generate_once_upon_a_time_200.txt', 'Once upon a time', 200],
  ['generate_little_dog_120.txt', 'The little dog was very happy because', 120],
];
for (const [file, prompt, steps] of goldens) {
  writeFileSync(`test/golden/${file}`, greedy(prompt, steps));
  console.log(`wrote test/golden/${file}`);
}
