import type { Db, Queryable } from './types.ts';

/**
 * The column types of tables created at run time (a Dune query's result, a contract's decoded events), named as
 * PostgreSQL names them, and what each engine stores them in. `uint256`/`int256` are PostgreSQL's `numeric(78,0)`;
 * on MySQL/MariaDB, whose DECIMAL stops at 65 digits, they are canonical decimal text (docs/mysql.md, `uint256.ts`).
 */
export type ColumnType =
  | 'text'
  | 'boolean'
  | 'integer'
  | 'bigint'
  | 'numeric'
  | 'uint256'
  | 'int256'
  | 'double precision'
  | 'date'
  | 'timestamptz'
  | 'jsonb'
  | 'uuid';

/** Canonical decimal text of an unsigned integer: no sign, no leading zero. Sorted by (length, text). */
export const UINT_TEXT_PATTERN = '^(0|[1-9][0-9]*)$';
/** Canonical decimal text of a signed integer. */
export const INT_TEXT_PATTERN = '^(0|-?[1-9][0-9]*)$';

const POSTGRES: Record<ColumnType, string> = {
  text: 'text',
  boolean: 'boolean',
  integer: 'integer',
  bigint: 'bigint',
  numeric: 'numeric',
  uint256: 'numeric(78,0)',
  int256: 'numeric(78,0)',
  'double precision': 'double precision',
  date: 'date',
  timestamptz: 'timestamptz',
  jsonb: 'jsonb',
  uuid: 'uuid',
};

/**
 * MySQL/MariaDB: `numeric` (a Dune decimal of any size) is the decimal text Dune sent, exact; `uint256`/`int256` are
 * canonical decimal text held to it by a CHECK (so a 2^256−1 comes back digit for digit, and text order by length
 * then characters is numeric order); timestamps are UTC `datetime(6)` (sessions run in UTC).
 */
const MYSQL: Record<ColumnType, string> = {
  text: 'longtext',
  boolean: 'boolean',
  integer: 'int',
  bigint: 'bigint',
  numeric: 'varchar(100) CHARACTER SET ascii COLLATE ascii_bin',
  uint256: 'varchar(78) CHARACTER SET ascii COLLATE ascii_bin',
  int256: 'varchar(79) CHARACTER SET ascii COLLATE ascii_bin',
  'double precision': 'double',
  date: 'date',
  timestamptz: 'datetime(6)',
  jsonb: 'json',
  uuid: 'char(36) CHARACTER SET ascii COLLATE ascii_bin',
};

const quote = (name: string) => `"${name}"`;

/**
 * The definition of a column of `type` on the engine (without NOT NULL): PostgreSQL's type; on MySQL the type, the
 * CHECK that keeps integers canonical, and the type's name as the column's comment, which `readColumnTypes` reads
 * back (MySQL's catalog cannot tell `numeric` text from `text`).
 */
export function columnDefinition(dialect: Db['dialect'], name: string, type: ColumnType): string {
  if (dialect === 'postgres') return `${name} ${POSTGRES[type]}`;
  const pattern = type === 'uint256' ? UINT_TEXT_PATTERN : type === 'int256' ? INT_TEXT_PATTERN : undefined;
  const check = pattern ? ` CHECK (${quote(name)} REGEXP '${pattern}')` : '';
  return `${quote(name)} ${MYSQL[type]} COMMENT '${type}'${check}`;
}

/** PostgreSQL's catalog names (`information_schema.columns.data_type`) of the types above. */
const POSTGRES_CATALOG: Record<string, ColumnType> = {
  text: 'text',
  boolean: 'boolean',
  integer: 'integer',
  bigint: 'bigint',
  numeric: 'numeric',
  'double precision': 'double precision',
  date: 'date',
  'timestamp with time zone': 'timestamptz',
  jsonb: 'jsonb',
  uuid: 'uuid',
};
/** MySQL's catalog names, for columns without a type comment (created by hand); text when unsure. */
const MYSQL_CATALOG: Record<string, ColumnType> = {
  tinyint: 'boolean',
  int: 'integer',
  bigint: 'bigint',
  double: 'double precision',
  date: 'date',
  datetime: 'timestamptz',
  json: 'jsonb',
};
const TYPES = new Set<string>(Object.keys(POSTGRES));

/** The columns of `schema.table` with their types (empty when it does not exist); an unknown type reads as text. */
export async function readColumnTypes(
  tx: Queryable,
  db: Pick<Db, 'dialect'>,
  schema: string,
  table: string,
): Promise<Map<string, ColumnType>> {
  const rows = await tx.query<{ name: string; data_type: string; comment: string | null }>(
    db.dialect === 'postgres'
      ? `SELECT column_name AS name, data_type, NULL AS comment FROM information_schema.columns
         WHERE table_schema = $1 AND table_name = $2`
      : `SELECT column_name AS name, data_type, column_comment AS comment FROM information_schema.columns
         WHERE table_schema = $1 AND table_name = $2`,
    [schema, table],
  );
  const catalog = db.dialect === 'postgres' ? POSTGRES_CATALOG : MYSQL_CATALOG;
  return new Map(
    rows.map((r) => {
      const typed = r.comment && TYPES.has(r.comment) ? (r.comment as ColumnType) : undefined;
      return [r.name, typed ?? catalog[String(r.data_type).toLowerCase()] ?? 'text'];
    }),
  );
}

/** `CREATE TABLE` of a run-time table: its leading columns (e.g. a key), `columns`, then `loaded_at`. */
export function createTableSql(
  db: Pick<Db, 'dialect'>,
  qualified: string,
  head: readonly string[],
  columns: readonly { name: string; type: ColumnType }[],
): string {
  const loadedAt =
    db.dialect === 'postgres'
      ? 'loaded_at timestamptz NOT NULL DEFAULT now()'
      : 'loaded_at datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)';
  const defs = [...head, ...columns.map((c) => columnDefinition(db.dialect, c.name, c.type)), loadedAt];
  return `CREATE TABLE ${qualified} (${defs.join(', ')})`;
}

/** Adds a column (NULL in the rows there). */
export function addColumnSql(db: Pick<Db, 'dialect'>, qualified: string, name: string, type: ColumnType): string {
  return `ALTER TABLE ${qualified} ADD COLUMN ${columnDefinition(db.dialect, name, type)}`;
}

/** Changes a column's type to a wider one, converting the values there (see `widen` of the Dune source). */
export function changeColumnTypeSql(
  db: Pick<Db, 'dialect'>,
  qualified: string,
  name: string,
  type: ColumnType,
): string {
  if (db.dialect === 'postgres') {
    return `ALTER TABLE ${qualified} ALTER COLUMN ${name} TYPE ${POSTGRES[type]} USING ${name}::${POSTGRES[type]}`;
  }
  return `ALTER TABLE ${qualified} MODIFY COLUMN ${columnDefinition(db.dialect, name, type)}`;
}

/** The row key of a run-time table: a UUID. */
export function uuidKeySql(db: Pick<Db, 'dialect'>, name: string): string {
  if (db.dialect === 'postgres') return `${name} ${POSTGRES.uuid} PRIMARY KEY`;
  return `${quote(name)} ${MYSQL.uuid} PRIMARY KEY COMMENT 'uuid'`;
}

/**
 * Runs `fn` in one transaction holding a lock named `name`, so two processes changing one table's shape take turns.
 * PostgreSQL: an advisory lock that ends with the transaction. MySQL: a named lock of the session, released after
 * (DDL commits on its own there: what `fn` changed in the table's shape is not undone by a later failure).
 */
export async function withTableLock<T>(db: Db, name: string, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    if (db.dialect === 'postgres') {
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [name]);
      return fn(tx);
    }
    const lock = `crypto_etl_table:${name}`.slice(0, 64);
    const [got] = await tx.query<{ ok: number | null }>('SELECT GET_LOCK($1, 300) AS ok', [lock]);
    if (Number(got?.ok) !== 1) throw new Error(`Another process has held the lock on ${name} for over 300 s`);
    try {
      return await fn(tx);
    } finally {
      await tx.query('SELECT RELEASE_LOCK($1)', [lock]);
    }
  });
}
