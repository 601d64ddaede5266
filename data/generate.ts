/**
 * Generates the labeled prompt sets in this folder from the embedded model's own samples (see README.md):
 *
 *   node --import tsx data/generate.ts            # writes data/mom.jsonl and data/sad.jsonl
 *
 * Stories are sampled with `sampleCorpus` (llama2.c sampler, temperature 1, top-p 0.9, seed 10, 600k tokens),
 * which is deterministic for a seed on a given machine. Each story gives at most one item per task:
 * - mom: prompt = the first 32 tokens (BOS included) with no "mom" in them; label 1 when the story's next 32
 *   tokens say "mom", else 0. A forecast: will the model bring up the mother soon?
 * - sad: prompt = the story without its last 40 tokens (at least 48 tokens left); label 1 when those last 40
 *   tokens have a sad keyword (sad, cried, cry, crying, upset, scared, angry, hurt) and no happy one (happy,
 *   happily, smiled, laughed, glad), 0 for the reverse; stories with both or neither are left out. A forecast
 *   of the ending's mood from the story so far.
 * Items hold the prompt text only (what any tool can read); it is re-encoded when scored.
 * Negatives (or the larger class) are subsampled to the size of the smaller class with a seeded shuffle.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModel } from '../main/model/load';
import { sampleCorpus } from '../main/engine/sampleCorpus';
import { Rng } from '../main/engine/sampler';

const here = path.dirname(fileURLToPath(import.meta.url));
const SEED = 10;
const TOKENS = 600_000;
const MOM = { prompt: 32, horizon: 32 };
const SAD = { ending: 40, minPrompt: 48 };
const SAD_WORDS = /\b(sad|cried|cry|crying|upset|scared|angry|hurt)\b/i;
const HAPPY_WORDS = /\b(happy|happily|smiled|laughed|glad)\b/i;
const MOM_WORDS = /\bmom/i;

interface Item {
  readonly id: string;
  readonly prompt: string;
  readonly label: 0 | 1;
}

function balance(items: Item[], seed: number): Item[] {
  const rng = new Rng(seed);
  const byClass = [items.filter((x) => x.label === 0), items.filter((x) => x.label === 1)];
  const n = Math.min(byClass[0].length, byClass[1].length);
  const kept = byClass.flatMap((xs) => {
    const a = [...xs];
    for (let i = a.length - 1; i > 0; i--) {
      const j = rng.u32() % (i + 1);
      [a[i], a[j]] = [a[j], a[i]];
    }
    return a.slice(0, n);
  });
  return kept.sort((a, b) => Number(a.id.split('-')[1]) - Number(b.id.split('-')[1]));
}

async function main() {
  const { spec, tokenizer } = await loadModel();
  let shown = 0;
  const corpus = await sampleCorpus(spec, tokenizer, {
    tokens: TOKENS,
    seed: SEED,
    onProgress: (d, t) => {
      if (d - shown >= 50_000 || d >= t) process.stderr.write(`\rsampling ${(shown = d)}/${t} tokens`);
    },
  });
  process.stderr.write('\n');
  const mom: Item[] = [];
  const sad: Item[] = [];
  corpus.sequences.forEach((s, i) => {
    if (s.length >= MOM.prompt + MOM.horizon) {
      const ids = s.slice(0, MOM.prompt);
      const prompt = tokenizer.decode(ids);
      if (!MOM_WORDS.test(prompt)) {
        const label = MOM_WORDS.test(tokenizer.decode(s.slice(MOM.prompt, MOM.prompt + MOM.horizon))) ? 1 : 0;
        mom.push({ id: `mom-${i}`, prompt, label });
      }
    }
    if (s.length >= SAD.minPrompt + SAD.ending) {
      const ids = s.slice(0, s.length - SAD.ending);
      const ending = tokenizer.decode(s.slice(s.length - SAD.ending));
      const isSad = SAD_WORDS.test(ending);
      const isHappy = HAPPY_WORDS.test(ending);
      if (isSad !== isHappy) sad.push({ id: `sad-${i}`, prompt: tokenizer.decode(ids), label: isSad ? 1 : 0 });
    }
  });
  for (const [name, items, seed] of [['mom', mom, 1], ['sad', sad, 2]] as const) {
    const kept = balance(items, seed);
    const file = path.join(here, `${name}.jsonl`);
    writeFileSync(file, kept.map((x) => JSON.stringify(x)).join('\n') + '\n');
    const pos = kept.filter((x) => x.label === 1).length;
    process.stderr.write(`${name}: ${kept.length} items (${pos} positive; from ${items.length} candidates) → ${file}\n`);
  }
  process.stderr.write(`from ${corpus.sequences.length} stories\n`);
}

await main();
