import { describe, expect, it } from 'vitest';
import { numericText, parseDuneTimestamp } from './values.ts';

describe('Dune values', () => {
  it.each([
    ['2024-01-15 13:45:12.000 UTC', '2024-01-15T13:45:12.000Z'],
    ['2022-08-29T06:33:24.916543331Z', '2022-08-29T06:33:24.916Z'],
    ['2024-01-15 13:45:12', '2024-01-15T13:45:12.000Z'],
    ['2024-01-15', '2024-01-15T00:00:00.000Z'],
    ['2024-01-15 13:45:12+02:00', '2024-01-15T11:45:12.000Z'],
  ])('args: timestamp %s', (text, iso) => {
    expect(parseDuneTimestamp(text)?.toISOString()).toBe(iso);
  });

  it('args: epoch seconds are timestamps; other text is not', () => {
    expect(parseDuneTimestamp(1_700_000_000)?.toISOString()).toBe('2023-11-14T22:13:20.000Z');
    expect(parseDuneTimestamp('yesterday')).toBeUndefined();
    expect(parseDuneTimestamp('2024-13-45')).toBeUndefined();
  });

  it('args: numbers stay exact text; non-numbers are refused', () => {
    const max = '115792089237316195423570985008687907853269984665640564039457584007913129639935';
    expect(numericText(max)).toBe(max);
    expect(numericText(1.5e18)).toBe('1500000000000000000');
    expect(numericText(0.053202)).toBe('0.053202');
    expect(numericText('1e3')).toBe('1e3');
    expect(numericText('0x10')).toBeUndefined();
    expect(numericText(Number.NaN)).toBeUndefined();
  });
});
