import pg from 'pg';
import type { Config } from '../config.ts';
// The engine's type parsers (bigint as number when safe) apply to this pool too.
import '../db/postgres.ts';
import type { Db, Queryable, Row } from '../db/types.ts';
import { keepAliveOnError, orUnavailable } from '../db/unavailable.ts';
import { EtlError } from '../internal/errors.ts';
import { redactUrl } from '../internal/redact.ts';

/** The role migration 0006 creates: SELECT on the etl, staging and warehouse schemas, nothing else. */
export const READONLY_ROLE = 'crypto_etl_readonly';

export interface ReadOnlyDb {
  /** The database as the server reads it. */
  db: Db;
  /** How reads are confined, for the start-up log. */
  mode: string;
}

/**
 * The database as the API and dashboard see it: every read runs as the read-only role, so a bug in a
 * route can never write. PostgreSQL: a pool of its own whose sessions start as the role, read-only.
 * PGlite (one connection shared with the jobs): each read is a read-only transaction under `SET LOCAL ROLE`.
 * MySQL: no role yet (the engine's migrations do not create one); reads use the main connection.
 */
export async function openReadOnlyDb(config: Config, db: Db): Promise<ReadOnlyDb> {
  if (db.kind === 'pglite') return { db: pgliteReader(db), mode: `PGlite, each read SET LOCAL ROLE ${READONLY_ROLE}` };
  if (db.kind !== 'postgres' || !config.databaseUrl) {
    // The app's own handle: the app closes it, not the server.
    return { db: { ...db, close: async () => {} }, mode: `${db.kind}: no read-only role, see docs/api.md` };
  }
  const url = new URL(config.databaseUrl);
  const options = [url.searchParams.get('options'), `-c role=${READONLY_ROLE} -c default_transaction_read_only=on`];
  url.searchParams.set('options', options.filter(Boolean).join(' '));
  try {
    return { db: await postgresReader(url.toString(), db), mode: `PostgreSQL pool as role ${READONLY_ROLE}` };
  } catch (error) {
    throw new EtlError(
      'ETL_DB',
      `The server cannot read as role ${READONLY_ROLE} at ${redactUrl(config.databaseUrl)}: ${(error as Error).message}`,
      {
        cause: error,
        details: {
          hint: `run "crypto-etl migrate" as the owner of the schemas (migration 0006 creates the role), or GRANT ${READONLY_ROLE} TO the DATABASE_URL user`,
        },
      },
    );
  }
}

const readOnly = () =>
  Promise.reject(new EtlError('ETL_DB', 'The API database handle is read-only: writes go through the jobs'));

/**
 * A pool of its own whose every query is a named prepared statement: the API sends the same few SQL texts
 * over and over, and planning them once per connection costs more than running them (0.6 ms vs 0.15 ms for
 * a page of prices over 10M rows).
 */
async function postgresReader(url: string, db: Db): Promise<Db> {
  // 10 connections: more only queue in PostgreSQL (bench/api: 8, 20 and 2 gave the same throughput on 2 cores).
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  // A dropped connection must not end the process; the requests it fails answer 503 and are logged as such.
  pool.on('connect', (client) => keepAliveOnError(client, undefined, 'api'));
  pool.on('error', () => {});
  // Fail at start with a clear message (a missing role, no membership) rather than at the first request.
  (await pool.connect()).release();
  const names = new Map<string, string>();
  const nameOf = (sql: string) => {
    const known = names.get(sql);
    if (known) return known;
    const name = `api_${names.size + 1}`;
    names.set(sql, name);
    return name;
  };
  return {
    kind: db.kind,
    dialect: db.dialect,
    schemas: db.schemas,
    query: async <T extends Row = Row>(sql: string, params?: readonly unknown[]) =>
      (await orUnavailable(pool.query({ name: nameOf(sql), text: sql, values: params as unknown[] }))).rows as T[],
    exec: async (sql) => {
      await orUnavailable(pool.query(sql));
    },
    writeRows: readOnly,
    transaction: readOnly,
    close: () => pool.end(),
  };
}

function pgliteReader(db: Db): Db {
  const asReader = <T>(fn: (tx: Queryable) => Promise<T>) =>
    db.transaction(async (tx) => {
      await tx.exec(`SET TRANSACTION READ ONLY; SET LOCAL ROLE ${READONLY_ROLE}`);
      return fn(tx);
    });
  return {
    kind: db.kind,
    dialect: db.dialect,
    schemas: db.schemas,
    query: <T extends Row = Row>(sql: string, params?: readonly unknown[]) =>
      asReader((tx) => tx.query<T>(sql, params)),
    exec: (sql) => asReader((tx) => tx.exec(sql)),
    writeRows: (target, rows) => asReader((tx) => tx.writeRows(target, rows)),
    transaction: asReader,
    // The connection belongs to the app, which closes it.
    close: async () => {},
  };
}
