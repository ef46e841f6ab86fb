import { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { listS3 } from './s3.ts';

describe('s3 files', () => {
  it('error: a body reset mid-read fails as ETL_UPSTREAM_UNREACHABLE naming the object, retryable', async () => {
    const reset = Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
    const s3 = {
      async send(command: unknown) {
        if (command instanceof HeadObjectCommand) return { ContentLength: 100, ETag: '"abc"' };
        if (command instanceof GetObjectCommand) {
          return {
            Body: new Readable({
              read() {
                this.push('coin_id,vs_currency\n');
                this.destroy(reset);
              },
            }),
          };
        }
        throw new Error('unexpected command');
      },
    } as unknown as S3Client;
    const [file] = await listS3(s3, 's3://prices/a.csv');
    const body = await (file as NonNullable<typeof file>).open();
    await expect(body.toArray()).rejects.toMatchObject({
      code: 'ETL_UPSTREAM_UNREACHABLE',
      retryable: true,
      message: expect.stringMatching(/S3 is unreachable for s3:\/\/prices\/a\.csv \(ECONNRESET\)/),
    });
  });
});
