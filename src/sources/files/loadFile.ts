import { parse } from 'csv-parse';
import type { Db, Queryable } from '../../db/types.ts';
import { describeError, EtlError } from '../../internal/errors.ts';
import type { Logger } from '../../internal/logger.ts';
import { writeRejects } from '../../pipeline/rejects.ts';
import { createRunLog } from '../../pipeline/runLog.ts';
import { type BatchSink, createBatchSink } from './batchSink.ts';
import { createChunkWriter } from './chunkWriter.ts';
import { decompressed } from './decompress.ts';
import { embeddedNewlines, recordPayload, rowParser } from './rowParser.ts';
import type { SourceFile } from './sourceFile.ts';
import { planColumns, type TableShape } from './tableShape.ts';

/** Rows per load chunk: large enough for COPY to pay off, small enough that memory stays flat. */
export const CHUNK_ROWS = 25_000;
/** Rejects are written in batches of this many, so a file of bad rows cannot fill memory either. */
const REJECT_BATCH = 1_000;
/** A record larger than this is a broken file (e.g. an unclosed quote swallowing the rest), not data. */
const MAX_RECORD_BYTES = 1 << 20;

export interface FileCounts {
  /** Data rows in the file (the header and blank lines excluded). */
  rowsRead: number;
  rowsLoaded: number;
  rowsRejected: number;
}

export interface FileProgress extends FileCounts {
  uri: string;
  bytesRead: number;
  bytesTotal: number;
}

export interface FileResult extends FileCounts {
  uri: string;
  checksum: string;
  status: 'loaded' | 'skipped';
  /** Rows whose key was already in the table (or earlier in the file). */
  duplicates: number;
  durationMs: number;
  /** For a skipped file: when it was loaded. */
  loadedAt?: Date;
}

export interface LoadFileOptions {
  db: Db;
  log: Logger;
  shape: TableShape;
  /** The unqualified table name, as recorded in `etl.loaded_files` and the run's stream (`backfill.<table>`). */
  table: string;
  file: SourceFile;
  /** Load even when `etl.loaded_files` says this content is in (duplicates are still skipped row by row). */
  force?: boolean;
  signal?: AbortSignal;
  onProgress?: (progress: FileProgress) => void;
  chunkRows?: number;
}

/**
 * Loads one CSV file in ONE transaction: the rows (ON CONFLICT DO NOTHING), its rejects and its
 * `etl.loaded_files` record commit together, so a crash or a fatal error leaves the table as it was.
 * The bytes stream through gunzip, csv-parse and the column parsers into chunked COPY: memory stays flat
 * whatever the file size. Rows that do not parse go to `etl.rejects` with their line number; the rest load.
 */
export async function loadFile(options: LoadFileOptions): Promise<FileResult> {
  const { db, file, table } = options;
  const started = Date.now();
  const checksum = await file.checksum();
  const etl = db.schemas.etl;
  if (!options.force) {
    const [done] = await db.query<{ loaded_at: Date; rows_read: number | string }>(
      `SELECT loaded_at, rows_read FROM ${etl}.loaded_files WHERE table_name = $1 AND checksum = $2`,
      [table, checksum],
    );
    if (done) {
      options.log.info({ file: file.uri, table, loadedAt: done.loaded_at }, 'file skipped: already loaded');
      return {
        uri: file.uri,
        checksum,
        status: 'skipped',
        rowsRead: 0,
        rowsLoaded: 0,
        rowsRejected: 0,
        duplicates: 0,
        durationMs: Date.now() - started,
        loadedAt: new Date(done.loaded_at),
      };
    }
  }
  const runLog = createRunLog(db, db.schemas);
  const stream = `backfill.${table}`;
  const runId = await runLog.start('backfill', stream, 'manual');
  const counts: FileCounts = { rowsRead: 0, rowsLoaded: 0, rowsRejected: 0 };
  options.log.info({ file: file.uri, table, runId, bytes: file.size }, 'loading file');
  try {
    await db.transaction(async (tx) => {
      await streamInto(tx, options, runId, counts);
      await tx.writeRows(
        {
          table: `${etl}.loaded_files`,
          columns: ['table_name', 'checksum', 'uri', 'bytes', 'rows_read', 'rows_loaded', 'rows_rejected', 'run_id'],
          key: ['table_name', 'checksum'],
          onConflict: 'update',
        },
        [[table, checksum, file.uri, file.size, counts.rowsRead, counts.rowsLoaded, counts.rowsRejected, runId]],
      );
    });
  } catch (error) {
    const failed = { rowsExtracted: counts.rowsRead, rowsLoaded: 0, rowsRejected: 0 };
    await runLog.finish(runId, 'failed', failed, describeError(error)).catch(() => {});
    throw error;
  }
  await runLog.finish(runId, 'succeeded', { rowsExtracted: counts.rowsRead, ...counts });
  const result: FileResult = {
    uri: file.uri,
    checksum,
    status: 'loaded',
    ...counts,
    duplicates: counts.rowsRead - counts.rowsLoaded - counts.rowsRejected,
    durationMs: Date.now() - started,
  };
  options.log.info({ ...result, table }, 'file loaded');
  return result;
}

async function streamInto(tx: Queryable, options: LoadFileOptions, runId: number, counts: FileCounts): Promise<void> {
  const { file, shape, signal } = options;
  const progress: FileProgress = { uri: file.uri, bytesRead: 0, bytesTotal: file.size, ...counts };
  const text = decompressed(await file.open(signal), (n) => {
    progress.bytesRead += n;
  });
  const parser = text.pipe(
    parse({
      bom: true,
      relax_column_count: true,
      relax_quotes: true,
      record_delimiter: ['\r\n', '\n'],
      max_record_size: MAX_RECORD_BYTES,
    }),
  );
  text.on('error', (error) => parser.destroy(error));
  const stop = () => text.destroy(signal?.reason);
  signal?.addEventListener('abort', stop, { once: true });
  const records = parser[Symbol.asyncIterator]() as AsyncIterator<string[]>;

  let sink: BatchSink | undefined;
  try {
    const header = await records.next();
    if (header.done)
      throw new EtlError('ETL_INPUT_INVALID', `${file.uri} is empty: the first line must name the columns`);
    const plan = planColumns(shape, header.value);
    const parseRow = rowParser(plan);
    const writeChunk = createChunkWriter(tx, {
      table: shape.table,
      columns: plan.columns,
      key: shape.key,
      onConflict: 'ignore',
    });
    sink = createBatchSink({
      writeRows: writeChunk,
      writeRejects: (batch) => writeRejects(tx, options.db.schemas, `backfill.${options.table}`, runId, batch),
      chunkRows: options.chunkRows ?? CHUNK_ROWS,
      rejectBatch: REJECT_BATCH,
      onChunk: (inserted) => {
        counts.rowsLoaded += inserted;
        options.onProgress?.(Object.assign(progress, counts));
      },
    });
    let line = 2 + embeddedNewlines(header.value);
    for (let next = await records.next(); !next.done; next = await records.next()) {
      const fields = next.value;
      const at = line;
      line += 1 + embeddedNewlines(fields);
      if (fields.length === 1 && fields[0] === '') continue;
      counts.rowsRead++;
      const row = parseRow(fields);
      let wait: Promise<void> | undefined;
      if (typeof row === 'string') {
        counts.rowsRejected++;
        const payload = { file: file.uri, line: at, record: recordPayload(plan, fields) };
        wait = sink.reject({ reason: `line ${at}: ${row}`, payload });
      } else {
        wait = sink.add(row);
      }
      if (wait) await wait;
    }
    await sink.finish();
    options.onProgress?.(Object.assign(progress, counts));
  } catch (error) {
    // Let the write in flight settle before the transaction rolls back on the same connection.
    await sink?.settle();
    if (signal?.aborted)
      throw new EtlError('ETL_ABORTED', `stopped while loading ${file.uri}: nothing of it was written`);
    const csv = error as { code?: string; lines?: number; message: string };
    if (csv.code?.startsWith('CSV_')) {
      throw new EtlError(
        'ETL_INPUT_INVALID',
        `${file.uri} line ${csv.lines}: ${csv.message}; fix the file (nothing of it was loaded)`,
        { cause: error },
      );
    }
    throw error;
  } finally {
    signal?.removeEventListener('abort', stop);
    text.destroy();
  }
}
