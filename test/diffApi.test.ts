/**
 * The diff methods of the typed API through the real engine service in browser mode (a workspace): `diff.run`
 * answers the same report the engine function gives (checked against runDiff directly), writes the JSON and HTML
 * report files, refuses paths outside the workspace and overwriting foreign files; `diff.graphs` gives a prompt's
 * aligned graph pair, equal to the report's pair for the same prompt.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiCallError, type ApiClient } from '../shared/api';
import { diffReportSchema, type DiffReport } from '../shared/diff';
import { createEngineService, localClient, type EngineService } from '../main/api/service';
import { loadModel } from '../main/model/load';
import { loadDictionary } from '../main/dictionary/format';
import { embeddedDictionaryPath, embeddedModelPath } from '../main/paths';
import { runDiff } from '../main/diff/run';
import { writeLlama2cV0 } from '../main/model/llama2cWrite';
import { CONTROLS, NAMING, editedSpec, writeModel } from './diffModels';

const ws = mkdtempSync(path.join(os.tmpdir(), 'cwb-diffapi-'));
let service: EngineService;
let api: ApiClient;
let edited: string;
const suite = path.join(ws, 'suite.txt');
const prompts = [...NAMING.slice(0, 3), ...CONTROLS.slice(0, 5)];

const failure = async (p: Promise<unknown>): Promise<ApiCallError> => {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ApiCallError);
    return e as ApiCallError;
  }
  throw new Error('the call succeeded');
};

beforeAll(async () => {
  const { spec, tokenizer } = await loadModel();
  edited = writeModel(ws, 'edited.bin', writeLlama2cV0(await editedSpec(spec, tokenizer)));
  writeFileSync(suite, prompts.join('\n'));
  service = await createEngineService({ workspace: ws, warmUp: false });
  api = localClient(service);
});
afterAll(async () => service.close());

describe('diff API', () => {
  let report: DiffReport;
  it('diff.run: the engine report, with its files written', async () => {
    const phases = new Set<string>();
    report = await api.call('diff.run', { base: embeddedModelPath, candidate: edited, suite, out: path.join(ws, 'r.json'), html: path.join(ws, 'r.html'), graphPrompts: 1 }, { onProgress: (p) => phases.add(p.phase) });
    expect(phases.has('outputs')).toBe(true);
    const direct = await runDiff({
      base: await loadModel(), candidate: await loadModel({ model: edited }), suite: { name: 'suite.txt', entries: prompts.map((p) => ({ prompt: p })) },
      dict: await loadDictionary(embeddedDictionaryPath), dictDir: embeddedDictionaryPath, options: { graphPrompts: 1 },
    });
    const strip = (r: DiffReport) => ({ ...r, createdAt: '', timings: {} });
    expect(strip(report)).toEqual(strip(direct));
    expect(diffReportSchema.parse(JSON.parse(readFileSync(path.join(ws, 'r.json'), 'utf8'))).weights!.components[0].id).toBe('blocks.3.mlp');
    expect(readFileSync(path.join(ws, 'r.html'), 'utf8')).toContain('blocks.3.mlp.W_out');
    // Writing again over our own report files is allowed.
    await api.call('diff.run', { base: embeddedModelPath, candidate: edited, suite, out: path.join(ws, 'r.json'), graphPrompts: 0 });
  }, 60_000);

  it('diff.graphs: the aligned pair of a prompt equals the report\'s', async () => {
    const g = report.graphs![0];
    const again = await api.call('diff.graphs', { base: embeddedModelPath, candidate: edited, prompt: g.text });
    expect({ ...again, prompt: g.prompt }).toEqual(g);
  }, 60_000);

  it('refuses paths outside the workspace, foreign files and bad suites', async () => {
    const outside = mkdtempSync(path.join(os.tmpdir(), 'cwb-outside-'));
    writeModel(outside, 'x.bin', readFileSync(edited));
    expect((await failure(api.call('diff.run', { base: embeddedModelPath, candidate: path.join(outside, 'x.bin'), suite }))).code).toBe('forbidden');
    writeFileSync(path.join(ws, 'notes.json'), '{"mine": true}');
    const e = await failure(api.call('diff.run', { base: embeddedModelPath, candidate: edited, suite, out: path.join(ws, 'notes.json') }));
    expect(e.message).toMatch(/not a model diff report/);
    expect(readFileSync(path.join(ws, 'notes.json'), 'utf8')).toBe('{"mine": true}');
    writeFileSync(path.join(ws, 'bad.jsonl'), '{"prompt": 3}\n');
    expect((await failure(api.call('diff.run', { base: embeddedModelPath, candidate: edited, suite: path.join(ws, 'bad.jsonl') }))).message).toMatch(/line 1: prompt/);
  }, 60_000);
});
