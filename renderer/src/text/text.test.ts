import { describe, expect, it } from 'vitest';
import { formatCount, formatPercent, formatValue, layerName, shortFingerprint } from './format';
import { parseTokenRef, shortToken, visibleToken } from './tokenText';

describe('visibleToken', () => {
  it('shows spaces, newlines and control characters', () => {
    expect(visibleToken(' Lily')).toBe('·Lily');
    expect(visibleToken('\n')).toBe('⏎');
    expect(visibleToken('a\tb')).toBe('a⇥b');
    expect(visibleToken('\r')).toBe('␍');
    expect(visibleToken('')).toBe('∅');
  });
  it('shortens long labels', () => {
    expect(shortToken('abcdefghij', 5)).toBe('abcd…');
    expect(shortToken(' ab', 5)).toBe('·ab');
  });
});

describe('parseTokenRef', () => {
  it('reads #id as a vocabulary id and keeps text verbatim', () => {
    expect(parseTokenRef('#439')).toBe(439);
    expect(parseTokenRef(' Lily')).toBe(' Lily');
    expect(parseTokenRef('')).toBeNull();
  });
});

describe('format', () => {
  it('formats counts, percentages and values', () => {
    expect(formatCount(260_000)).toBe('260K');
    expect(formatCount(1_234_567)).toBe('1.2M');
    expect(formatCount(15_000_000)).toBe('15M');
    expect(formatCount(999)).toBe('999');
    expect(formatPercent(0.2345)).toBe('23%');
    expect(formatPercent(0.05)).toBe('5.0%');
    expect(formatPercent(0)).toBe('0%');
    expect(formatPercent(0.0007)).toBe('0.07%');
    expect(formatPercent(0.000001)).toBe('<0.001%');
    expect(formatValue(0.000012)).toBe('1.20e-5');
    expect(formatValue(1.23456)).toBe('1.23');
    expect(formatValue(null)).toBe('–');
    expect(shortFingerprint('sha256:0123456789abcdef')).toBe('0123456789ab');
    expect(layerName('token', -1)).toBe('Emb');
    expect(layerName('feature', 3)).toBe('L3');
    expect(layerName('logit', 6)).toBe('Logit');
  });
});
