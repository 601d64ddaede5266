import { describe, expect, it } from 'vitest';
import { LABEL_MIN_PX, labelFontSize, LOGIT_BOX, nodeLabelLook, rowLabelText, TOKEN_BOX, TOKEN_FONT } from './labels';

describe('labels at any zoom', () => {
  it('keeps the design size when zoomed in, grows to the minimum on-screen size when zoomed out', () => {
    expect(labelFontSize(TOKEN_FONT, 2, 84)).toBe(TOKEN_FONT);
    const f = labelFontSize(TOKEN_FONT, 0.45, 84)!;
    expect(f * 0.45).toBeCloseTo(LABEL_MIN_PX);
  });

  it('hides a label whose column has no room for a few characters', () => {
    expect(labelFontSize(TOKEN_FONT, 0.1, 84)).toBeNull();
    expect(labelFontSize(TOKEN_FONT, 0.1, 400)).not.toBeNull();
    expect(labelFontSize(TOKEN_FONT, 0, 84)).toBeNull();
  });

  it('grows token boxes with their label, never past the column', () => {
    const look = nodeLabelLook('token', ['·there'], 0.45, 84, 9);
    expect(look.hidden).toBe(false);
    expect(look.fontSize * 0.45).toBeCloseTo(LABEL_MIN_PX);
    expect(look.width).toBeGreaterThan(TOKEN_BOX.width);
    expect(look.width).toBeLessThanOrEqual(84);
    expect(nodeLabelLook('token', ['·a'], 1, 84, 9)).toMatchObject({ width: TOKEN_BOX.width, height: TOKEN_BOX.height, fontSize: TOKEN_FONT });
  });

  it('makes a hidden label small enough for cytoscape to skip it', () => {
    const look = nodeLabelLook('token', ['·there'], 0.1, 84, 9);
    expect(look.hidden).toBe(true);
    expect(look.fontSize * 0.1).toBeLessThan(9);
  });

  it('puts a logit\'s probability on a second line when one line does not fit', () => {
    expect(nodeLabelLook('logit', ['·Lily', '93%'], 1, 80, 9).twoLines).toBe(false);
    const small = nodeLabelLook('logit', ['·Lily', '93%'], 0.45, 80, 9);
    expect(small.twoLines).toBe(true);
    expect(small.height).toBeGreaterThan(LOGIT_BOX.height);
  });

  it('names the rows', () => {
    expect([0, 1, 5, 6].map((l) => rowLabelText(l, 5))).toEqual(['Emb', 'L0', 'L4', 'Logits']);
  });
});
