import { DuckDBInstance } from '@duckdb/node-api';

/** A connection that runs one statement at a time. */
export interface DuckConnection {
  run(sql: string): Promise<void>;
  rows(sql: string): Promise<Record<string, unknown>[]>;
  columnNames(sql: string): Promise<{ names: string[]; rows: unknown[][] }>;
  close(): void;
}

/**
 * An in-memory DuckDB with bounded threads and memory (it shares the machine with the database and the workers).
 * The bundled build has the parquet and json extensions; httpfs and postgres would be downloaded on first use,
 * so nothing here relies on them.
 */
export async function openDuckDb(
  options: { threads?: number; memoryLimit?: string; tempDirectory?: string } = {},
): Promise<DuckConnection> {
  const instance = await DuckDBInstance.create(':memory:', {
    threads: String(options.threads ?? 2),
    memory_limit: options.memoryLimit ?? '256MB',
    autoinstall_known_extensions: 'false',
    // Where DuckDB spills what does not fit its memory limit (its default is `.tmp` in the working directory).
    ...(options.tempDirectory ? { temp_directory: options.tempDirectory } : {}),
  });
  const connection = await instance.connect();
  return {
    async run(sql) {
      await connection.run(sql);
    },
    async rows(sql) {
      return (await connection.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
    },
    async columnNames(sql) {
      const reader = await connection.runAndReadAll(sql);
      return { names: reader.columnNames(), rows: reader.getRowsJS() as unknown[][] };
    },
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/** A string literal for DuckDB SQL. */
export const duckString = (text: string) => `'${text.replaceAll("'", "''")}'`;
