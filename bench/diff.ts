/**
 * Model-diff benchmark (issue 9): `runDiff` of the embedded model against a rank-one edited copy (the tests' " Lily"
 * → " Tim" edit of layer 3's MLP) on a 200-prompt suite — naming prompts from templates and prefixes of the
 * model's own greedy story — with every level (weights, outputs, patching of 8 prompts, features over the suite,
 * 2 graph pairs). Cold = first run in the process (onnxruntime sessions built), warm = the same again.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadModel } from '../main/model/load';
import { loadDictionary } from '../main/dictionary/format';
import { embeddedDictionaryPath, embeddedModelPath } from '../main/paths';
import { runDiff } from '../main/diff/run';
import type { SuiteEntry } from '../main/diff/suite';
import { editedSpec } from '../test/diffModels';

function suite200(): SuiteEntry[] {
  const out: SuiteEntry[] = [];
  const adjs = ['little', 'small', 'big', 'happy', 'kind', 'shy', 'brave', 'sweet', 'funny', 'nice'];
  const nouns = ['girl', 'boy', 'dog', 'cat', 'bird'];
  for (const a of adjs) for (const n of nouns) out.push({ prompt: `Once upon a time, there was a ${a} ${n} named` });
  for (const a of adjs) for (const n of nouns) out.push({ prompt: `One day, a ${a} ${n} went to the` });
  const story = readFileSync(path.join(path.dirname(embeddedModelPath), 'greedy_200_from_bos.txt'), 'utf8').replace(/\s+/g, ' ');
  const words = story.split(' ').filter(Boolean);
  for (let k = 0; out.length < 200; k++) out.push({ prompt: words.slice(k % 30, (k % 30) + 4 + (k % 17)).join(' ') });
  return out;
}

export async function benchDiff(): Promise<Record<string, unknown>> {
  const A = await loadModel();
  const dict = await loadDictionary(embeddedDictionaryPath);
  const spec = await editedSpec(A.spec, A.tokenizer);
  const entries = suite200();
  const run = async () => {
    const t0 = performance.now();
    const r = await runDiff({ base: A, candidate: { spec, tokenizer: A.tokenizer }, suite: { name: 'bench-200', entries }, dict, dictDir: embeddedDictionaryPath });
    return { seconds: +((performance.now() - t0) / 1000).toFixed(2), levels: Object.fromEntries(Object.entries(r.timings).map(([k, v]) => [k, +v.toFixed(3)])), report: r };
  };
  const cold = await run();
  const warm = await run();
  const r = warm.report;
  return {
    note: 'machine shared with other jobs (2 cores): timings are noisy',
    suite: { prompts: r.suite.prompts, tokens: r.suite.tokens },
    cold: { seconds: cold.seconds, levels: cold.levels },
    warm: { seconds: warm.seconds, levels: warm.levels },
    top: {
      component: r.weights!.components[0].id,
      tensor: `${r.weights!.tensors[0].name} rank ${r.weights!.tensors[0].rank?.rank}`,
      flips: r.outputs.flips,
      patching: `${r.patching!.components[0].hook} ${(100 * r.patching!.components[0].reproduced).toFixed(1)}%`,
    },
  };
}
