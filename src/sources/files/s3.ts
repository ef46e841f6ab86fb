import { type Readable, Transform } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, paginateListObjectsV2, S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../../config.ts';
import { EtlError } from '../../internal/errors.ts';
import type { SourceFile } from './sourceFile.ts';

/** `s3://bucket/key` split; a key ending in `/` (or empty) is a prefix. */
export interface S3Location {
  bucket: string;
  key: string;
}

export function parseS3Url(url: string): S3Location {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!m?.[1])
    throw new EtlError('ETL_INPUT_INVALID', `"${url}" is not an S3 URL: use s3://bucket/key or s3://bucket/dir/`);
  return { bucket: m[1], key: m[2] ?? '' };
}

/**
 * An S3 client from the `S3_*` settings: `S3_ENDPOINT` and `S3_FORCE_PATH_STYLE` reach MinIO and other
 * S3-compatible stores; without keys the SDK's default chain (environment, profile, instance role) applies.
 */
export function createS3(config: Pick<Config, 's3'>): S3Client {
  const { endpoint, region, accessKeyId, secretAccessKey, forcePathStyle } = config.s3;
  return new S3Client({
    region,
    endpoint,
    forcePathStyle,
    credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined,
  });
}

/** Turns an SDK failure into a message that says what to check. */
export function s3Error(error: unknown, url: string): EtlError {
  if (error instanceof EtlError) return error;
  const e = error as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  const name = e.name ?? '';
  if (name === 'NoSuchKey' || name === 'NotFound' || name === 'NoSuchBucket' || status === 404) {
    return new EtlError('ETL_INPUT_INVALID', `Nothing at ${url} (${name || 'HTTP 404'}): check the bucket and key`, {
      cause: error,
    });
  }
  if (
    status === 401 ||
    status === 403 ||
    /AccessDenied|InvalidAccessKeyId|SignatureDoesNotMatch|Credentials/.test(name)
  ) {
    return new EtlError(
      'ETL_UPSTREAM_AUTH',
      `S3 refused access to ${url} (${name || `HTTP ${status}`}): check S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY and S3_REGION`,
      { cause: error },
    );
  }
  const code = e.code ?? (error as { cause?: { code?: string } }).cause?.code;
  if (code && /^E[A-Z]+/.test(code)) {
    return new EtlError(
      'ETL_UPSTREAM_UNREACHABLE',
      `S3 is unreachable for ${url} (${code}): check the network and S3_ENDPOINT`,
      { retryable: true, cause: error },
    );
  }
  return new EtlError('ETL_UPSTREAM_HTTP', `S3 request for ${url} failed: ${name} ${e.message ?? ''}`.trim(), {
    retryable: status !== undefined && status >= 500,
    cause: error,
  });
}

interface ObjectInfo {
  size: number;
  etag?: string;
  modified?: Date;
}

function s3File(s3: S3Client, bucket: string, key: string, { size, etag, modified }: ObjectInfo): SourceFile {
  const uri = `s3://${bucket}/${key}`;
  return {
    uri,
    size,
    // The ETag is S3's own checksum of the object (MD5 of a single-part upload): no download needed to compare.
    // A store that sends none is identified by key, size and modification time instead.
    checksum: async () =>
      etag ? `etag:${etag.replaceAll('"', '')}` : `object:${uri}:${size}:${modified?.toISOString() ?? ''}`,
    async open(signal) {
      try {
        const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, IfMatch: etag }), {
          abortSignal: signal,
        });
        const body = object.Body as Readable;
        // A body that fails mid-read (a reset connection) fails as the request would have, with what to check;
        // one that ends before the object's length (a connection closed early) fails too: a cut file is not the file.
        const expected = object.ContentLength ?? size;
        let received = 0;
        const out = new Transform({
          highWaterMark: 1 << 16,
          transform(chunk: Buffer, _encoding, done) {
            received += chunk.length;
            done(null, chunk);
          },
          flush(done) {
            if (received >= expected) return done();
            done(
              new EtlError(
                'ETL_UPSTREAM_UNREACHABLE',
                `S3 ended the body of ${uri} after ${received} of its ${expected} bytes: the object was cut short in transit; run again (nothing of it was loaded)`,
                { retryable: true },
              ),
            );
          },
        });
        body.on('error', (error) => out.destroy(s3Error(error, uri)));
        out.on('close', () => body.destroy());
        return body.pipe(out);
      } catch (error) {
        throw s3Error(error, uri);
      }
    },
  };
}

/** The object at `s3://bucket/key`, or every `.csv`/`.csv.gz` object under the prefix `s3://bucket/dir/`, by key. */
export async function listS3(s3: S3Client, url: string): Promise<SourceFile[]> {
  const { bucket, key } = parseS3Url(url);
  try {
    if (key !== '' && !key.endsWith('/')) {
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return [s3File(s3, bucket, key, { size: head.ContentLength ?? 0, etag: head.ETag, modified: head.LastModified })];
    }
    const files: SourceFile[] = [];
    for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: key })) {
      for (const object of page.Contents ?? []) {
        if (object.Key && /\.csv(\.gz)?$/i.test(object.Key)) {
          files.push(
            s3File(s3, bucket, object.Key, {
              size: object.Size ?? 0,
              etag: object.ETag,
              modified: object.LastModified,
            }),
          );
        }
      }
    }
    return files.sort((a, b) => (a.uri < b.uri ? -1 : 1));
  } catch (error) {
    throw s3Error(error, url);
  }
}
