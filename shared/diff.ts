/**
 * The model-diff report (`cwb diff`, issue 9): what changed between a base model A and a candidate B on a prompt
 * suite, level by level, each level ranked with the biggest change first. Versioned and zod-validated like every
 * file format; the HTML report and the app's Diff view are views of this one document.
 *
 * Metrics (docs in README "Model diffs"):
 * - weights: relative change ‖W_B − W_A‖_F / ‖W_A‖_F per tensor and per component (a layer's attention, MLP, norms);
 *   `rank` = number of singular values of the change above RANK_TOLERANCE × the largest, from a randomized
 *   subspace iteration with `probes` vectors (so at most `probes`; `atLeast` when every probe was above it).
 * - outputs: next-token distributions at each prompt's last position; KL(p_A ‖ p_B) in nats.
 * - patching: fraction of the output change a component reproduces = 1 − KL(p_B ‖ p_A+c) / KL(p_B ‖ p_A), where
 *   p_A+c is A run with component c's output taken from B; `restored` is the converse, 1 − KL(p_A ‖ p_B+c) / KL(p_A ‖ p_B).
 *   1 = the component alone accounts for the whole change; 0 = none of it; negative = it moves further away.
 */
import { z } from 'zod';

export const DIFF_FORMAT_VERSION = 1;
/** A singular value of a weight change counts towards its rank when it is above this fraction of the largest. */
export const RANK_TOLERANCE = 1e-3;

const finite = z.number().finite();
const nat = z.number().int().nonnegative();
const str = (max: number) => z.string().max(max);

export const diffModelRefSchema = z.strictObject({
  name: str(1000),
  path: str(4096),
  fingerprint: str(200),
  format: str(200),
  parameters: nat,
});

export const weightRankSchema = z.strictObject({
  /** Singular values above RANK_TOLERANCE × σ₁ (0 for an unchanged tensor). */
  rank: nat,
  /** True when every probed singular value was above the tolerance: the rank is at least `rank`. */
  atLeast: z.boolean(),
  probes: nat,
  /** The largest singular values of the change, descending. */
  singularValues: z.array(finite).max(64),
  /** σ₁² / ‖ΔW‖²_F: share of the change's energy in its best rank-one approximation. */
  rankOneEnergy: finite,
});

export const weightRowSchema = z.strictObject({
  name: str(300),
  /** Layer, or null for global tensors (embeddings, final norm). */
  layer: z.number().int().nullable(),
  /** Component: `attn`, `mlp`, `ln1`, `ln2`, `embed`, `unembed`, `ln_final`, … */
  component: str(100),
  shape: z.array(nat).max(8),
  relChange: finite,
  /** ‖ΔW‖_F and max |ΔW|. */
  absChange: finite,
  maxAbs: finite,
  /** Entries that differ at all. */
  changedEntries: nat,
  rank: weightRankSchema.nullable(),
});

export const componentRowSchema = z.strictObject({
  /** e.g. `blocks.3.mlp`, `blocks.0.attn`, `embed`. */
  id: str(300),
  layer: z.number().int().nullable(),
  component: str(100),
  relChange: finite,
  absChange: finite,
  tensors: z.array(str(300)).max(64),
});

export const tokenProbSchema = z.strictObject({ id: nat, text: str(1000), p: finite });

export const promptRowSchema = z.strictObject({
  index: nat,
  text: str(100_000),
  tokens: nat,
  /** KL(p_A ‖ p_B) of the last position's next-token distributions, nats. */
  kl: finite,
  topA: tokenProbSchema,
  topB: tokenProbSchema,
  flipped: z.boolean(),
  /** The suite's target token, when it named one: its probability under A and B. */
  target: z.strictObject({ id: nat, text: str(1000), pA: finite, pB: finite }).nullable(),
});

export const patchEffectSchema = z.strictObject({
  prompt: nat,
  reproduced: finite,
  restored: finite,
  /** Same idea in logit-difference terms (B's top token minus A's), when the top token flips; else null. */
  logitDiffReproduced: finite.nullable(),
});

export const patchRowSchema = z.strictObject({
  hook: str(200),
  layer: z.number().int().nullable(),
  /** `attn`, `mlp` or `embed`. */
  component: str(50),
  /** Mean over the patched prompts. */
  reproduced: finite,
  restored: finite,
  perPrompt: z.array(patchEffectSchema).max(1000),
});

export const featureRowSchema = z.strictObject({
  layer: nat,
  feature: nat,
  /** Mean activation over the suite's non-BOS positions, under A and B. */
  meanA: finite,
  meanB: finite,
  /** Mean |act_B − act_A| over the same positions (the ranking key). */
  meanAbsChange: finite,
  /** Fraction of positions where the feature is active. */
  freqA: finite,
  freqB: finite,
  status: z.enum(['appeared', 'vanished', 'strengthened', 'weakened']),
  /** From the dictionary's feature index when it has one: the top contexts' texts and the card's frequency. */
  card: z.strictObject({ frequency: finite, contexts: z.array(str(2000)).max(10) }).nullable(),
});

export const compactNodeSchema = z.strictObject({
  id: str(200),
  /** Graph-JSON layer label: `E` embeddings, 0…L−1 features/errors, L+1 logits. */
  layer: str(20),
  pos: nat,
  type: str(50),
  influence: finite.nullable(),
  label: str(1000),
});
export const compactEdgeSchema = z.strictObject({ source: str(200), target: str(200), weight: finite });
export const compactGraphSchema = z.strictObject({
  nodes: z.array(compactNodeSchema).max(100_000),
  edges: z.array(compactEdgeSchema).max(1_000_000),
});

export const graphDiffSchema = z.strictObject({
  prompt: nat,
  text: str(100_000),
  tokens: z.array(str(1000)).max(10_000),
  /** The logit targets both graphs were traced for (A's and B's top tokens). */
  targets: z.array(tokenProbSchema.omit({ p: true })).max(10),
  nodes: z.strictObject({ a: nat, b: nat, common: nat, gained: z.array(str(200)), lost: z.array(str(200)) }),
  edges: z.strictObject({
    a: nat,
    b: nat,
    gained: nat,
    lost: nat,
    /** Edges in both graphs, largest |w_B − w_A| first. */
    reweighted: z.array(z.strictObject({ source: str(200), target: str(200), a: finite, b: finite })).max(1000),
  }),
  /** Nodes in both graphs, largest |influence_B − influence_A| first. */
  influenceShift: z.array(z.strictObject({ id: str(200), a: finite, b: finite })).max(1000),
  graphA: compactGraphSchema,
  graphB: compactGraphSchema,
});

export const explanationDriftSchema = z.strictObject({
  file: str(4096),
  prompt: str(100_000),
  /** Every causal test still holds on B. */
  ok: z.boolean(),
  tests: z.array(z.strictObject({
    id: str(200),
    name: str(10_000),
    passedOnA: z.boolean().nullable(),
    passedOnB: z.boolean(),
    before: finite,
    after: finite,
  })).max(10_000),
  nodes: z.strictObject({ saved: nat, now: nat, gained: nat, lost: nat }),
  subgraphPresent: finite,
  /** Why the file could not be checked (bad file, other vocabulary); the tests are then empty. */
  error: str(10_000).nullable(),
});

export const diffReportSchema = z.strictObject({
  formatVersion: z.literal(DIFF_FORMAT_VERSION),
  kind: z.literal('cwb-model-diff'),
  app: z.strictObject({ name: str(100), version: str(100) }),
  createdAt: z.iso.datetime(),
  base: diffModelRefSchema,
  candidate: diffModelRefSchema,
  /** `full`: same architecture and tokenizer; `outputs`: only the tokenizer matches, so only the outputs level. */
  comparability: z.strictObject({ level: z.enum(['full', 'outputs']), notes: z.array(str(10_000)).max(100) }),
  suite: z.strictObject({ name: str(4096), prompts: nat, tokens: nat }),
  dictionary: z.strictObject({ name: str(1000), fingerprint: str(200) }).nullable(),
  weights: z.strictObject({
    identical: z.boolean(),
    components: z.array(componentRowSchema),
    tensors: z.array(weightRowSchema),
  }).nullable(),
  outputs: z.strictObject({
    meanKl: finite,
    maxKl: finite,
    flips: nat,
    /** All prompts, largest KL first. */
    prompts: z.array(promptRowSchema),
  }),
  patching: z.strictObject({
    metric: str(1000),
    /** The prompts patched (indices into the suite), the most affected ones. */
    prompts: z.array(nat),
    components: z.array(patchRowSchema),
  }).nullable(),
  features: z.strictObject({ positions: nat, rows: z.array(featureRowSchema) }).nullable(),
  graphs: z.array(graphDiffSchema).nullable(),
  explanations: z.array(explanationDriftSchema).nullable(),
  /** Seconds per level. */
  timings: z.record(str(100), finite),
});

export type WeightRank = z.infer<typeof weightRankSchema>;
export type WeightRow = z.infer<typeof weightRowSchema>;
export type ComponentRow = z.infer<typeof componentRowSchema>;
export type PromptRow = z.infer<typeof promptRowSchema>;
export type PatchRow = z.infer<typeof patchRowSchema>;
export type FeatureRow = z.infer<typeof featureRowSchema>;
export type CompactGraph = z.infer<typeof compactGraphSchema>;
export type GraphDiff = z.infer<typeof graphDiffSchema>;
export type ExplanationDrift = z.infer<typeof explanationDriftSchema>;
export type DiffReport = z.infer<typeof diffReportSchema>;
