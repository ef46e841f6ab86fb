import type { Config } from '../../config.ts';
import type { Db } from '../../db/types.ts';
import { EtlError } from '../../internal/errors.ts';
import type { Logger } from '../../internal/logger.ts';
import type { FileEncoding } from '../../sources/files/csvRecords.ts';
import { listLocal } from '../../sources/files/localFiles.ts';
import { createS3, listS3 } from '../../sources/files/s3.ts';
import { createRunner, type Runner } from '../runner.ts';
import { type FileProgress, type FileResult, loadFile } from './loadFile.ts';
import { readTableShape } from './tableShape.ts';

export interface BackfillOptions {
  db: Db;
  config: Pick<Config, 's3'>;
  log: Logger;
  /** The runner each file loads through; default one on `db` (the CLI passes one that knows the secrets). */
  runner?: Runner;
  /** A staging table, unqualified: `coingecko_prices`. */
  table: string;
  /** A local file or folder, `s3://bucket/key`, or a prefix `s3://bucket/dir/` (every .csv / .csv.gz in it). */
  location: string;
  force?: boolean;
  signal?: AbortSignal;
  /** Called when a file starts (its list of files known) and as its chunks load. */
  onFile?: (file: { uri: string; index: number; count: number; bytes: number }) => void;
  onProgress?: (progress: FileProgress) => void;
  chunkRows?: number;
  /** How the files' bytes are text. Default `utf8`: a row with bytes that are not UTF-8 is rejected. */
  encoding?: FileEncoding;
}

export interface BackfillResult {
  table: string;
  files: FileResult[];
}

/**
 * `crypto-etl backfill <table> <location>`: loads CSV files (gzip or not) into a staging table, each file in
 * its own transaction and once only (its checksum is recorded in `etl.loaded_files`). Files are loaded in name
 * order; a failing file stops the run, the files before it stay loaded.
 */
export async function backfill(options: BackfillOptions): Promise<BackfillResult> {
  const { db, table } = options;
  const runner = options.runner ?? createRunner({ db, log: options.log });
  const shape = await readTableShape(db, db.schemas, table);
  const files = options.location.startsWith('s3://')
    ? await listS3(createS3(options.config), options.location)
    : await listLocal(options.location);
  if (files.length === 0) {
    throw new EtlError('ETL_INPUT_INVALID', `No .csv or .csv.gz file at ${options.location}: check the path or prefix`);
  }
  const results: FileResult[] = [];
  for (const [index, file] of files.entries()) {
    if (options.signal?.aborted) throw new EtlError('ETL_ABORTED', 'stopped: the files loaded so far stay loaded');
    options.onFile?.({ uri: file.uri, index, count: files.length, bytes: file.size });
    results.push(
      await loadFile({
        db,
        log: options.log,
        runner,
        shape,
        table,
        file,
        force: options.force,
        signal: options.signal,
        onProgress: options.onProgress,
        chunkRows: options.chunkRows,
        encoding: options.encoding,
      }),
    );
  }
  return { table, files: results };
}
