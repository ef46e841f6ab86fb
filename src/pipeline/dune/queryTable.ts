import {
  addColumnSql,
  changeColumnTypeSql,
  createTableSql,
  readColumnTypes,
  uuidKeySql,
  withTableLock,
} from '../../db/columnTypes.ts';
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

/**
 * Creates the staging table of an any-query result, or widens it: a column new upstream is added, a column whose
 * type changed gets the narrowest type holding both, and a column gone upstream stays (never dropped).
 * The one DDL of the Dune source: the `dune-query` job runs it before the stream, never the stream itself.
 * Each engine's types and statements come from `db/columnTypes.ts`.
 */
export async function ensureQueryTable(
  db: Db,
  table: string,
  columns: readonly PlannedColumn[],
): Promise<TableChanges> {
  const schema = db.schemas.staging;
  const qualified = `${schema}.${table}`;
  // Two loads of one query at once would race on the DDL: they take turns.
  return withTableLock(db, qualified, async (tx) => {
    const current = await readColumnTypes(tx, db, schema, table);
    if (current.size === 0) {
      await tx.exec(createTableSql(db, qualified, [uuidKeySql(db, 'row_key')], columns));
      return { created: true, added: columns.map((c) => c.name), widened: [], columns: [...columns] };
    }
    if (!current.has('row_key')) {
      throw new EtlError(
        'ETL_INPUT_INVALID',
        `${qualified} exists but is not a Dune query table (it has no row_key column): choose another table name`,
      );
    }
    const changes: TableChanges = { created: false, added: [], widened: [], columns: [] };
    for (const column of columns) {
      const had = current.get(column.name) as PgType | undefined;
      if (!had) {
        await tx.exec(addColumnSql(db, qualified, column.name, column.type));
        changes.added.push(column.name);
        changes.columns.push(column);
        continue;
      }
      const type = widen(had, column.type);
      if (type !== had) {
        await tx.exec(changeColumnTypeSql(db, qualified, column.name, type));
        changes.widened.push(`${column.name} ${had} → ${type}`);
      }
      changes.columns.push({ ...column, type });
    }
    return changes;
  });
}
