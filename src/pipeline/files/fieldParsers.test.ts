import { describe, expect, it } from 'vitest';
import { Problem, parserFor, parseTimestamp } from './fieldParsers.ts';

const parser = (dataType: string) => parserFor({ dataType, maxLength: null, precision: null, scale: null });

describe('parserFor', () => {
  it('error: a NUL, raw or escaped in jsonb, is a Problem (a reject), never a value for COPY to refuse', () => {
    expect(parser('text')('a\u0000b')).toEqual(new Problem('contains a NUL character'));
    expect(parser('numeric')('1\u0000')).toBeInstanceOf(Problem);
    expect(parser('jsonb')('{"a":"x\u0000"}')).toEqual(new Problem('expected JSON'));
    expect(parser('jsonb')('{"a":["x\\u0000"]}')).toEqual(new Problem('contains \\u0000, which jsonb cannot store'));
    expect(parser('jsonb')('{"k\\u0000":1}')).toBeInstanceOf(Problem);
    expect(parser('jsonb')('{"a":"\\\\u0000"}')).toBe('{"a":"\\\\u0000"}');
    expect(parser('json')('{"a":"\\u0000"}')).toBe('{"a":"\\u0000"}');
  });

  it('behavior: a timestamp as Dune exports it (`… UTC`) is read as UTC; other zone names stay rejects', () => {
    expect(parseTimestamp('2026-05-21 05:10:31.069 UTC')).toEqual(new Date('2026-05-21T05:10:31.069Z'));
    expect(parseTimestamp('2026-05-21 05:10:31 utc')).toEqual(new Date('2026-05-21T05:10:31Z'));
    expect(parseTimestamp('2026-05-21 05:10:31 CET')).toBeInstanceOf(Problem);
  });
});
