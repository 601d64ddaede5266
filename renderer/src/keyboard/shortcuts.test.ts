import { describe, expect, it } from 'vitest';
import { shortcutFor, type KeyInput } from './shortcuts';

const k = (key: string, p: Partial<KeyInput> = {}): KeyInput => ({ key, ctrlKey: false, metaKey: false, altKey: false, inEditable: false, ...p });

describe('shortcutFor', () => {
  it('maps the documented keys', () => {
    expect(shortcutFor(k('?'))).toBe('help');
    expect(shortcutFor(k('Escape'))).toBe('escape');
    expect(shortcutFor(k('f'))).toBe('fit');
    expect(shortcutFor(k('/'))).toBe('focus-search');
    expect(shortcutFor(k('Enter', { ctrlKey: true }))).toBe('trace');
    expect(shortcutFor(k('Enter', { metaKey: true }))).toBe('trace');
  });
  it('leaves typing in text fields alone, except Esc and Ctrl+Enter', () => {
    expect(shortcutFor(k('f', { inEditable: true }))).toBeNull();
    expect(shortcutFor(k('?', { inEditable: true }))).toBeNull();
    expect(shortcutFor(k('Escape', { inEditable: true }))).toBe('escape');
    expect(shortcutFor(k('Enter', { inEditable: true, ctrlKey: true }))).toBe('trace');
    expect(shortcutFor(k('Enter'))).toBeNull();
    expect(shortcutFor(k('f', { ctrlKey: true }))).toBeNull();
  });
});
