/**
 * A staging table declared once: its columns (in order), their types, which may be null, and its key. The stream
 * that loads it takes its column list and key from here, the API its response types, and a test checks the
 * migrated DDL of every engine against it (test/tableDeclarations.e2e.test.ts). `loaded_at`, which every staging
 * table has, is the database's to fill and is not declared.
 *
 * `uint256` is an unsigned integer of up to 78 digits (wei, token atoms): `numeric(78,0)` on PostgreSQL, canonical
 * decimal text held by a CHECK on MySQL/MariaDB, whose DECIMAL stops at 65 digits (docs/mysql.md, db/uint256.ts).
 */
export type ColumnType =
  | 'text'
  | 'numeric'
  | 'uint256'
  | 'smallint'
  | 'integer'
  | 'bigint'
  | 'boolean'
  | 'date'
  | 'timestamptz'
  | 'json';

export interface ColumnSpec {
  type: ColumnType;
  /** Whether the column accepts null (default: it does not). */
  nullable?: boolean;
}

export interface TableSpec<C extends string = string> {
  /** Unqualified: the staging schema is the configuration's. */
  name: string;
  columns: { readonly [K in C]: ColumnSpec };
  /** The natural key: what makes a row unique, and the conflict target of its writes. */
  key: readonly NoInfer<C>[];
  /**
   * The range partition columns where the engine partitions the table (migration 0012, docs/partitions.md): a
   * PostgreSQL primary key gains those it lacks (key ∪ partitionedBy); an engine that does not partition it keeps
   * the natural key. Writes still name the natural key: db/partitions.ts adds the partition columns to the
   * conflict target itself.
   */
  partitionedBy?: readonly NoInfer<C>[];
}

/** Identity function that keeps a declaration's column names as a type. */
export function defineTable<C extends string>(spec: TableSpec<C>): TableSpec<C> {
  return spec;
}

/** The declared columns in their order. */
export function columnNames<C extends string>(table: TableSpec<C>): C[] {
  return Object.keys(table.columns) as C[];
}

/** What a stream needs of its table to write it: name, column list and key. */
export function tableWrite<C extends string>(table: TableSpec<C>): { table: string; columns: C[]; key: readonly C[] } {
  return { table: table.name, columns: columnNames(table), key: table.key };
}

/** One row of a declared table as an object: every declared column by name, none other (`tsc` holds a writer to it). */
export type RowOf<T> = T extends TableSpec<infer C> ? { readonly [K in C]: unknown } : never;

/**
 * The positional row of a declared table's column list (`tableWrite(table).columns`) from a row object: a writer
 * that builds its rows as `RowOf<typeof table>` fails to compile when it lacks a declared column.
 */
export function rowValues<C extends string>(table: TableSpec<C>): (row: { readonly [K in C]: unknown }) => unknown[] {
  const columns = columnNames(table);
  const width = columns.length;
  // A plain loop into a sized array: this runs once per loaded row (EVM logs by the million).
  return (row) => {
    const values = new Array<unknown>(width);
    for (let i = 0; i < width; i++) values[i] = row[columns[i] as C];
    return values;
  };
}
