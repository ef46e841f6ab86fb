import { describe, expect, it } from 'vitest';
import { createUtf8Check } from './utf8Check.ts';

/** The bad bytes of `bytes` fed in chunks of `size`. */
function scanInChunks(bytes: Buffer, size: number) {
  const check = createUtf8Check();
  const bad = [];
  for (let at = 0; at < bytes.length; at += size) bad.push(...check.scan(bytes.subarray(at, at + size)));
  return [...bad, ...check.end()];
}

describe('createUtf8Check', () => {
  const text = Buffer.from('prix: 12 €, naïve, 𝄞 clef, 日本\n'.repeat(3));

  it('behavior: valid UTF-8 has no bad byte, wherever the chunks split its characters', () => {
    for (const size of [1, 2, 3, 5, 7, 64]) expect(scanInChunks(text, size)).toEqual([]);
  });

  it('error: Latin-1 and stray bytes are found at their offsets, whatever the chunk size', () => {
    const bytes = Buffer.concat([
      Buffer.from('caf'),
      Buffer.from([0xe9]),
      Buffer.from(',€,'),
      Buffer.from([0xff, 0x80]),
    ]);
    const expected = [
      { at: 3, byte: 0xe9 },
      { at: 9, byte: 0xff },
      { at: 10, byte: 0x80 },
    ];
    for (const size of [1, 2, 4, 64]) expect(scanInChunks(bytes, size)).toEqual(expected);
  });

  it('error: overlong forms, surrogates and a character cut by the end of the stream are bad', () => {
    expect(scanInChunks(Buffer.from([0x41, 0xc0, 0xaf]), 64).map((b) => b.at)).toEqual([1, 2]);
    expect(scanInChunks(Buffer.from([0xed, 0xa0, 0x80]), 2).map((b) => b.at)).toEqual([0, 1, 2]);
    expect(scanInChunks(Buffer.from([0x41, 0xe2, 0x82]), 1)).toEqual([
      { at: 1, byte: 0xe2 },
      { at: 2, byte: 0x82 },
    ]);
  });
});
