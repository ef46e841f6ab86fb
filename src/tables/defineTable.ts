/**
 * A staging table declared once: its columns (in order), their types, which may be null, and its key. The stream
 * that loads it takes its column list and key from here, the API its response types, and a test checks the
 * migrated DDL of every engine against it (test/tableDeclarations.e2e.test.ts). `loaded_at`, which every staging
 * table has, is the database's to fill and is not declared.
 */
export type ColumnType = 'text' | 'numeric' | 'integer' | 'bigint' | 'boolean' | 'date' | 'timestamptz' | 'json';

export interface ColumnSpec {
  type: ColumnType;
  /** Whether the column accepts null (default: it does not). */
  nullable?: boolean;
}

export interface TableSpec<C extends string = string> {
  /** Unqualified: the staging schema is the configuration's. */
  name: string;
  columns: { readonly [K in C]: ColumnSpec };
  key: readonly NoInfer<C>[];
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
