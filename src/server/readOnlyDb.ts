import pg from 'pg';
import type { Config } from '../config.ts';
// The engine's type parsers (bigint as number when safe) apply to this pool too.
import '../db/postgres.ts';
import { engineIdentity, engineOf } from '../db/engines.ts';
import type { Db, Queryable, Row } from '../db/types.ts';
import { keepAliveOnError, orUnavailable } from '../db/unavailable.ts';
import { EtlError } from '../internal/errors.ts';
import { redactUrl } from '../internal/redact.ts';
import type { ClientWatch } from './clientWatch.ts';
import { assertOnlyReads, LOGIN_REFUSED, provisionReaderLogin } from './readerLogin.ts';
import { type ReaderLimits, readerQuery } from './readerQuery.ts';

/** The role migration 0006 creates: SELECT on the etl, staging and warehouse schemas, nothing else. */
export const READONLY_ROLE = 'crypto_etl_readonly';

export interface ReadOnlyDb {
  /** The database as the server reads it, outside any request (the data version, /metrics). */
  db: Db;
  /**
   * The database as one request reads it: on PostgreSQL its statements are cancelled when the request's client
   * goes away (elsewhere the same as `db`).
   */
  forClient(client: ClientWatch): Db;
  /** How reads are confined, for the start-up log. */
  mode: string;
}

/**
 * The database as the API and dashboard see it: every read runs as the read-only role, so a bug in a
 * route can never write. PostgreSQL: a pool of its own that logs in as API_DB_USER (SELECT only, see
 * readerLogin.ts), whose sessions start as the role, read-only, under `statement_timeout`; a read waits
 * API_POOL_WAIT_MS at most for a connection and is cancelled when its client goes away.
 * PGlite (one connection shared with the jobs): each read is a read-only transaction under `SET LOCAL ROLE`;
 * it has no logins, no statement timeout and no cancel (see docs/api.md).
 * MySQL: no role yet (the engine's migrations do not create one); reads use the main connection.
 */
export async function openReadOnlyDb(config: Config, db: Db): Promise<ReadOnlyDb> {
  const engine = engineOf(db);
  if (engine.readConfinement === 'set-role') {
    const reader = roleReader(db);
    return { db: reader, forClient: () => reader, mode: `${engine.label}, each read SET LOCAL ROLE ${READONLY_ROLE}` };
  }
  if (engine.readConfinement === 'none' || !config.databaseUrl) {
    // The app's own handle: the app closes it, not the server.
    const reader = { ...db, close: async () => {} };
    return { db: reader, forClient: () => reader, mode: `${engine.label}: no read-only role, see docs/api.md` };
  }
  const { api } = config;
  const url = new URL(config.databaseUrl);
  url.username = api.dbUser;
  url.password = api.dbPassword ?? '';
  const options = [
    url.searchParams.get('options'),
    `-c role=${READONLY_ROLE} -c default_transaction_read_only=on -c statement_timeout=${api.queryTimeoutMs}`,
  ];
  url.searchParams.set('options', options.filter(Boolean).join(' '));
  const open = () => postgresReader(url.toString(), db, api);
  try {
    const reader = await open().catch(async (error) => {
      if (!LOGIN_REFUSED.has((error as { code?: string }).code ?? '')) throw error;
      // The first start (or a new password): the DATABASE_URL user creates the login, then it is tried again.
      await provisionReaderLogin(db, { user: api.dbUser, password: api.dbPassword }, READONLY_ROLE);
      return open();
    });
    return { ...reader, mode: `PostgreSQL pool logged in as ${api.dbUser}, reading as role ${READONLY_ROLE}` };
  } catch (error) {
    if (error instanceof EtlError) throw error;
    throw new EtlError(
      'ETL_DB',
      `The server cannot read as ${api.dbUser} (role ${READONLY_ROLE}) at ${redactUrl(config.databaseUrl)}: ${(error as Error).message}`,
      {
        cause: error,
        details: {
          hint: `run "crypto-etl migrate" as the owner of the schemas (migration 0006 creates ${READONLY_ROLE}); serve creates its login ${api.dbUser} as the DATABASE_URL user, which needs CREATEROLE for it, or create it yourself: CREATE ROLE ${api.dbUser} LOGIN NOINHERIT PASSWORD '<API_DB_PASSWORD>' IN ROLE ${READONLY_ROLE}`,
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
async function postgresReader(url: string, db: Db, limits: ReaderLimits): Promise<Omit<ReadOnlyDb, 'mode'>> {
  // 10 connections: more only queue in PostgreSQL (bench/api: 8, 20 and 2 gave the same throughput on 2 cores).
  const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: limits.poolWaitMs });
  // A dropped connection must not end the process; the requests it fails answer 503 and are logged as such.
  pool.on('connect', (client) => keepAliveOnError(client, undefined, 'api'));
  pool.on('error', () => {});
  // Fail at start with a clear message (a missing role, no membership, a login that can do more than read)
  // rather than at the first request.
  try {
    const probe = await pool.connect();
    try {
      await assertOnlyReads(probe, READONLY_ROLE);
    } finally {
      probe.release();
    }
  } catch (error) {
    await pool.end();
    throw error;
  }
  const names = new Map<string, string>();
  const nameOf = (sql: string) => {
    const known = names.get(sql);
    if (known) return known;
    const name = `api_${names.size + 1}`;
    names.set(sql, name);
    return name;
  };
  const { kind, dialect, schemas } = engineIdentity(db);
  // A request's handle leaves the pool to the server, which closes it with `db`.
  const keepPool = async () => {};
  // One per request: its properties listed, so that every handle has the same shape and costs little to make.
  const reader = (client: ClientWatch | undefined): Db => ({
    kind,
    dialect,
    schemas,
    query: async <T extends Row = Row>(sql: string, params?: readonly unknown[]) => {
      const query = { name: nameOf(sql), text: sql, values: params as unknown[] };
      return (await orUnavailable(readerQuery(pool, query, limits, client))).rows as T[];
    },
    exec: async (sql: string) => {
      await orUnavailable(readerQuery(pool, { text: sql }, limits, client));
    },
    writeRows: readOnly,
    transaction: readOnly,
    close: client ? keepPool : () => pool.end(),
  });
  return { db: reader(undefined), forClient: reader };
}

/** Each read a read-only transaction under the role, on the connection the jobs share (PGlite's only one). */
function roleReader(db: Db): Db {
  const asReader = <T>(fn: (tx: Queryable) => Promise<T>) =>
    db.transaction(async (tx) => {
      await tx.exec(`SET TRANSACTION READ ONLY; SET LOCAL ROLE ${READONLY_ROLE}`);
      return fn(tx);
    });
  return {
    ...engineIdentity(db),
    query: <T extends Row = Row>(sql: string, params?: readonly unknown[]) =>
      asReader((tx) => tx.query<T>(sql, params)),
    exec: (sql) => asReader((tx) => tx.exec(sql)),
    writeRows: (target, rows) => asReader((tx) => tx.writeRows(target, rows)),
    transaction: asReader,
    // The connection belongs to the app, which closes it.
    close: async () => {},
  };
}
