import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
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

/** `s3://bucket/prefix` split into bucket and key prefix (no trailing slash). */
export function parseLakeS3Url(url: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!match) throw new EtlError('ETL_INPUT_INVALID', `Not an S3 location: ${url} (expected s3://bucket/prefix)`);
  return { bucket: match[1] as string, prefix: (match[2] ?? '').replace(/\/+$/, '') };
}
