/**
 * The logit-lens and monitor methods of the typed API (shared/apiMonitor.ts) as service handlers; service.ts
 * spreads them into its dispatch table. Files are named inside the workspace (browser mode).
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import type { ApiParams, ApiResult, Progress } from '../../shared/api';
import type { FlaggedItem } from '../../shared/apiMonitor';
import { MONITORS_FORMAT, MONITORS_VERSION, type Monitor } from '../../shared/monitor';
import type { monitorApiParams } from '../../shared/apiMonitor';
import { resolveToken } from '../attribution/targets';
import { UserError } from '../errors';
import type { GraphStore } from '../api/graphStore';
import type { EngineSession } from '../api/session';
import type { Workspace } from '../api/workspace';
import { logitLens } from '../lens/lens';
import { needsDictionary, resolveMonitors, saveMonitorsFile } from './file';
import { MonitorScorer } from './scorer';
import { itemContext } from '../probe/data';
import { monitorStream } from './stream';

type MonitorApiMethod = keyof typeof monitorApiParams;
interface CallContext {
  readonly signal: AbortSignal;
  readonly progress: (p: Progress) => void;
}
export type MonitorHandlers = { [M in MonitorApiMethod]: (p: ApiParams<M>, ctx: CallContext) => Promise<ApiResult<M>> };

export interface MonitorDeps {
  readonly session: EngineSession;
  readonly graphs: GraphStore;
  readonly ws: Workspace;
}

export function monitorHandlers({ session, graphs, ws }: MonitorDeps): MonitorHandlers {
  const dictionary = () => session.dictionary?.dict ?? null;
  return {
    'lens.run': async (p) => {
      const { spec, tokenizer } = session.model;
      const ids = tokenizer.encode(p.prompt, { bos: true });
      if (ids.length > spec.config.maxSeqLen) throw new UserError(`the prompt is ${ids.length} tokens long but the model's context is ${spec.config.maxSeqLen} tokens: shorten it`);
      const target = p.target === undefined ? undefined : resolveToken(tokenizer, spec.config.vocabSize, p.target);
      const { raw: _raw, ...view } = await logitLens(spec, tokenizer, ids, { target, topK: p.topK ?? 5 });
      return view;
    },

    'monitor.fromNodes': async (p) => {
      const entry = graphs.get(p.graphId);
      const dict = dictionary();
      if (!dict) throw new UserError('a feature monitor needs a dictionary: open one first');
      if (entry.dictionaryFingerprint && entry.dictionaryFingerprint !== dict.fingerprint) {
        throw new UserError(`this graph was traced with dictionary ${entry.dictionaryName ?? '?'}, not the open ${dict.name}: open that dictionary first`);
      }
      // Feature nodes only; one term per (layer, feature), weighted so that it contributes 1 at its traced peak.
      const peak = new Map<string, { layer: number; feature: number; act: number }>();
      let skipped = 0;
      for (const i of p.nodes) {
        const n = entry.summary.nodes[i];
        if (!n || n.kind !== 'feature' || n.feature === null || !n.activation) {
          skipped++;
          continue;
        }
        const key = `${n.layer}:${n.feature}`;
        const cur = peak.get(key);
        if (!cur || n.activation > cur.act) peak.set(key, { layer: n.layer, feature: n.feature, act: n.activation });
      }
      if (!peak.size) throw new UserError('none of the chosen nodes is a feature with an activation: select feature nodes (circles)');
      const features = [...peak.values()].map((f) => ({ layer: f.layer, feature: f.feature, weight: Number((1 / f.act).toPrecision(6)) }));
      const name = p.name ?? `features ${[...peak.keys()].slice(0, 4).join(', ')}${peak.size > 4 ? ' …' : ''}`;
      const draft: Monitor = { kind: 'features', name, features, pool: 'max', threshold: 0, source: { nodes: p.nodes.map((i) => entry.summary.nodes[i]?.id).filter((x): x is string => !!x) } };
      const { spec, tokenizer } = session.model;
      const scorer = new MonitorScorer(spec, dict, resolveMonitors({ format: MONITORS_FORMAT, version: MONITORS_VERSION, monitors: [draft] }, { spec, tokenizer, dict, baseDir: '.' }));
      const [score] = await scorer.score([entry.summary.tokens.map((t) => t.id)]);
      return { monitor: { ...draft, threshold: Number((0.5 * score[0]).toPrecision(6)) }, scoreOnPrompt: score[0], skipped };
    },

    'monitor.run': async (p, ctx) => {
      const file = ws.resolve(p.input);
      if (!existsSync(file) || statSync(file).isDirectory()) throw new UserError(`${p.input} is not a file: pick a .jsonl file with one {"prompt": ...} per line`);
      const { spec, tokenizer } = session.model;
      const dict = dictionary();
      const monitorsFile = { format: MONITORS_FORMAT, version: MONITORS_VERSION, monitors: p.monitors } as const;
      const resolved = resolveMonitors(monitorsFile, { spec, tokenizer, dict, baseDir: ws.root ?? '.', probePath: (q) => ws.resolve(q) });
      const scorer = new MonitorScorer(spec, dict, resolved);
      const max = p.maxFlagged ?? 200;
      const flagged: FlaggedItem[] = [];
      let truncated = false;
      const total = statSync(file).size;
      const input = createReadStream(file);
      const summary = await monitorStream(input, async () => undefined, scorer, resolved.map((m) => m.threshold), itemContext(spec, tokenizer), {
        source: p.input,
        signal: ctx.signal,
        onProgress: () => ctx.progress({ phase: 'monitor', done: input.bytesRead, total }),
        onItem: (r, item) => {
          if (!r.alerts.length) return;
          if (flagged.length >= max) {
            truncated = true;
            return;
          }
          const text = item.prompt !== undefined ? item.prompt + (item.completion ?? '') : tokenizer.decode(item.ids ?? []);
          flagged.push({ ...r, text: text.length > 300 ? `${text.slice(0, 300)}…` : text });
        },
      });
      return { items: summary.items, alerts: summary.alerts, flagged, truncated, seconds: summary.seconds };
    },

    'monitor.save': async (p) => {
      const file = ws.resolve(p.path);
      if (!file.endsWith('.json')) throw new UserError('a monitors file name ends in .json');
      const dict = dictionary();
      const { spec } = session.model;
      saveMonitorsFile(file, {
        format: MONITORS_FORMAT,
        version: MONITORS_VERSION,
        model: { name: spec.name, fingerprint: spec.fingerprint },
        ...(dict && needsDictionary(p.monitors) ? { dictionary: { name: dict.name, fingerprint: dict.fingerprint } } : {}),
        monitors: p.monitors,
      });
      return { path: file };
    },
  };
}
