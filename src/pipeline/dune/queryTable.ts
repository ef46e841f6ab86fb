import type { Db } from '../../db/types.ts';
import { EtlError } from '../../internal/errors.ts';
import { type PgType, type PlannedColumn, widen } from '../../sources/dune/columnTypes.ts';

export interface TableChanges {
  created: boolean;
  added: string[];
  widened: string[];
  /** The columns with the types they have in the table now (a widened type may be wider than this result's). */
  columns: PlannedColumn[];
}

const CATALOG_TYPES: Record<string, PgType> = {
  text: 'text',
  boolean: 'boolean',
  integer: 'integer',
  bigint: 'bigint',
  numeric: 'numeric',
  'double precision': 'double precision',
  date: 'date',
  'timestamp with time zone': 'timestamptz',
  jsonb: 'jsonb',
};

/**
 * Creates the staging table of an any-query result, or widens it: a column new upstream is added, a column whose
 * type changed gets the narrowest type holding both, and a column gone upstream stays (never dropped).
 * The one DDL of the Dune source: the `dune-query` job runs it before the stream, never the stream itself.
 */
export async function ensureQueryTable(
  db: Db,
  table: string,
  columns: readonly PlannedColumn[],
): Promise<TableChanges> {
  const schema = db.schemas.staging;
  const qualified = `${schema}.${table}`;
  return db.transaction(async (tx) => {
    // Two loads of one query at once would race on the DDL: they take turns.
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [qualified]);
    const existing = await tx.query<{ column_name: string; data_type: string }>(
      'SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2',
      [schema, table],
    );
    if (existing.length === 0) {
      const defs = columns.map((c) => `${c.name} ${c.type}`);
      await tx.exec(
        `CREATE TABLE ${qualified} (row_key uuid PRIMARY KEY, ${defs.join(', ')}${defs.length ? ', ' : ''}loaded_at timestamptz NOT NULL DEFAULT now())`,
      );
      return { created: true, added: columns.map((c) => c.name), widened: [], columns: [...columns] };
    }
    if (!existing.some((c) => c.column_name === 'row_key')) {
      throw new EtlError(
        'ETL_INPUT_INVALID',
        `${qualified} exists but is not a Dune query table (it has no row_key column): choose another table name`,
      );
    }
    const current = new Map(existing.map((c) => [c.column_name, CATALOG_TYPES[c.data_type] ?? 'text']));
    const changes: TableChanges = { created: false, added: [], widened: [], columns: [] };
    for (const column of columns) {
      const had = current.get(column.name);
      if (!had) {
        await tx.exec(`ALTER TABLE ${qualified} ADD COLUMN ${column.name} ${column.type}`);
        changes.added.push(column.name);
        changes.columns.push(column);
        continue;
      }
      const type = widen(had, column.type);
      if (type !== had) {
        await tx.exec(
          `ALTER TABLE ${qualified} ALTER COLUMN ${column.name} TYPE ${type} USING ${column.name}::${type}`,
        );
        changes.widened.push(`${column.name} ${had} → ${type}`);
      }
      changes.columns.push({ ...column, type });
    }
    return changes;
  });
}
