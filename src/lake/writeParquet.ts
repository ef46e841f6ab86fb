import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import type { LakeColumn } from './columns.ts';
import { type DuckConnection, duckString } from './duckdb.ts';

/**
 * DuckDB's CSV read buffer. Its default (16 × the 2 MB line limit, 32 MB) is pinned in memory while read, two at a
 * time; 4 MB buffers cut the conversion's RSS and also raise the longest line DuckDB accepts from 2 MB to 4 MB.
 */
const CSV_BUFFER_BYTES = 4_000_000;

export interface ParquetFile {
  rows: number;
  bytes: number;
  sha256: string;
}

/**
 * Converts a CSV of `columns` (PostgreSQL's COPY csv: unquoted empty is NULL, `""` the empty string) into a
 * zstd Parquet file with typed columns. DuckDB's row-group size is set in rows, from the CSV's bytes per row, so
 * a row group holds about `rowGroupBytes` of uncompressed data (its byte-sized option needs unordered output,
 * and the rows' order is what makes a rerun write the same file). The CSV is read by one thread: PostgreSQL's
 * COPY of the next partition runs beside it, and the parallel reader's per-thread buffers cost more memory
 * than its speed gives back on partition-sized files (bench/export.ts).
 */
export async function csvToParquet(
  duck: DuckConnection,
  csvFile: string,
  parquetFile: string,
  columns: readonly LakeColumn[],
  options: { rows: number; rowGroupBytes: number },
): Promise<ParquetFile> {
  const { size: csvBytes } = await stat(csvFile);
  const bytesPerRow = Math.max(1, csvBytes / Math.max(1, options.rows));
  const rowGroupRows = Math.min(10_000_000, Math.max(2_048, Math.round(options.rowGroupBytes / bytesPerRow)));
  const types = columns.map((c) => `${duckString(c.name)}: ${duckString(c.type)}`).join(', ');
  await duck.run(
    `COPY (SELECT * FROM read_csv(${duckString(csvFile)}, columns = {${types}}, header = false, auto_detect = false,
       allow_quoted_nulls = false, quote = '"', escape = '"', delim = ',', parallel = false,
       buffer_size = ${CSV_BUFFER_BYTES}))
     TO ${duckString(parquetFile)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${rowGroupRows})`,
  );
  const [meta] = await duck.rows(`SELECT num_rows::BIGINT AS n FROM parquet_file_metadata(${duckString(parquetFile)})`);
  const { size } = await stat(parquetFile);
  return { rows: Number(meta?.n ?? 0), bytes: size, sha256: await sha256File(parquetFile) };
}

/**
 * The file's SHA-256, read through one reused buffer: a read stream allocates a new chunk per read, and those
 * wait for a garbage collection (a 40 MB file left ~25 MB of them in RSS, bench/export.ts).
 */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(1024 * 1024);
  const handle = await open(file, 'r');
  try {
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}
