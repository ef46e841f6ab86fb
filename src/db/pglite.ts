import { mkdirSync } from 'node:fs';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { copyChunks } from './copyText.ts';
import { type PostgresSession, writeRowsPostgres } from './postgresWrite.ts';
import type { Db, Queryable, Row, Schemas } from './types.ts';

type PgliteConn = PGlite | Transaction;

function session(conn: PgliteConn): PostgresSession & Queryable {
  const s: PostgresSession & Queryable = {
    async query<T extends Row>(sql: string, params?: readonly unknown[]) {
      return (await conn.query<T>(sql, params as unknown[])).rows;
    },
    async execCount(sql, params) {
      return (await conn.query(sql, params as unknown[])).affectedRows ?? 0;
    },
    async exec(sql) {
      await conn.exec(sql);
    },
    async copyIn(table, columns, rows) {
      // PGlite reads COPY input from a Blob mounted at /dev/blob.
      const blob = new Blob([...copyChunks(rows)]);
      await conn.query(`COPY ${table} (${columns.join(', ')}) FROM '/dev/blob'`, [], { blob });
    },
    writeRows: (target, rows) => writeRowsPostgres(s, target, rows),
  };
  return s;
}

/**
 * The embedded default: PostgreSQL compiled to WebAssembly, persisted under `dataDir`
 * (or in memory when `dataDir` is undefined, or an instance the caller made, as tests do).
 */
export async function openPglite(options: { dataDir?: string; instance?: PGlite; schemas: Schemas }): Promise<Db> {
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const pg = options.instance ?? (await PGlite.create(options.dataDir));
  const base = session(pg);
  return {
    kind: 'pglite',
    dialect: 'postgres',
    schemas: options.schemas,
    query: base.query,
    exec: base.exec,
    // A single connection: a write outside a transaction opens one so the COPY temp table can live in it.
    writeRows: (target, rows) => pg.transaction((tx) => session(tx).writeRows(target, rows)),
    transaction: (fn) => pg.transaction((tx) => fn(session(tx))),
    async *copyOut(select) {
      // PGlite writes COPY output to a Blob at /dev/blob: one statement's output is held in memory whole.
      const { blob } = await pg.query(`COPY (${select}) TO '/dev/blob' (FORMAT csv)`);
      if (blob) yield new Uint8Array(await blob.arrayBuffer());
    },
    close: async () => {
      if (!options.instance) await pg.close();
    },
  };
}
