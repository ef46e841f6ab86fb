import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../config.ts';
import { type LakeDestination, localDestination, parseLakeS3Url } from './destination.ts';

/**
 * The destination a URL names: `s3://bucket/prefix` through the `S3_*` settings, anything else a local folder.
 * The AWS SDK is loaded on the first S3 call only: a local export does without its ~10 MB (bench/export.ts).
 */
export function openDestination(config: Pick<Config, 's3'>, url: string): LakeDestination {
  if (!url.startsWith('s3://')) return localDestination(url);
  parseLakeS3Url(url);
  // Work files of an S3 export live outside the lake: a crash leaves nothing there but completed objects.
  const workDir = join(tmpdir(), `crypto-etl-lake-${process.pid}`);
  let opened: Promise<LakeDestination> | undefined;
  const s3 = () => {
    opened ??= Promise.all([import('./s3Destination.ts'), import('../sources/files/s3.ts')]).then(
      ([{ s3Destination }, { createS3 }]) => s3Destination(createS3(config), url, workDir),
    );
    return opened;
  };
  return {
    url,
    workDir,
    putFile: async (localFile, path) => (await s3()).putFile(localFile, path),
    putText: async (path, text) => (await s3()).putText(path, text),
    readText: async (path) => (await s3()).readText(path),
    remove: async (path) => (await s3()).remove(path),
  };
}
