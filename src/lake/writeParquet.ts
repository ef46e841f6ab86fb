import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { LakeColumn } from './columns.ts';
import { type DuckConnection, duckString } from './duckdb.ts';

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
       allow_quoted_nulls = false, quote = '"', escape = '"', delim = ',', parallel = false))
     TO ${duckString(parquetFile)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${rowGroupRows})`,
  );
  const [meta] = await duck.rows(`SELECT num_rows::BIGINT AS n FROM parquet_file_metadata(${duckString(parquetFile)})`);
  const { size } = await stat(parquetFile);
  return { rows: Number(meta?.n ?? 0), bytes: size, sha256: await sha256File(parquetFile) };
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
