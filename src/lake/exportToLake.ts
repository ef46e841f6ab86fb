import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { oldestOpenTransaction } from '../db/engineSql.ts';
import type { Db } from '../db/types.ts';
import { readWatermark, writeWatermark } from '../db/watermarks.ts';
import { EtlError } from '../internal/errors.ts';
import type { Logger } from '../internal/logger.ts';
import { type LakeColumn, lakeColumns } from './columns.ts';
import type { LakeDestination } from './destination.ts';
import { openDuckDb } from './duckdb.ts';

import { MANIFEST_PATH, manifestRows, parseManifest, serializeManifest } from './manifest.ts';
import { changedPartitions, highWatermark, type LakePartition, partitionSelect } from './partitions.ts';
import type { LakeTable } from './tables.ts';
import { csvToParquet } from './writeParquet.ts';

/**
 * DuckDB's memory limit during an export. DuckDB fills what it is given (it keeps CSV buffers until evicted), and
 * its Parquet writer's own buffers grow with the row group (a quarter of the limit), so the limit sets most of what
 * a conversion adds to RSS. bench/export.ts 300000 50000 3: 298 / 308 MB of peak RSS at 80 MB, 256 / 281 at 64,
 * 264 / 259 at 48. bench/export.ts 10000000 1000000 3 at 64 (2026-12-06): peak RSS 262 MB (149 MB before the
 * export began; 332 MB before), 0.56x the drained COPY; the built CLI on the same rows 249 MB (docs/lake.md).
 */
const EXPORT_DUCKDB_MB = 64;

export interface ExportOptions {
  db: Db;
  destination: LakeDestination;
  tables: readonly LakeTable[];
  log: Logger;
  /** Blocks per `block_range=` folder (LAKE_BLOCK_RANGE). */
  blockRange: number;
  /** Uncompressed bytes per Parquet row group (LAKE_ROW_GROUP_MB). */
  rowGroupBytes: number;
  /** How far before the watermark changes are looked for again (LAKE_EXPORT_OVERLAP_SECONDS). */
  overlapSeconds: number;
  /** Ignore the watermarks and rewrite every partition. */
  full?: boolean;
  signal?: AbortSignal;
  onPartition?: (progress: { table: string; partition: string; done: number; of: number; rows: number }) => void;
}

export interface TableExport {
  table: string;
  /** Partitions rewritten (or removed, when their rows are gone) by this pass. */
  partitions: number;
  /** Rows in the files written by this pass. */
  rowsWritten: number;
  bytesWritten: number;
  /** Rows of the table in the lake after this pass. */
  rowsInLake: number;
  watermark: string | null;
}

/** The watermark of a table's export: the last `loaded_at` covered, per destination. */
export const exportStream = (table: string) => `lake-export:${table}`;
type ExportCursor = Record<string, string>;

/**
 * Exports each table's changed partitions to Parquet: a partition is read whole (COPY … TO STDOUT as CSV),
 * converted by DuckDB, moved into place, then listed in `_manifest.json`; the watermark moves after the table's
 * last partition. A crash leaves only whole files, and the rerun rewrites from the unmoved watermark the same
 * partitions with the same bytes. A reorg or re-load touches `loaded_at`, so its partitions are rewritten whole.
 */
export async function exportToLake(options: ExportOptions): Promise<TableExport[]> {
  const { db, destination, log } = options;
  const copyOut = db.copyOut?.bind(db);
  if (!copyOut) {
    throw new EtlError(
      'ETL_LAKE',
      'The lake export reads with COPY, which this database lacks: it needs PostgreSQL or PGlite (DATABASE_URL)',
    );
  }
  await rm(destination.workDir, { recursive: true, force: true });
  await mkdir(destination.workDir, { recursive: true });
  const manifest = parseManifest(await destination.readText(MANIFEST_PATH));
  // DuckDB's memory, and so the export's: with Node and the COPY beside it the process stays under 300 MB, and a
  // row group (held decoded in memory before it is written, and again as the writer encodes it) is kept to a
  // quarter of it, or a large partition runs DuckDB out of memory (1M logs in one block range at 128 MB row groups
  // did, under a 256 MB limit). One thread: each DuckDB thread holds its own buffers, and the CSV is read by one
  // anyway; on 1M logs two threads peaked 15-25 MB higher and converted slower (5 s against 3 s on 2 cores shared
  // with PostgreSQL). What does not fit spills into the work folder (DuckDB's default: `.tmp` in the working dir).
  const duck = await openDuckDb({
    memoryLimit: `${EXPORT_DUCKDB_MB}MB`,
    threads: 1,
    tempDirectory: join(destination.workDir, 'duckdb'),
  });
  const results: TableExport[] = [];
  let seq = 0;
  try {
    for (const table of options.tables) {
      const columns = await lakeColumns(db, db.schemas.staging, table.name);
      if (columns.length === 0)
        throw new EtlError('ETL_LAKE', `No table ${db.schemas.staging}.${table.name} to export`);
      const cursor = (await readWatermark<ExportCursor>(db, db.schemas, exportStream(table.name))) ?? {};
      const known = manifest.tables[table.name];
      const sameColumns = known && JSON.stringify(known.columns) === JSON.stringify(columnsOf(columns));
      // A lake without this table (a new or wiped destination), or whose columns changed, is written in full.
      const since = options.full || !sameColumns ? undefined : (cursor[destination.url] ?? undefined);
      const high = await settledHigh(db, table);
      const entry = sameColumns && known ? known : { columns: columnsOf(columns), watermark: null, partitions: {} };
      if (!sameColumns) {
        for (const file of Object.values(known?.partitions ?? {})) await destination.remove(file.file);
      }
      manifest.tables[table.name] = entry;
      const parts = await changedPartitions(db, db.schemas, table, {
        since,
        overlapSeconds: options.overlapSeconds,
        blockRange: options.blockRange,
      });
      const result: TableExport = {
        table: table.name,
        partitions: 0,
        rowsWritten: 0,
        bytesWritten: 0,
        rowsInLake: 0,
        watermark: high,
      };
      // NOTE: one partition is read ahead: PostgreSQL runs the next COPY while DuckDB converts the current file
      // (bounded to one work CSV waiting, so disk and memory stay at two partitions).
      const read = (part: LakePartition): Promise<ReadPartition> => {
        const csv = join(destination.workDir, `${++seq}.csv`);
        return copyToFile(copyOut(partitionSelect(db.schemas, table, columns, part)), csv).then((rows) => ({
          part,
          csv,
          rows,
        }));
      };
      let ahead = parts[0] ? settled(read(parts[0])) : undefined;
      try {
        for (let i = 0; i < parts.length; i++) {
          if (options.signal?.aborted) throw new EtlError('ETL_ABORTED', 'The lake export was stopped');
          const { part, csv, rows } = await (ahead as Promise<ReadPartition>);
          const following = parts[i + 1];
          ahead = following ? settled(read(following)) : undefined;
          const file = `${table.name}/${part.path}/data.parquet`;
          if (rows === 0) {
            // Every row of the range is gone (a reorg that shortened the chain, a delete): so is its file.
            await rm(csv, { force: true });
            if (entry.partitions[part.path]) {
              await destination.remove(file);
              delete entry.partitions[part.path];
              await destination.putText(MANIFEST_PATH, serializeManifest(manifest));
            }
          } else {
            const parquet = csv.replace(/\.csv$/, '.parquet.tmp');
            const written = await csvToParquet(duck, csv, parquet, columns, {
              rows,
              rowGroupBytes: Math.min(options.rowGroupBytes, (EXPORT_DUCKDB_MB * 1024 * 1024) / 4),
            });
            await rm(csv, { force: true });
            await destination.putFile(parquet, file);
            entry.partitions[part.path] = { file, ...written };
            await destination.putText(MANIFEST_PATH, serializeManifest(manifest));
            result.rowsWritten += written.rows;
            result.bytesWritten += written.bytes;
          }
          result.partitions++;
          options.onPartition?.({
            table: table.name,
            partition: part.path,
            done: result.partitions,
            of: parts.length,
            rows,
          });
        }
      } finally {
        // A failed or stopped pass waits for the COPY in flight, so no write lands in the removed work folder.
        await ahead?.catch(() => {});
      }
      entry.watermark = high;
      await destination.putText(MANIFEST_PATH, serializeManifest(manifest));
      await db.transaction((tx) =>
        writeWatermark(tx, db.schemas, exportStream(table.name), { ...cursor, [destination.url]: high }, null),
      );
      result.rowsInLake = manifestRows(entry);
      log.info(result, `lake export: ${table.name} ${result.partitions} partition(s), ${result.rowsWritten} rows`);
      results.push(result);
    }
  } finally {
    duck.close();
    await rm(destination.workDir, { recursive: true, force: true });
  }
  return results;
}

interface ReadPartition {
  part: LakePartition;
  csv: string;
  rows: number;
}

/** The same promise, marked handled: a read ahead that fails while the current file converts is not unhandled. */
function settled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}

const columnsOf = (columns: readonly LakeColumn[]) => columns.map((c) => ({ name: c.name, type: c.type }));

/** Streams COPY output to a file; returns the number of lines (rows, unless a value holds a newline). */
async function copyToFile(source: AsyncIterable<Uint8Array>, file: string): Promise<number> {
  let lines = 0;
  const count = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
      done(null, chunk);
    },
  });
  await pipeline(source, count, createWriteStream(file));
  return lines;
}

/**
 * The table's last `loaded_at`, held just before the start of the oldest transaction still open: `loaded_at` is its
 * transaction's start, so that transaction's rows commit later with a mark older than this pass's, and the next
 * pass (`loaded_at >` the watermark less `LAKE_EXPORT_OVERLAP_SECONDS`) must still find them, however long it ran.
 * As the rollups' refresh does (transforms/refreshRollups.ts); PGlite and MySQL cannot tell, and rely on the overlap.
 */
async function settledHigh(db: Db, table: LakeTable): Promise<string | null> {
  const high = await highWatermark(db, db.schemas, table);
  const started = high === null ? undefined : await oldestOpenTransaction(db);
  if (!started || started.getTime() > Date.parse(high as string)) return high;
  return new Date(started.getTime() - 1).toISOString();
}
