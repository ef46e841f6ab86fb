export type Row = Record<string, unknown>;

/** Where and how `writeRows` loads: rows are positional, in `columns` order. */
export interface WriteTarget {
  /** Schema-qualified table, e.g. `staging.coingecko_prices`. */
  table: string;
  columns: readonly string[];
  /** The stable key of a row (the table's primary key or a unique index). */
  key: readonly string[];
  /** `ignore`: a row whose key exists is skipped. `update`: it is overwritten when any column differs. */
  onConflict: 'ignore' | 'update';
  /**
   * A column set to the current time when `update` rewrites a row (the staging tables' `loaded_at`), so the
   * incremental rollups, which refresh what was loaded since their watermark, see changed rows too.
   */
  touch?: string;
  /**
   * Columns that differ on every load without the data differing (a snapshot's time): `update` writes them
   * with a changed row, and never rewrites a row for them alone.
   */
  volatile?: readonly string[];
}

export interface Queryable {
  /** One statement with `$1, $2…` parameters (the MySQL engine rewrites them). */
  query<T extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** A script of several statements, without parameters (migrations, transforms). */
  exec(sql: string): Promise<void>;
  /**
   * Loads rows idempotently: large batches stream through COPY into a temporary table and merge,
   * small ones are multi-row INSERTs. Returns how many rows were inserted or changed.
   */
  writeRows(target: WriteTarget, rows: readonly (readonly unknown[])[]): Promise<number>;
}

export type EngineKind = 'pglite' | 'postgres' | 'mysql';

export interface Schemas {
  etl: string;
  staging: string;
  warehouse: string;
}

/** The one storage interface over PGlite, PostgreSQL and MySQL/MariaDB. */
export interface Db extends Queryable {
  readonly kind: EngineKind;
  readonly dialect: 'postgres' | 'mysql';
  readonly schemas: Schemas;
  /** Runs `fn` in one transaction: everything it wrote commits together or not at all. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Streams the CSV of `COPY (<select>) TO STDOUT (FORMAT csv)`: the bulk read of the lake export. PostgreSQL
   * streams it in constant memory; PGlite hands over one Blob per statement (keep each select to one
   * partition). Absent on MySQL/MariaDB, which has no COPY.
   */
  copyOut?(select: string): AsyncIterable<Uint8Array>;
  close(): Promise<void>;
}
