import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EtlError } from '../internal/errors.ts';
import { type DuckConnection, duckString, openDuckDb } from './duckdb.ts';

export interface LakeQueryResult {
  columns: string[];
  rows: unknown[][];
}

/**
 * Runs DuckDB SQL over a local lake: each table folder is a view of the same name over its Parquet files
 * (`SELECT count(*) FROM evm_logs`), with the hive folders' `block_range` / `date` as columns. An `s3://` lake
 * is refused: the bundled DuckDB has no httpfs extension, and installing one means a download at run time.
 */
export async function queryLake(root: string, sql: string): Promise<LakeQueryResult> {
  if (/^s3:\/\//.test(root)) {
    throw new EtlError(
      'ETL_LAKE',
      `lake query reads local lakes only: the bundled DuckDB has no httpfs extension for ${root}`,
      { details: { hint: `copy the lake first (aws s3 sync ${root} ./lake) and pass --lake ./lake` } },
    );
  }
  const base = resolve(root);
  if (!existsSync(base)) throw new EtlError('ETL_INPUT_INVALID', `No lake at ${base}: run crypto-etl export first`);
  const duck = await openDuckDb();
  try {
    await createViews(duck, base);
    const out = await duck.columnNames(sql);
    return { columns: out.names, rows: out.rows };
  } finally {
    duck.close();
  }
}

/** One view per table folder that holds Parquet files. */
export async function createViews(duck: DuckConnection, base: string): Promise<string[]> {
  const tables = readdirSync(base, { withFileTypes: true })
    .filter((d) => d.isDirectory() && /^[a-z][a-z0-9_]*$/.test(d.name))
    .map((d) => d.name);
  const made: string[] = [];
  for (const table of tables) {
    const glob = join(base, table, '**', '*.parquet');
    const [found] = await duck.rows(`SELECT count(*)::INTEGER AS n FROM glob(${duckString(glob)})`);
    if (!Number(found?.n)) continue;
    // NOTE: the hive keys are columns of the files too (chain_id) or new ones (block_range, date); `union_by_name`
    // keeps a lake readable across an added column.
    await duck.run(
      `CREATE VIEW "${table}" AS SELECT * FROM read_parquet(${duckString(glob)}, hive_partitioning = true, union_by_name = true)`,
    );
    made.push(table);
  }
  return made;
}
