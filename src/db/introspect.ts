import type { Queryable } from './types.ts';

/**
 * What the catalogue says of tables and their columns, asked one way on every engine: information_schema,
 * with every column aliased (MySQL 8 names information_schema's columns in capitals).
 */

export interface ColumnInfo {
  name: string;
  /** information_schema's `data_type`: `numeric`, `timestamp with time zone`, `decimal`, `datetime`… */
  dataType: string;
  nullable: boolean;
  hasDefault: boolean;
  maxLength: number | null;
  precision: number | null;
  scale: number | null;
}

type ColumnRow = {
  table_name: string;
  name: string;
  data_type: string;
  is_nullable: string;
  column_default: string | null;
  max_length: number | string | null;
  num_precision: number | string | null;
  num_scale: number | string | null;
};

const num = (v: number | string | null) => (v === null ? null : Number(v));

const COLUMNS_SQL = `SELECT table_name AS table_name, column_name AS name, data_type AS data_type,
    is_nullable AS is_nullable, column_default AS column_default, character_maximum_length AS max_length,
    numeric_precision AS num_precision, numeric_scale AS num_scale
  FROM information_schema.columns WHERE table_schema = $1`;

const toColumn = (r: ColumnRow): ColumnInfo => ({
  name: r.name,
  dataType: r.data_type,
  nullable: r.is_nullable !== 'NO',
  hasDefault: r.column_default !== null,
  maxLength: num(r.max_length),
  precision: num(r.num_precision),
  scale: num(r.num_scale),
});

/** The columns of a table or view in their order; none when it does not exist. */
export async function columnsOf(db: Queryable, schema: string, table: string): Promise<ColumnInfo[]> {
  const rows = await db.query<ColumnRow>(`${COLUMNS_SQL} AND table_name = $2 ORDER BY ordinal_position`, [
    schema,
    table,
  ]);
  return rows.map(toColumn);
}

/** The columns of several tables at once, by table (a table that does not exist is absent). */
export async function columnsOfTables(
  db: Queryable,
  schema: string,
  tables: readonly string[],
): Promise<Map<string, ColumnInfo[]>> {
  const byTable = new Map<string, ColumnInfo[]>();
  if (tables.length === 0) return byTable;
  const list = tables.map((_, i) => `$${i + 2}`).join(', ');
  const rows = await db.query<ColumnRow>(`${COLUMNS_SQL} AND table_name IN (${list}) ORDER BY ordinal_position`, [
    schema,
    ...tables,
  ]);
  for (const row of rows) {
    const columns = byTable.get(row.table_name) ?? [];
    columns.push(toColumn(row));
    byTable.set(row.table_name, columns);
  }
  return byTable;
}

/** The tables and views of a schema, by name. */
export async function relationsIn(db: Queryable, schema: string): Promise<string[]> {
  const rows = await db.query<{ name: string }>(
    'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
    [schema],
  );
  return rows.map((r) => r.name);
}

/** Whether a table or view `schema.name` exists. */
export async function relationExists(db: Queryable, qualified: string): Promise<boolean> {
  const [schema, name] = qualified.split('.');
  const rows = await db.query(
    'SELECT 1 AS found FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2',
    [schema, name],
  );
  return rows.length > 0;
}

/** The primary key's columns in key order; none when the table has no primary key. */
export async function primaryKeyOf(db: Queryable, schema: string, table: string): Promise<string[]> {
  const rows = await db.query<{ name: string }>(
    `SELECT kcu.column_name AS name FROM information_schema.table_constraints tc
     JOIN information_schema.key_column_usage kcu
       ON kcu.constraint_name = tc.constraint_name AND kcu.table_schema = tc.table_schema AND kcu.table_name = tc.table_name
     WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = $1 AND tc.table_name = $2
     ORDER BY kcu.ordinal_position`,
    [schema, table],
  );
  return rows.map((r) => r.name);
}
