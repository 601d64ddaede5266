import { describe, expect, it } from 'vitest';
import { dialogRequest, dialogResultPath, parsePickFileOptions } from './pickFile';

describe('parsePickFileOptions', () => {
  it('accepts the HostBridge.pickFile options', () => {
    const o = { mode: 'save', title: 'Export graph', filters: [{ name: 'Graph JSON', extensions: ['json'] }], defaultPath: '/home/u/graph.json' };
    expect(parsePickFileOptions(o)).toEqual({ ok: true, options: o });
    expect(parsePickFileOptions({ mode: 'open', title: 'Open' })).toEqual({ ok: true, options: { mode: 'open', title: 'Open' } });
    expect(parsePickFileOptions({ mode: 'open', title: 'Open', filters: [{ name: 'All', extensions: ['*'] }, { name: 'Circuit', extensions: ['circuit.json'] }] }).ok).toBe(true);
  });

  it('rejects anything else', () => {
    for (const bad of [
      null,
      'open',
      {},
      { mode: 'delete', title: 'x' },
      { mode: 'open' },
      { mode: 'open', title: '' },
      { mode: 'open', title: 'x'.repeat(201) },
      { mode: 'open', title: 'x', properties: ['multiSelections'] },
      { mode: 'open', title: 'x', filters: [{ name: 'x', extensions: [] }] },
      { mode: 'open', title: 'x', filters: [{ name: 'x', extensions: ['.json'] }] },
      { mode: 'open', title: 'x', filters: [{ name: 'x', extensions: ['a/b'] }] },
      { mode: 'open', title: 'x', filters: [{ name: 'x', extensions: ['json'], extra: 1 }] },
      { mode: 'open', title: 'x', filters: Array.from({ length: 21 }, () => ({ name: 'x', extensions: ['json'] })) },
      { mode: 'open', title: 'x', defaultPath: '' },
      { mode: 'open', title: 'x', defaultPath: 'a\0b' },
      { mode: 'open', title: 'x', defaultPath: 'a'.repeat(4097) },
    ]) {
      const r = parsePickFileOptions(bad);
      expect(r.ok, JSON.stringify(bad)).toBe(false);
    }
  });
});

describe('dialogRequest', () => {
  it('opens one file (never several)', () => {
    const r = dialogRequest({ mode: 'open', title: 'Open graph', filters: [{ name: 'Graph', extensions: ['json'] }] });
    expect(r).toEqual({
      kind: 'open',
      options: { title: 'Open graph', filters: [{ name: 'Graph', extensions: ['json'] }], properties: ['openFile', 'dontAddToRecent'] },
    });
  });

  it('opens one folder in open-dir mode (dictionaries are folders)', () => {
    const r = dialogRequest({ mode: 'open-dir', title: 'Open dictionary' });
    expect(r).toEqual({ kind: 'open', options: { title: 'Open dictionary', properties: ['openDirectory', 'dontAddToRecent'] } });
  });

  it('saves with overwrite confirmation and the default path', () => {
    const r = dialogRequest({ mode: 'save', title: 'Save', defaultPath: '/tmp/x.circuit.json' });
    expect(r).toEqual({
      kind: 'save',
      options: { title: 'Save', defaultPath: '/tmp/x.circuit.json', properties: ['createDirectory', 'showOverwriteConfirmation', 'dontAddToRecent'] },
    });
  });
});

describe('dialogResultPath', () => {
  it('is the chosen path or null when cancelled', () => {
    expect(dialogResultPath({ canceled: false, filePaths: ['/a.json', '/b.json'] })).toBe('/a.json');
    expect(dialogResultPath({ canceled: true, filePaths: [] })).toBeNull();
    expect(dialogResultPath({ canceled: false, filePaths: [] })).toBeNull();
    expect(dialogResultPath({ canceled: false, filePath: '/out.json' })).toBe('/out.json');
    expect(dialogResultPath({ canceled: true, filePath: '' })).toBeNull();
    expect(dialogResultPath({ canceled: false, filePath: '' })).toBeNull();
  });
});
