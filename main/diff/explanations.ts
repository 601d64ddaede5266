/**
 * Saved explanations against the candidate: every `*.circuit.json` in a folder re-verified on B with verify's own
 * code (graph recomputed with the saved settings, every causal test re-run), so the diff says which explanations
 * the update broke. A file that cannot be read or checked is listed with its error, not fatal.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { Dictionary } from '../../shared/dictionary';
import type { ModelSpec } from '../../shared/model';
import type { ExplanationDrift } from '../../shared/diff';
import { UserError, isUserError } from '../errors';
import { loadExplanation } from '../explain/file';
import { verifyExplanation } from '../explain/verify';
import type { Tokenizer } from '../tokenizer/types';

export function explanationFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    throw new UserError(`--explanations: cannot read folder ${dir}`);
  }
  return names.filter((n) => n.endsWith('.circuit.json')).sort().map((n) => path.join(dir, n));
}

export async function explanationsLevel(b: ModelSpec, dict: Dictionary, tok: Tokenizer, files: readonly string[], signal?: AbortSignal): Promise<ExplanationDrift[]> {
  const out: ExplanationDrift[] = [];
  for (const file of files) {
    signal?.throwIfAborted();
    try {
      const e = loadExplanation(file);
      const r = await verifyExplanation(b, dict, tok, e);
      out.push({
        file, prompt: e.prompt, ok: r.ok,
        tests: r.tests.map((t) => ({ id: t.id, name: t.name, passedOnA: t.old?.passed ?? null, passedOnB: t.passed, before: t.new.before, after: t.new.after })),
        nodes: { saved: r.drift.nodes.saved, now: r.drift.nodes.now, gained: r.drift.nodes.gained.length, lost: r.drift.nodes.lost.length },
        subgraphPresent: r.drift.subgraphPresent,
        error: null,
      });
    } catch (e) {
      if (!isUserError(e)) throw e;
      out.push({ file, prompt: '', ok: false, tests: [], nodes: { saved: 0, now: 0, gained: 0, lost: 0 }, subgraphPresent: 0, error: e.message });
    }
  }
  return out;
}
