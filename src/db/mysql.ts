import mysql, { type Pool, type PoolConnection, type ResultSetHeader, type SqlValue } from 'mysql2/promise';
import type { Logger } from '../internal/logger.ts';
import { MYSQL_SESSION_SQL, toMysql } from './dialect.ts';
import { lastPerKey } from './lastPerKey.ts';
import { poolTransaction } from './poolTransaction.ts';
import type { Db, Queryable, Row, Schemas, WriteTarget } from './types.ts';
import { keepAliveOnError, orUnavailable } from './unavailable.ts';

/** Rows per multi-row INSERT: ~1000 is where mysql2 peaks (STACK.md) and stays far below max_allowed_packet. */
const ROWS_PER_STATEMENT = 1000;

/** A value as MySQL stores it: objects and arrays as JSON text, bigints as exact text, Dates in UTC. */
function literal(value: unknown): string {
  if (typeof value === 'bigint') return mysql.escape(value.toString());
  if (value instanceof Date) return `'${isoForMysql(value)}'`;
  if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) {
    return mysql.escape(JSON.stringify(value));
  }
  return mysql.escape(value as SqlValue);
}

/** `2026-01-31 12:00:00.123` (UTC): DATETIME refuses the `T` and `Z` of ISO 8601 in strict mode. */
function isoForMysql(date: Date): string {
  return date.toISOString().replace('T', ' ').replace('Z', '');
}

type Conn = Pool | PoolConnection;

function session(conn: Conn): Queryable {
  const s: Queryable = {
    async query<T extends Row>(sql: string, params: readonly unknown[] = []) {
      const statement = toMysql(sql, params, literal);
      const [result] = await orUnavailable(conn.query(statement.sql));
      if (statement.returning) return [{ [statement.returning]: (result as ResultSetHeader).insertId }] as T[];
      if (statement.affected) return [{ [statement.affected]: (result as ResultSetHeader).affectedRows }] as T[];
      return Array.isArray(result) ? (result as T[]) : [];
    },
    async exec(sql) {
      await orUnavailable(conn.query(sql));
    },
    writeRows: (target, rows) => orUnavailable(writeRowsMysql(conn, target, rows)),
  };
  return s;
}

/**
 * Multi-row `INSERT … ON DUPLICATE KEY UPDATE`. `update` sets the non-key columns from the new row, and MySQL
 * counts a row as changed only when a value differs, so a rerun reports 0. `ignore` updates the key to itself:
 * a duplicate is skipped, yet every other failure (bad value, NULL in a NOT NULL column) still raises, which
 * `INSERT IGNORE` would turn into a warning.
 */
async function writeRowsMysql(conn: Conn, target: WriteTarget, rows: readonly (readonly unknown[])[]): Promise<number> {
  if (rows.length === 0) return 0;
  // A column may come double-quoted (an event argument named `from`): the name is what is inside.
  const q = (c: string) => `\`${c.replace(/^"(.*)"$/, '$1')}\``;
  const rest = target.columns.filter((c) => !target.key.includes(c));
  const firstKey = q(target.key[0] as string);
  const volatile = rest.filter((c) => target.volatile?.includes(c));
  const same =
    rest
      .filter((c) => !volatile.includes(c))
      .map((c) => `${q(c)} <=> VALUES(${q(c)})`)
      .join(' AND ') || 'TRUE';
  const update =
    target.onConflict === 'ignore' || rest.length === 0
      ? `${firstKey} = ${firstKey}`
      : [
          // First: MySQL assigns left to right, so the comparisons must see the old values.
          ...(target.touch ? [`${q(target.touch)} = IF(${same}, ${q(target.touch)}, CURRENT_TIMESTAMP(6))`] : []),
          ...volatile.map((c) => `${q(c)} = IF(${same}, ${q(c)}, VALUES(${q(c)}))`),
          ...rest.filter((c) => !volatile.includes(c)).map((c) => `${q(c)} = VALUES(${q(c)})`),
        ].join(', ');
  const head = `INSERT INTO ${target.table} (${target.columns.map(q).join(', ')}) VALUES `;
  const unique = target.onConflict === 'update' ? lastPerKey(target, rows, literal) : rows;
  let count = 0;
  for (let start = 0; start < unique.length; start += ROWS_PER_STATEMENT) {
    const slice = unique.slice(start, start + ROWS_PER_STATEMENT);
    const values = slice.map((row) => `(${row.map(literal).join(', ')})`).join(', ');
    const [result] = await conn.query<ResultSetHeader>(`${head}${values} ON DUPLICATE KEY UPDATE ${update}`);
    count += changedRows(result);
  }
  return count;
}

/**
 * Without CLIENT_FOUND_ROWS, affected rows are 1 per insert, 2 per changed duplicate and 0 per unchanged one,
 * and `info` ("Records: 3  Duplicates: 1  Warnings: 0") counts the changed duplicates: inserts + changes is
 * their difference.
 */
function changedRows(result: ResultSetHeader): number {
  const duplicates = Number(/Duplicates:\s*(\d+)/.exec(result.info ?? '')?.[1] ?? 0);
  return result.affectedRows - duplicates;
}

/**
 * MySQL/MariaDB through a mysql2 pool (`DATABASE_URL=mysql://…` or `mariadb://…`). Each schema is a database;
 * connections run in UTC with `ANSI_QUOTES`; application SQL is translated by `dialect.ts`.
 */
export async function openMysql(options: {
  url: string;
  schemas: Schemas;
  poolSize?: number;
  /** Where a dropped connection is reported. */
  log?: Logger;
}): Promise<Db> {
  const pool = mysql.createPool({
    uri: options.url.replace(/^mariadb:/, 'mysql:'),
    connectionLimit: options.poolSize ?? 10,
    multipleStatements: true,
    timezone: 'Z',
    supportBigNumbers: true,
    // BOOLEAN is tinyint(1): read back true/false, as PostgreSQL answers (CoinCap's socket, CoW's partial_fill).
    typeCast: (field, next) => {
      if (field.type !== 'TINY' || field.length !== 1) return next();
      const text = field.string();
      return text === null ? null : text !== '0';
    },
    // FOUND_ROWS would count unchanged duplicates as affected; IGNORE_SPACE makes `max` and friends reserved.
    flags: ['-FOUND_ROWS', '-IGNORE_SPACE'],
  });
  // The core connection queues this before any query a caller sends on it.
  pool.on('connection', (conn) => {
    // mysql2 listens only `once`: a second error on a dropped connection would end the process.
    keepAliveOnError(conn, options.log, 'main');
    (conn as unknown as { query(sql: string): void }).query(MYSQL_SESSION_SQL);
  });
  // Fail at start with a clear message rather than at the first query.
  const probe = await pool.getConnection();
  probe.release();
  const base = session(pool);
  const transaction = <T>(fn: (tx: Queryable) => Promise<T>): Promise<T> =>
    // START TRANSACTION and COMMIT too: a connection lost at either is ETL_DB_UNAVAILABLE.
    orUnavailable(
      poolTransaction(
        () => pool.getConnection(),
        'START TRANSACTION',
        (conn) => fn(session(conn)),
      ),
    );
  return {
    kind: 'mysql',
    dialect: 'mysql',
    schemas: options.schemas,
    query: base.query,
    exec: base.exec,
    writeRows: (target, rows) => transaction((tx) => tx.writeRows(target, rows)),
    transaction,
    close: () => pool.end(),
  };
}
