/**
 * Builds the example monitors for the labeled sets (see README.md), choosing everything on the TRAINING split
 * of `cwb monitor eval`'s default split (seed 0) and thresholds on train + validation, so the test split that
 * `cwb monitor eval` reports stays unseen:
 *
 *   node --import tsx data/make-monitors.ts       # writes data/{mom,sad}.monitors.json and data/{mom,sad}.probe.json
 *
 * Per task: the single transcoder feature whose mean activation over the prompt best separates the classes
 * (train AUROC), the five best as one weighted set (weights 1/std, a "supernode"), the logit-lens probability
 * at the middle residual (row 3, mean over positions) of the token that separates best, and a linear probe
 * on blocks.2.hook_resid_post (mean over positions).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MonitorsFile } from '../shared/monitor';
import { MONITORS_FORMAT, MONITORS_VERSION } from '../shared/monitor';
import { loadModel } from '../main/model/load';
import { loadDictionary } from '../main/dictionary/format';
import { embeddedDictionaryPath } from '../main/paths';
import { itemContext, readLabeled } from '../main/probe/data';
import { saveProbe } from '../main/probe/file';
import { splitIndices } from '../main/probe/split';
import { trainProbe } from '../main/probe/train';
import { auroc, bestF1Threshold } from '../main/probe/metrics';
import { lengthBatches } from '../main/probe/collect';
import type { ResolvedMonitor } from '../main/monitor/file';
import { saveMonitorsFile } from '../main/monitor/file';
import { MonitorScorer } from '../main/monitor/scorer';

const here = path.dirname(fileURLToPath(import.meta.url));
const LENS_ROW = 3;
const PROBE_HOOK = 'blocks.2.hook_resid_post';

async function main() {
  const { spec, tokenizer } = await loadModel();
  const dict = await loadDictionary(embeddedDictionaryPath);
  const ctx = itemContext(spec, tokenizer);
  for (const task of ['mom', 'sad']) {
    const data = readLabeled(path.join(here, `${task}.jsonl`), ctx);
    const split = splitIndices(data.labels, 0);
    const fitRows = [...split.train, ...split.validation];
    const scoreRows = async (monitors: ResolvedMonitor[], rows: number[]) => {
      const scorer = new MonitorScorer(spec, dict, monitors);
      const out = monitors.map(() => new Float64Array(data.seqs.length));
      const seqs = rows.map((r) => data.seqs[r]);
      for (const batch of lengthBatches(seqs, 4096)) {
        const s = await scorer.score(batch.map((i) => seqs[i]));
        batch.forEach((i, b) => s.forEach((col, k) => (out[k][rows[i]] = col[b])));
      }
      return out;
    };
    const yOf = (rows: number[]) => rows.map((r) => data.labels[r]);
    const trainAuroc = (s: Float64Array) => auroc(split.train.map((r) => s[r]), yOf(split.train)) ?? 0.5;
    const thresholdOf = (s: Float64Array) => bestF1Threshold(fitRows.map((r) => s[r]), yOf(fitRows));

    // Features: every (layer, feature), mean activation over the prompt, ranked by train AUROC.
    const all: ResolvedMonitor[] = [];
    for (let l = 0; l < dict.nLayers; l++) for (let f = 0; f < dict.nFeatures; f++) all.push({ kind: 'feature', name: `${l}:${f}`, layer: l, feature: f, pool: 'mean', threshold: 0 });
    const fs = await scoreRows(all, split.train);
    const ranked = all.map((m, k) => ({ m, k, a: trainAuroc(fs[k]) })).sort((a, b) => b.a - a.a);
    const best = ranked[0].m as Extract<ResolvedMonitor, { kind: 'feature' }>;
    const top5 = ranked.slice(0, 5).map(({ m, k }) => {
      const v = split.train.map((r) => fs[k][r]);
      const mean = v.reduce((a, b) => a + b, 0) / v.length;
      const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length) || 1;
      const f = m as Extract<ResolvedMonitor, { kind: 'feature' }>;
      return { layer: f.layer, feature: f.feature, weight: Number((1 / sd).toPrecision(6)) };
    });

    // Lens: the token whose lens probability at row LENS_ROW separates best on train.
    const lensAll: ResolvedMonitor[] = Array.from({ length: spec.config.vocabSize }, (_, t) => ({ kind: 'lens', name: `t${t}`, layer: LENS_ROW, measure: 'prob', token: t, tokenId: t, pool: 'mean', threshold: 0 }));
    const ls = await scoreRows(lensAll, split.train);
    const bestTok = ls.map((s, t) => ({ t, a: trainAuroc(s) })).sort((a, b) => b.a - a.a)[0].t;

    // Probe, trained on the same split's train/validation parts.
    const probe = await trainProbe(spec, data, { hook: PROBE_HOOK, position: 'mean', seed: 0 });
    const probeFile = `${task}.probe.json`;
    saveProbe(path.join(here, probeFile), { ...probe, data: { ...probe.data, file: `data/${task}.jsonl` } });

    const monitors: ResolvedMonitor[] = [
      { kind: 'feature', name: `feature ${best.layer}:${best.feature}`, layer: best.layer, feature: best.feature, pool: 'mean', threshold: 0 },
      { kind: 'features', name: 'top-5 features (weighted set)', features: top5, pool: 'mean', threshold: 0 },
      { kind: 'lens', name: `lens p(${JSON.stringify(tokenizer.decode([bestTok]))}) at row ${LENS_ROW}`, layer: LENS_ROW, measure: 'prob', token: bestTok, tokenId: bestTok, pool: 'mean', threshold: 0 },
      { kind: 'probe', name: `probe ${PROBE_HOOK} (mean)`, probe: probeFile, probeFile: probe, threshold: 0.5 },
    ];
    const ms = await scoreRows(monitors.slice(0, 3), fitRows);
    const file: MonitorsFile = {
      format: MONITORS_FORMAT,
      version: MONITORS_VERSION,
      model: { name: spec.name, fingerprint: spec.fingerprint },
      dictionary: { name: dict.name, fingerprint: dict.fingerprint },
      monitors: monitors.map((m, k) => {
        const threshold = k < 3 ? Number(thresholdOf(ms[k]).toPrecision(6)) : 0.5;
        if (m.kind === 'probe') return { kind: 'probe', name: m.name, probe: m.probe, threshold, note: 'trained on the train split (L2 chosen on validation) of seed 0' };
        if (m.kind === 'lens') return { kind: 'lens', name: m.name, layer: m.layer, measure: m.measure, token: m.token, pool: m.pool, threshold, note: 'token chosen by train AUROC; threshold: best F1 on train + validation' };
        return { ...m, threshold, note: 'chosen by train AUROC; threshold: best F1 on train + validation' };
      }),
    };
    saveMonitorsFile(path.join(here, `${task}.monitors.json`), file);
    process.stderr.write(`${task}: best feature ${best.layer}:${best.feature} (train AUROC ${ranked[0].a.toFixed(3)}), lens token ${JSON.stringify(tokenizer.decode([bestTok]))}\n`);
  }
}

await main();
