import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { EtlError } from '../../internal/errors.ts';
import type { SourceFile } from './sourceFile.ts';

function localFile(path: string, size: number): SourceFile {
  return {
    uri: path,
    size,
    async checksum() {
      // One streaming pass before the load (about 1 GB/s): a rerun learns the file is in without loading it.
      const hash = createHash('sha256');
      await pipeline(createReadStream(path), hash);
      return `sha256:${hash.digest('hex')}`;
    },
    open: async (signal) => createReadStream(path, { signal, highWaterMark: 1 << 16 }),
  };
}

/** A local CSV file, or every `.csv`/`.csv.gz` file in a local folder, by name. */
export async function listLocal(location: string): Promise<SourceFile[]> {
  const path = resolve(location);
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch (error) {
    throw new EtlError('ETL_INPUT_INVALID', `No file at ${path}: check the path`, { cause: error });
  }
  if (!info.isDirectory()) return [localFile(path, info.size)];
  const names = (await readdir(path)).filter((n) => /\.csv(\.gz)?$/i.test(n)).sort();
  return Promise.all(names.map(async (n) => localFile(join(path, n), (await stat(join(path, n))).size)));
}
