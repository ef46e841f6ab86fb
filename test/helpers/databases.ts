import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { migrate } from '../../src/db/migrate.ts';
import { openPglite } from '../../src/db/pglite.ts';
import { openPostgres } from '../../src/db/postgres.ts';
import type { Db, Schemas } from '../../src/db/types.ts';
import { applyModels } from '../../src/transforms/applyModels.ts';

/** The server the PostgreSQL tests create their throwaway databases on. */
export const POSTGRES_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const MYSQL_ADMIN_URL = process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

export const DEFAULT_SCHEMAS: Schemas = { etl: 'etl', staging: 'staging', warehouse: 'warehouse' };

export type EngineName = 'pglite' | 'postgres' | 'mysql';
export const POSTGRES_ENGINES: EngineName[] = ['pglite', 'postgres'];

export interface TestDb {
  db: Db;
  /** `DATABASE_URL` for processes started by the test (undefined for PGlite). */
  url?: string;
  close(): Promise<void>;
}

const uid = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;

/**
 * PGlite's initdb costs ~3 s; a data-dir dump loads in ~0.5 s. The dump is kept in the OS temp folder,
 * written atomically, so parallel test files share it.
 */
async function freshPglite(): Promise<PGlite> {
  const version = JSON.parse(readFileSync('node_modules/@electric-sql/pglite/package.json', 'utf8')).version;
  const dump = join(tmpdir(), `crypto-etl-pglite-${version}.tar.gz`);
  if (existsSync(dump)) return PGlite.create({ loadDataDir: new Blob([readFileSync(dump)]) });
  const pglite = await PGlite.create();
  const blob = await pglite.dumpDataDir('gzip');
  const part = `${dump}.${uid()}`;
  writeFileSync(part, Buffer.from(await blob.arrayBuffer()));
  renameSync(part, dump);
  return pglite;
}

/** A new, empty database on the named engine: an in-memory PGlite, or a throwaway PostgreSQL database. */
export async function openTestDb(
  engine: EngineName,
  options: { migrate?: boolean; schemas?: Schemas } = {},
): Promise<TestDb> {
  const schemas = options.schemas ?? DEFAULT_SCHEMAS;
  let handle: TestDb;
  if (engine === 'pglite') {
    const instance = await freshPglite();
    const db = await openPglite({ instance, schemas });
    handle = { db, close: () => instance.close() };
  } else if (engine === 'mysql') {
    handle = await openMysqlTestDb();
  } else {
    const name = `ce_test_${uid()}`;
    const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
    try {
      await admin.connect();
    } catch (error) {
      throw new Error(
        `PostgreSQL is not reachable at ${POSTGRES_ADMIN_URL} (${(error as Error).message}): start it (bash .ci/services.sh) or set TEST_POSTGRES_URL`,
      );
    }
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = POSTGRES_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
    const db = await openPostgres({ url, schemas });
    handle = {
      db,
      url,
      async close() {
        await db.close();
        const drop = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
        await drop.connect();
        // NOTE: pool.end() resolves before its sockets close; a FORCE drop racing them makes an idle client
        // emit an unhandled 57P01. Give them a moment to leave first.
        const open = `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = '${name}'`;
        for (let i = 0; i < 40 && Number((await drop.query(open)).rows[0]?.n) > 0; i++) await sleep(50);
        await drop.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await drop.end();
      },
    };
  }
  if (options.migrate !== false) {
    await migrate(handle.db);
    await applyModels(handle.db);
  }
  return handle;
}

/**
 * Three throwaway MariaDB databases (schemas are databases there) with a unique prefix, dropped on close;
 * `db.schemas` names them, for `ETL_SCHEMA`/`STAGING_SCHEMA`/`WAREHOUSE_SCHEMA` of child processes.
 */
async function openMysqlTestDb(): Promise<TestDb> {
  const prefix = `ce_${uid()}`;
  const schemas = { etl: `${prefix}_etl`, staging: `${prefix}_staging`, warehouse: `${prefix}_warehouse` };
  const { openMysql } = await import('../../src/db/mysql.ts');
  let db: Db;
  try {
    db = await openMysql({ url: MYSQL_ADMIN_URL, schemas });
  } catch (error) {
    throw new Error(
      `MariaDB is not reachable at ${MYSQL_ADMIN_URL} (${(error as Error).message}): start it (bash .ci/services.sh) or set TEST_MYSQL_URL`,
    );
  }
  return {
    db,
    url: MYSQL_ADMIN_URL,
    async close() {
      for (const schema of Object.values(schemas)) await db.exec(`DROP DATABASE IF EXISTS ${schema}`);
      await db.close();
    },
  };
}

/** Counts the rows of a table. */
export async function count(db: Db, table: string, where = ''): Promise<number> {
  const [row] = await db.query<{ n: number | string }>(`SELECT count(*) AS n FROM ${table} ${where}`);
  return Number(row?.n);
}
