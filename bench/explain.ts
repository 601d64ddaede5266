/**
 * Causal-test benchmark (issue 5): intervention latency on the embedded model — one request as the app and
 * `cwb intervene` make it (clean run + edited run, top-k, target change, downstream features) in each mode, with
 * and without a greedy continuation — and the in-process time of verifying a saved explanation (recompute the
 * graph, re-run every test, drift). Medians of repeated calls after one warm call.
 */
import { loadModel } from '../main/model/load';
import { loadDictionary } from '../main/dictionary/format';
import { attributeGraph } from '../main/attribution/attribute';
import { intervene } from '../main/intervene/intervene';
import { makeExplanation } from '../main/explain/build';
import { parseTestSpec } from '../main/explain/testSpec';
import { verifyExplanation } from '../main/explain/verify';
import { embeddedDictionaryPath } from '../main/paths';
import { interventionRequestSchema, type InterventionRequestInput } from '../shared/intervention';
import { DEFAULT_NODE_THRESHOLD, DEFAULT_EDGE_THRESHOLD } from '../shared/api';
import { median } from './stats';

const PROMPT = 'Once upon a time, there was a little girl named Lily. She';

async function medianMs(f: () => Promise<unknown>, n = 9): Promise<{ medianMs: number; maxMs: number }> {
  await f();
  const ts: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await f();
    ts.push(performance.now() - t0);
  }
  return { medianMs: +median(ts).toFixed(1), maxMs: +Math.max(...ts).toFixed(1) };
}

export async function benchExplain(): Promise<Record<string, unknown>> {
  const { spec, tokenizer: tok } = await loadModel();
  const dict = await loadDictionary(embeddedDictionaryPath);
  const tokens = tok.encode(PROMPT, { bos: true });
  const T = tokens.length;
  // The edits a user makes from the graph: the strongest features by activation at the last position.
  const g = await attributeGraph(spec, dict, tok, tokens);
  const last = [...g.features.pos.keys()].filter((i) => g.features.pos[i] === T - 1).sort((a, b) => g.features.activation[b] - g.features.activation[a]);
  const ref = (i: number) => ({ layer: g.features.layer[i], feature: g.features.index[i], pos: g.features.pos[i] });
  const target = { kind: 'token' as const, token: g.targets[0].vocabIdx };
  const cases: { name: string; req: InterventionRequestInput }[] = [];
  for (const mode of ['frozen', 'free', 'constrained'] as const) {
    cases.push({ name: `ablate 1 feature, ${mode}`, req: { mode, target, edits: [{ type: 'feature', ...ref(last[0]), op: 'ablate' }] } });
    cases.push({ name: `ablate supernode of 8, ${mode}`, req: { mode, target, edits: [{ type: 'group', op: 'ablate', features: last.slice(0, 8).map(ref) }] } });
  }
  cases.push({ name: 'ablate 1 feature, frozen, generate 20', req: { mode: 'frozen', target, generate: 20, edits: [{ type: 'feature', ...ref(last[0]), op: 'ablate' }] } });
  cases.push({ name: 'steer ×4 at all positions, frozen, generate 20', req: { mode: 'frozen', target, generate: 20, edits: [{ type: 'steer', layer: g.features.layer[last[0]], feature: g.features.index[last[0]], strength: 4, positions: [...tokens.keys()], generated: true }] } });
  cases.push({ name: 'patch layer 2 features from a second prompt, frozen', req: { mode: 'frozen', target, edits: [{ type: 'patchFeatures', layers: [2], source: { prompt: 'Once upon a time, there was a little boy named Tom. He' }, positions: [T - 1] }] } });
  const interventions = [];
  for (const c of cases) {
    try {
      interventions.push({ case: c.name, ...(await medianMs(() => intervene(spec, dict, tok, tokens, c.req))) });
    } catch (e) {
      interventions.push({ case: c.name, error: e instanceof Error ? e.message : String(e) });
    }
  }
  // Verify: an explanation with three tests, as `cwb explain` makes it.
  const specs = ['none => p( lo) >= 60%', 'ablate 3:-1:-1,4:-1:-1 => p( lo) >= 20%', 'scale 3:-1:-1=1 => p( lo) >= 60%'];
  const tests = specs.map((s) => {
    const t = parseTestSpec(s, tok, spec.config.vocabSize, T);
    return { name: s, spec: s, intervention: interventionRequestSchema.parse({ edits: t.edits, mode: t.mode }), expectation: t.expectation };
  });
  const e = await makeExplanation(spec, dict, tok, {
    prompt: PROMPT,
    tokens,
    targets: { kind: 'salient' },
    attribution: { maxFeatureNodes: null, batchSize: 256, nodeThreshold: DEFAULT_NODE_THRESHOLD, edgeThreshold: DEFAULT_EDGE_THRESHOLD },
    tests,
  });
  const verify = { tests: tests.length, ...(await medianMs(() => verifyExplanation(spec, dict, tok, e), 5)) };
  return { prompt: PROMPT, tokens: T, interventions, verify };
}
