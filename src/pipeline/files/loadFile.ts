import type { Db, Queryable } from '../../db/types.ts';
import { EtlError } from '../../internal/errors.ts';
import type { Logger } from '../../internal/logger.ts';
import { csvRecords, type FileEncoding } from '../../sources/files/csvRecords.ts';
import { decompressed } from '../../sources/files/decompress.ts';
import type { SourceFile } from '../../sources/files/sourceFile.ts';
import type { Reject } from '../rejects.ts';
import type { Runner } from '../runner.ts';
import { type BatchSink, createBatchSink } from './batchSink.ts';
import { createChunkWriter } from './chunkWriter.ts';
import { notUtf8, type RowParser, recordPayload, rowParser, undecodedReason } from './rowParser.ts';
import { type ColumnPlan, planColumns, type TableShape } from './tableShape.ts';

/** Rows per load chunk: large enough for COPY to pay off, small enough that memory stays flat. */
export const CHUNK_ROWS = 25_000;
/** Rejects are written in batches of this many, so a file of bad rows cannot fill memory either. */
const REJECT_BATCH = 1_000;
/** A record larger than this is a broken file (e.g. an unclosed quote swallowing the rest), not data. */
const MAX_RECORD_CHARS = 1 << 20;

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
  runner: Runner;
  shape: TableShape;
  /** The unqualified table name, as recorded in `etl.loaded_files` and the run's stream (`backfill.<table>`). */
  table: string;
  file: SourceFile;
  /** Load even when `etl.loaded_files` says this content is in (duplicates are still skipped row by row). */
  force?: boolean;
  signal?: AbortSignal;
  onProgress?: (progress: FileProgress) => void;
  chunkRows?: number;
  /** How the file's bytes are text. Default `utf8`: a row with bytes that are not UTF-8 is rejected. */
  encoding?: FileEncoding;
}

/**
 * Loads one CSV file as ONE checkpoint of the runner: the rows (ON CONFLICT DO NOTHING), its rejects and its
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
  const counts: FileCounts = { rowsRead: 0, rowsLoaded: 0, rowsRejected: 0 };
  options.log.info({ file: file.uri, table, bytes: file.size }, 'loading file');
  // A backfill is the user's own file, loaded on request: its rejects are reported row by row (the run shows
  // amber), not a reason to refuse the rest of it.
  const run = await options.runner.run(
    { stream: `backfill.${table}`, rejectMaxShare: 1 },
    { job: 'backfill', signal: options.signal },
    async (session) => {
      await session.commit({
        writes: [],
        extracted: 0,
        load: async (tx, fileRejects) => {
          await streamInto(tx, options, fileRejects, counts);
          return { extracted: counts.rowsRead, loaded: counts.rowsLoaded, rejected: counts.rowsRejected };
        },
        after: (tx, outcome) =>
          tx
            .writeRows(
              {
                table: `${etl}.loaded_files`,
                columns: [
                  'table_name',
                  'checksum',
                  'uri',
                  'bytes',
                  'rows_read',
                  'rows_loaded',
                  'rows_rejected',
                  'run_id',
                ],
                key: ['table_name', 'checksum'],
                onConflict: 'update',
              },
              [
                [
                  table,
                  checksum,
                  file.uri,
                  file.size,
                  outcome.extracted,
                  outcome.loaded,
                  outcome.rejected,
                  outcome.runId,
                ],
              ],
            )
            .then(() => {}),
      });
    },
  );
  if (run.status === 'failed') throw run.cause;
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

type FileRejects = (batch: readonly Reject[]) => Promise<void>;

async function streamInto(
  tx: Queryable,
  options: LoadFileOptions,
  fileRejects: FileRejects,
  counts: FileCounts,
): Promise<void> {
  const { file, shape, signal } = options;
  const progress: FileProgress = { uri: file.uri, bytesRead: 0, bytesTotal: file.size, ...counts };
  const text = decompressed(await file.open(signal), file.uri, (n) => {
    progress.bytesRead += n;
  });
  const stop = () => text.destroy(signal?.reason);
  signal?.addEventListener('abort', stop, { once: true });
  const encoding = options.encoding ?? 'utf8';
  const batches = csvRecords(text, { uri: file.uri, encoding, maxRecordChars: MAX_RECORD_CHARS });

  let reader: { plan: ColumnPlan; parseRow: RowParser; sink: BatchSink } | undefined;
  try {
    for await (const { records, lines, badBytes } of batches) {
      let i = 0;
      if (!reader) {
        if (badBytes.has(0)) {
          throw new EtlError('ETL_INPUT_INVALID', `${file.uri} line 1 (the header): ${notUtf8(badBytes.get(0) ?? 0)}`);
        }
        const plan = planColumns(shape, records[0] as string[]);
        reader = { plan, parseRow: rowParser(plan), sink: openSink(tx, options, fileRejects, plan, counts, progress) };
        i = 1;
      }
      const { plan, parseRow, sink } = reader;
      for (; i < records.length; i++) {
        const fields = records[i] as string[];
        if (fields.length === 1 && fields[0] === '') continue;
        counts.rowsRead++;
        const bad = badBytes.size === 0 ? undefined : badBytes.get(i);
        const row = bad === undefined ? parseRow(fields) : undecodedReason(plan, fields, bad);
        let wait: Promise<void> | undefined;
        if (typeof row === 'string') {
          counts.rowsRejected++;
          const at = lines[i] as number;
          const payload = { file: file.uri, line: at, record: recordPayload(plan, fields) };
          wait = sink.reject({ reason: `line ${at}: ${row}`, payload });
        } else {
          wait = sink.add(row);
        }
        if (wait) await wait;
      }
    }
    if (!reader) throw new EtlError('ETL_INPUT_INVALID', `${file.uri} is empty: the first line must name the columns`);
    await reader.sink.finish();
    options.onProgress?.(Object.assign(progress, counts));
  } catch (error) {
    // Let the write in flight settle before the transaction rolls back on the same connection.
    await reader?.sink.settle();
    if (signal?.aborted)
      throw new EtlError('ETL_ABORTED', `stopped while loading ${file.uri}: nothing of it was written`);
    throw error;
  } finally {
    signal?.removeEventListener('abort', stop);
    text.destroy();
  }
}

/** The sink of one file's rows and rejects, writing on the load's connection. */
function openSink(
  tx: Queryable,
  options: LoadFileOptions,
  fileRejects: FileRejects,
  plan: ColumnPlan,
  counts: FileCounts,
  progress: FileProgress,
): BatchSink {
  const { shape } = options;
  const writeChunk = createChunkWriter(tx, {
    table: shape.table,
    columns: plan.columns,
    key: shape.key,
    onConflict: 'ignore',
  });
  return createBatchSink({
    writeRows: writeChunk,
    writeRejects: fileRejects,
    chunkRows: options.chunkRows ?? CHUNK_ROWS,
    rejectBatch: REJECT_BATCH,
    onChunk: (inserted) => {
      counts.rowsLoaded += inserted;
      options.onProgress?.(Object.assign(progress, counts));
    },
  });
}
