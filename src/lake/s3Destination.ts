import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { EtlError } from '../internal/errors.ts';
import { type LakeDestination, parseLakeS3Url } from './destination.ts';

/** Parts of a multipart upload; S3 wants at least 5 MiB for every part but the last. */
const PART_BYTES = 16 * 1024 * 1024;

/** `s3://bucket/prefix`: Parquet files by multipart upload (the object appears when completed), text by PUT. */
export function s3Destination(s3: S3Client, url: string, workDir: string): LakeDestination {
  const { bucket, prefix } = parseLakeS3Url(url);
  const key = (path: string) => (prefix ? `${prefix}/${path}` : path);
  const failed = (what: string, error: unknown) =>
    new EtlError('ETL_LAKE', `Cannot ${what} in ${url}: ${(error as Error).message}`, {
      retryable: true,
      cause: error,
      details: { hint: 'check the S3_* settings, the bucket and its permissions' },
    });
  return {
    url,
    workDir,
    async putFile(localFile, path) {
      const Key = key(path);
      let uploadId: string | undefined;
      try {
        ({ UploadId: uploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key })));
        const parts: { ETag: string | undefined; PartNumber: number }[] = [];
        for await (const chunk of createReadStream(localFile, { highWaterMark: PART_BYTES })) {
          const PartNumber = parts.length + 1;
          const { ETag } = await s3.send(
            new UploadPartCommand({ Bucket: bucket, Key, UploadId: uploadId, PartNumber, Body: chunk as Buffer }),
          );
          parts.push({ ETag, PartNumber });
        }
        await s3.send(
          new CompleteMultipartUploadCommand({
            Bucket: bucket,
            Key,
            UploadId: uploadId,
            MultipartUpload: { Parts: parts },
          }),
        );
        uploadId = undefined;
      } catch (error) {
        if (uploadId)
          await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key, UploadId: uploadId })).catch(() => {});
        throw failed(`upload ${Key}`, error);
      } finally {
        await rm(localFile, { force: true });
      }
    },
    async putText(path, text) {
      try {
        await s3.send(
          new PutObjectCommand({ Bucket: bucket, Key: key(path), Body: text, ContentType: 'application/json' }),
        );
      } catch (error) {
        throw failed(`write ${key(path)}`, error);
      }
    },
    async readText(path) {
      try {
        const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key(path) }));
        return await out.Body?.transformToString();
      } catch (error) {
        const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
        if (e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404) return undefined;
        throw failed(`read ${key(path)}`, error);
      }
    },
    async remove(path) {
      try {
        await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key(path) }));
      } catch (error) {
        throw failed(`delete ${key(path)}`, error);
      }
    },
  };
}
