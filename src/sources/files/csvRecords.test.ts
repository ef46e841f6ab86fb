import { describe, expect, it } from 'vitest';
import { type CsvRecordsOptions, csvRecords } from './csvRecords.ts';

const options: CsvRecordsOptions = { uri: 'prices.csv', encoding: 'utf8', maxRecordChars: 1 << 20 };

/** Every record with its start line and bad byte, the bytes fed in chunks of `size`. */
async function read(bytes: Buffer, size: number, extra: Partial<CsvRecordsOptions> = {}) {
  async function* chunks() {
    for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
  }
  const out: { fields: string[]; line: number; bad?: number }[] = [];
  for await (const batch of csvRecords(chunks(), { ...options, ...extra })) {
    batch.records.forEach((fields, i) => {
      const bad = batch.badBytes.get(i);
      out.push({ fields, line: batch.lines[i] as number, ...(bad === undefined ? {} : { bad }) });
    });
  }
  return out;
}

describe('csvRecords', () => {
  const file = Buffer.concat([
    Buffer.from('\uFEFFa,b\r\n1,"two\r\nlines"\r\n\r\n'),
    Buffer.from('caf'),
    Buffer.from([0xe9]),
    Buffer.from(',€\n"x\ny\nz",4\nlast,5'),
  ]);

  it('behavior: each record comes with the line it starts on and the first byte of it that is not UTF-8', async () => {
    const expected = [
      { fields: ['a', 'b'], line: 1 },
      { fields: ['1', 'two\r\nlines'], line: 2 },
      { fields: [''], line: 4 },
      { fields: ['caf\uFFFD', '€'], line: 5, bad: 0xe9 },
      { fields: ['x\ny\nz', '4'], line: 6 },
      { fields: ['last', '5'], line: 9 },
    ];
    for (const size of [1, 3, 7, 1 << 16]) expect(await read(file, size)).toEqual(expected);
  });

  it('args: encoding latin1 decodes every byte as its character, none flagged; a UTF-8 BOM still means UTF-8', async () => {
    const records = await read(file.subarray(3), 5, { encoding: 'latin1' });
    expect(records[3]).toEqual({ fields: ['café', 'â\u0082¬'], line: 5 });
    expect((await read(file, 5, { encoding: 'latin1' }))[3]).toMatchObject({ line: 5, bad: 0xe9 });
  });

  it('behavior: a UTF-16 file (by its BOM) is read as UTF-16, not flagged as bad UTF-8', async () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a,b\nñ,2\n', 'utf16le')]);
    expect(await read(utf16, 4)).toEqual([
      { fields: ['a', 'b'], line: 1 },
      { fields: ['ñ', '2'], line: 2 },
    ]);
  });

  it('error: an unclosed quote names the line its record starts on, after every record before it', async () => {
    const bytes = Buffer.from(`a,b\n1,2\n3,"4\n${'5,6\n'.repeat(100)}`);
    const seen: number[] = [];
    const reading = (async () => {
      async function* chunks() {
        yield bytes;
      }
      for await (const batch of csvRecords(chunks(), options)) seen.push(...batch.lines);
    })();
    await expect(reading).rejects.toMatchObject({
      code: 'ETL_INPUT_INVALID',
      message:
        'prices.csv line 3: Quote Not Closed: a quote opened in the record starting on this line never closes; fix the file (nothing of it was loaded)',
    });
    expect(seen).toEqual([1, 2]);
  });
});
