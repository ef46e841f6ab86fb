import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
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

/**
 * Where the lake lives. Every write appears whole or not at all: a local file is written under `_tmp/` on the
 * same file system and renamed into place; an S3 object exists once its multipart upload is completed.
 */
export interface LakeDestination {
  /** The lake's root as the user wrote it (`./lake`, `s3://bucket/prefix`). */
  readonly url: string;
  /** A local folder for work files (CSV, the Parquet being written), on the destination's file system if local. */
  readonly workDir: string;
  /** Moves a finished local file to `path` (relative to the root), replacing what was there. */
  putFile(localFile: string, path: string): Promise<void>;
  putText(path: string, text: string): Promise<void>;
  /** The text at `path`, or undefined when there is none. */
  readText(path: string): Promise<string | undefined>;
  remove(path: string): Promise<void>;
}

/** A local folder: the work folder is `<root>/_tmp` (readers skip `_` folders), emptied before each export. */
export function localDestination(root: string): LakeDestination {
  const base = resolve(root);
  const workDir = join(base, '_tmp');
  const place = async (path: string) => {
    const target = join(base, path);
    await mkdir(dirname(target), { recursive: true });
    return target;
  };
  return {
    url: root,
    workDir,
    async putFile(localFile, path) {
      await rename(localFile, await place(path));
    },
    async putText(path, text) {
      const temp = join(workDir, `${path.replaceAll('/', '__')}.tmp`);
      await mkdir(workDir, { recursive: true });
      await writeFile(temp, text);
      await rename(temp, await place(path));
    },
    async readText(path) {
      try {
        return await readFile(join(base, path), 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },
    async remove(path) {
      await rm(join(base, path), { force: true });
    },
  };
}

/** Parts of a multipart upload; S3 wants at least 5 MiB for every part but the last. */
const PART_BYTES = 16 * 1024 * 1024;

/** `s3://bucket/prefix`: Parquet files by multipart upload (the object appears when completed), text by PUT. */
export function s3Destination(s3: S3Client, url: string, workDir: string): LakeDestination {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!match) throw new EtlError('ETL_INPUT_INVALID', `Not an S3 location: ${url} (expected s3://bucket/prefix)`);
  const bucket = match[1] as string;
  const prefix = (match[2] ?? '').replace(/\/+$/, '');
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
