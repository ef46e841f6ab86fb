import { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { listS3 } from './s3.ts';

/** The object `s3://prices/a.csv` of `length` bytes by its headers, whose GET answers `body`, opened. */
async function openObject(length: number, body: () => Readable) {
  const s3 = {
    async send(command: unknown) {
      if (command instanceof HeadObjectCommand) return { ContentLength: length, ETag: '"abc"' };
      if (command instanceof GetObjectCommand) return { ContentLength: length, Body: body() };
      throw new Error('unexpected command');
    },
  } as unknown as S3Client;
  const [file] = await listS3(s3, 's3://prices/a.csv');
  return (file as NonNullable<typeof file>).open();
}

describe('s3 files', () => {
  it('error: a body reset mid-read fails as ETL_UPSTREAM_UNREACHABLE naming the object, retryable', async () => {
    const reset = Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
    const body = await openObject(
      100,
      () =>
        new Readable({
          read() {
            this.push('coin_id,vs_currency\n');
            this.destroy(reset);
          },
        }),
    );
    await expect(body.toArray()).rejects.toMatchObject({
      code: 'ETL_UPSTREAM_UNREACHABLE',
      retryable: true,
      message: expect.stringMatching(/S3 is unreachable for s3:\/\/prices\/a\.csv \(ECONNRESET\)/),
    });
  });

  it('error: a body that ends before the object’s length fails as ETL_UPSTREAM_UNREACHABLE, retryable', async () => {
    // The connection closes cleanly after 41 of the 100 bytes: the end of a stream, not an error.
    const body = await openObject(100, () =>
      Readable.from([Buffer.from('coin_id,vs_currency,ts,price\nbitcoin,usd,')]),
    );
    await expect(body.toArray()).rejects.toMatchObject({
      code: 'ETL_UPSTREAM_UNREACHABLE',
      retryable: true,
      message: expect.stringMatching(/s3:\/\/prices\/a\.csv after 41 of its 100 bytes/),
    });
  });

  it('behavior: a body of the object’s whole length reads through unchanged', async () => {
    const text = 'coin_id,vs_currency\nbitcoin,usd\n';
    const body = await openObject(text.length, () =>
      Readable.from([Buffer.from(text.slice(0, 9)), Buffer.from(text.slice(9))]),
    );
    expect(Buffer.concat(await body.toArray()).toString()).toBe(text);
  });
});
