import { describe, expect, it } from 'vitest';
import { toCsv } from './csv.ts';

const cell = (value: unknown) => toCsv(['v'], [{ v: value }]).split('\r\n')[1];

describe('toCsv', () => {
  it.each([
    ['=1+1', "'=1+1"],
    ['+1+1', "'+1+1"],
    ['-1+1', "'-1+1"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tx', "'\tx"],
    ['\rx', `"'\rx"`],
    ['=HYPERLINK("http://x","y")', `"'=HYPERLINK(""http://x"",""y"")"`],
  ])('error: %j would be a formula: it becomes text (OWASP)', (value, expected) => {
    expect(cell(value)).toBe(expected);
  });

  it.each([
    [-1.5, '-1.5'],
    ['-1.5', '-1.5'],
    ['+2e-3', '+2e-3'],
    [-7n, '-7'],
    ['a=b', 'a=b'],
    [null, ''],
  ])('behavior: %s is written as it is', (value, expected) => {
    expect(cell(value)).toBe(expected);
  });
});
