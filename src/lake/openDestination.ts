import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../config.ts';
import { createS3 } from '../sources/files/s3.ts';
import { type LakeDestination, localDestination, s3Destination } from './destination.ts';

/** The destination a URL names: `s3://bucket/prefix` through the `S3_*` settings, anything else a local folder. */
export function openDestination(config: Pick<Config, 's3'>, url: string): LakeDestination {
  if (!url.startsWith('s3://')) return localDestination(url);
  // Work files of an S3 export live outside the lake: a crash leaves nothing there but completed objects.
  return s3Destination(createS3(config), url, join(tmpdir(), `crypto-etl-lake-${process.pid}`));
}
