import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import type { Logger } from '../internal/logger.ts';
import { copyChunks } from './copyText.ts';
import { poolTransaction } from './poolTransaction.ts';
import { type PostgresSession, writeRowsPostgres } from './postgresWrite.ts';
import type { Db, Queryable, Row, Schemas } from './types.ts';
import { keepAliveOnError, orUnavailable } from './unavailable.ts';

// numeric(78,0) and bigint stay strings (exact); timestamps stay Date.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => {
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : v;
});

type Client = pg.Pool | pg.PoolClient;

function session(client: Client): PostgresSession & Queryable {
  const s: PostgresSession & Queryable = {
    async query<T extends Row>(sql: string, params?: readonly unknown[]) {
      return (await orUnavailable(client.query(sql, params as unknown[]))).rows as T[];
    },
    async execCount(sql, params) {
      return (await orUnavailable(client.query(sql, params as unknown[]))).rowCount ?? 0;
    },
    async exec(sql) {
      await orUnavailable(client.query(sql));
    },
    async copyIn(table, columns, rows) {
      const stream = (client as pg.PoolClient).query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`));
      await orUnavailable(pipeline(Readable.from(copyChunks(rows)), stream));
    },
    writeRows: (target, rows) => writeRowsPostgres(s, target, rows),
  };
  return s;
}

/** PostgreSQL through a pg pool (`DATABASE_URL=postgres://…`). */
export async function openPostgres(options: {
  url: string;
  schemas: Schemas;
  poolSize?: number;
  /** Where a dropped connection is reported. */
  log?: Logger;
}): Promise<Db> {
  const pool = new pg.Pool({ connectionString: options.url, max: options.poolSize ?? 10 });
  pool.on('connect', (client) => keepAliveOnError(client, options.log, 'main'));
  // pg-pool passes an idle connection's error on to the pool: the connection's own listener has reported it.
  pool.on('error', () => {});
  // Fail at start with a clear message rather than at the first query.
  const probe = await pool.connect();
  probe.release();
  const base = session(pool);
  const transaction = <T>(fn: (tx: Queryable) => Promise<T>): Promise<T> =>
    // BEGIN and COMMIT too: a connection lost at either is ETL_DB_UNAVAILABLE.
    orUnavailable(
      poolTransaction(
        () => pool.connect(),
        'BEGIN',
        (client) => fn(session(client)),
      ),
    );
  return {
    kind: 'postgres',
    dialect: 'postgres',
    schemas: options.schemas,
    query: base.query,
    exec: base.exec,
    writeRows: (target, rows) => transaction((tx) => tx.writeRows(target, rows)),
    transaction,
    async *copyOut(select) {
      const client = await pool.connect();
      let done = false;
      try {
        yield* client.query(copyTo(`COPY (${select}) TO STDOUT (FORMAT csv)`));
        done = true;
      } finally {
        // A reader that stopped early leaves the COPY running on this connection: destroy it, not reuse it.
        client.release(done ? undefined : true);
      }
    },
    close: () => pool.end(),
  };
}
