/**
 * Pure store logic. The store itself (actions against an engine) is tested against the real engine in
 * test/rendererStore.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { GraphNode } from '../../../shared/api';
import { exportFileName, listedFor } from './actions/files';
import { dictionaryDir, modelPath, latestOnly, nextSelection, pathQuery, toTargetChoice } from './helpers';

const flush = () => new Promise((r) => setTimeout(r, 0));

const node = (index: number, kind: GraphNode['kind'], layer: number): GraphNode => ({ index, id: `n${index}`, kind, layer, pos: 1, feature: null, activation: null, prob: null, influence: 0, label: '' });
const NODES = [node(0, 'feature', 0), node(1, 'feature', 1), node(2, 'error', 0), node(3, 'token', -1), node(4, 'token', -1), node(5, 'logit', 2)];

describe('helpers', () => {
  it('builds target choices from the draft', () => {
    const d = { mode: 'salient' as const, token: '', contrastA: '', contrastB: '' };
    expect(toTargetChoice(d)).toEqual({ ok: true, target: { kind: 'salient' } });
    expect(toTargetChoice({ ...d, mode: 'token', token: ' Lily' })).toEqual({ ok: true, target: { kind: 'tokens', tokens: [' Lily'] } });
    expect(toTargetChoice({ ...d, mode: 'token', token: '#439' })).toEqual({ ok: true, target: { kind: 'tokens', tokens: [439] } });
    expect(toTargetChoice({ ...d, mode: 'token' }).ok).toBe(false);
    expect(toTargetChoice({ ...d, mode: 'contrast', contrastA: ' Lily', contrastB: ' Tim' })).toEqual({ ok: true, target: { kind: 'contrast', a: ' Lily', b: ' Tim' } });
    expect(toTargetChoice({ ...d, mode: 'contrast', contrastA: 'x' }).ok).toBe(false);
  });
  it('selects one node, Shift adds a second, Shift on a selected one removes it', () => {
    expect(nextSelection([1], 2, false)).toEqual([2]);
    expect(nextSelection([1], 2, true)).toEqual([1, 2]);
    expect(nextSelection([1, 2], 3, true)).toEqual([2, 3]);
    expect(nextSelection([1, 2], 1, true)).toEqual([2]);
  });
  it('asks for paths from the lower node to the higher one', () => {
    const at = (i: number) => NODES[i];
    expect(pathQuery([5], at, 2)).toEqual({ to: 5, from: null });
    expect(pathQuery([5, 0], at, 2)).toEqual({ to: 5, from: 0 });
    expect(pathQuery([3, 1], at, 2)).toEqual({ to: 1, from: 3 });
    expect(pathQuery([], at, 2)).toBeNull();
  });
  it('runs one request at a time and finishes with the latest value', async () => {
    const seen: number[] = [];
    const resolvers: (() => void)[] = [];
    const run = latestOnly<number>((v) => { seen.push(v); return new Promise<void>((r) => resolvers.push(r)); });
    run(1); run(2); run(3); run(4);
    expect(seen).toEqual([1]);
    resolvers.shift()!();
    await flush();
    expect(seen).toEqual([1, 4]);
    resolvers.shift()!();
    await flush();
    expect(seen).toEqual([1, 4]);
  });
  it('lists graphs in the workspace browser, but not the sidecars of raw graphs', () => {
    const f = (name: string) => ({ kind: 'file' as const, name });
    expect(listedFor('graph', f('x.safetensors'))).toBe(true);
    expect(listedFor('graph', f('once.json'))).toBe(true);
    expect(listedFor('graph', f('x.safetensors.json'))).toBe(false);
    expect(listedFor('export', f('x.SAFETENSORS.json'))).toBe(false);
    expect(listedFor('graph', f('notes.txt'))).toBe(false);
    expect(listedFor('graph', { kind: 'dir', name: 'x.safetensors.json' })).toBe(true);
  });
  it('names an export after the prompt', () => {
    expect(exportFileName('Once upon a time, there was')).toBe('once-upon-a-time-there.json');
    expect(exportFileName('  ')).toBe('graph.json');
  });
  it('uses the folder of a picked dictionary config', () => {
    expect(dictionaryDir('/a/dict/config.yaml')).toBe('/a/dict');
    expect(dictionaryDir('C:\\d\\x\\config.yaml')).toBe('C:\\d\\x');
    expect(dictionaryDir('/a/dict')).toBe('/a/dict');
  });
  it('uses the folder of a picked Hugging Face config or weights file, and a llama2.c file as is', () => {
    expect(modelPath('/m/llama/config.json')).toBe('/m/llama');
    expect(modelPath('C:\\m\\q\\model-00001-of-00002.safetensors')).toBe('C:\\m\\q');
    expect(modelPath('/m/q/model.safetensors.index.json')).toBe('/m/q');
    expect(modelPath('/m/stories260K.bin')).toBe('/m/stories260K.bin');
    expect(modelPath('/m/other.json')).toBe('/m/other.json');
  });
});
