import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EtlError } from '../internal/errors.ts';
import type { Logger } from '../internal/logger.ts';
import { renderSql } from './sqlTemplate.ts';
import type { Db, Queryable } from './types.ts';

const here = dirname(fileURLToPath(import.meta.url));

export interface SqlFile {
  name: string;
  sql: string;
}

/** The `NNNN_purpose.sql` files of a folder, in order. */
export function readSqlFiles(folder: string): SqlFile[] {
  return readdirSync(folder)
    .filter((f) => /^\d{4}_[\w-]+\.sql$/.test(f))
    .sort()
    .map((name) => ({ name, sql: readFileSync(join(folder, name), 'utf8') }));
}

export function migrationsFolder(db: Db): string {
  return db.dialect === 'mysql' ? join(here, 'migrations', 'mysql') : join(here, 'migrations');
}

const MIGRATION_LOCK_WAIT_S = 300;

/**
 * The lock that makes concurrent migrations take turns, on the transaction's own connection. PostgreSQL: an
 * advisory lock that ends with the transaction. MySQL: a named lock of the session (its DDL commits on its
 * own, so no transaction could hold one), released by the function returned.
 */
async function takeMigrationLock(tx: Queryable, db: Db): Promise<() => Promise<void>> {
  if (db.dialect === 'postgres') {
    await tx.query('SELECT pg_advisory_xact_lock(7401)');
    return async () => {};
  }
  // Named after the deployment's etl schema: others on the same server migrate independently.
  const name = `crypto_etl_migrate:${db.schemas.etl}`.slice(0, 64);
  const [got] = await tx.query<{ ok: number | null }>('SELECT GET_LOCK($1, $2) AS ok', [name, MIGRATION_LOCK_WAIT_S]);
  if (Number(got?.ok) !== 1) {
    throw new EtlError(
      'ETL_DB',
      `Another process has been migrating this database for over ${MIGRATION_LOCK_WAIT_S} s: check for a stuck crypto-etl process, then try again`,
    );
  }
  return async () => {
    await tx.query('SELECT RELEASE_LOCK($1)', [name]);
  };
}

export interface MigrateResult {
  applied: string[];
}

/**
 * Applies the numbered migrations not yet recorded in `etl.schema_migrations`. PostgreSQL and PGlite: under the
 * migration lock, in one transaction, the record table is made if missing and every pending migration applied (DDL
 * is transactional there: a failed upgrade leaves the schema as it was), each file sent with its record as one
 * statement batch, so a new database is migrated in a handful of round trips. MySQL/MariaDB, whose DDL commits on
 * its own: each file in its own transaction.
 * With `reset` (the `DEV=true` setting) every schema is dropped first, as the seeds did at start.
 */
export async function migrate(db: Db, options: { reset?: boolean; log?: Logger } = {}): Promise<MigrateResult> {
  const { etl, staging, warehouse } = db.schemas;
  const postgres = db.dialect === 'postgres';
  if (options.reset) {
    options.log?.warn({ schemas: db.schemas }, 'DEV=true: dropping and recreating every schema');
    for (const schema of [warehouse, staging, etl]) {
      await db.exec(postgres ? `DROP SCHEMA IF EXISTS ${schema} CASCADE` : `DROP DATABASE IF EXISTS ${schema}`);
    }
  }
  const files = readSqlFiles(migrationsFolder(db));
  const appliedNames = async (q: Queryable) =>
    new Set((await q.query<{ name: string }>(`SELECT name FROM ${etl}.schema_migrations`)).map((r) => r.name));
  const record = (file: SqlFile) => ({
    name: file.name,
    checksum: createHash('sha256').update(file.sql).digest('hex'),
  });
  const applied: string[] = [];
  if (postgres) {
    await db.transaction(async (tx) => {
      // Two processes migrating at once (scheduler and worker starting together) take turns, from the record
      // table's creation on (CREATE … IF NOT EXISTS is no guard against a concurrent creator); the second finds
      // what the first applied.
      await takeMigrationLock(tx, db);
      await tx.exec(`CREATE SCHEMA IF NOT EXISTS ${etl}; CREATE TABLE IF NOT EXISTS ${etl}.schema_migrations (
        name text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
      const done = await appliedNames(tx);
      for (const file of files.filter((f) => !done.has(f.name))) {
        const { name, checksum } = record(file);
        // Names are NNNN_word.sql and checksums hex (readSqlFiles' pattern): safe as literals. The line break ends
        // a comment the file may close with.
        try {
          await tx.exec(
            `${renderSql(file.sql, db.schemas)}\n;\nINSERT INTO ${etl}.schema_migrations (name, checksum) VALUES ('${name}', '${checksum}')`,
          );
        } catch (error) {
          options.log?.error({ migration: name }, 'migration failed: none of the pending migrations was applied');
          throw error;
        }
        applied.push(name);
      }
    });
    for (const name of applied) options.log?.info({ migration: name }, 'migration applied');
    return { applied };
  }
  await db.exec(`CREATE DATABASE IF NOT EXISTS ${etl}; CREATE TABLE IF NOT EXISTS ${etl}.schema_migrations (
    name varchar(200) PRIMARY KEY, checksum varchar(64) NOT NULL, applied_at timestamp(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6))`);
  const done = await appliedNames(db);
  for (const file of files.filter((f) => !done.has(f.name))) {
    const { name, checksum } = record(file);
    await db.transaction(async (tx) => {
      const release = await takeMigrationLock(tx, db);
      try {
        const again = await tx.query(`SELECT 1 FROM ${etl}.schema_migrations WHERE name = $1`, [name]);
        if (again.length > 0) return;
        await tx.exec(renderSql(file.sql, db.schemas));
        await tx.query(`INSERT INTO ${etl}.schema_migrations (name, checksum) VALUES ($1, $2)`, [name, checksum]);
        applied.push(name);
      } finally {
        await release();
      }
    });
    if (applied.at(-1) === name) options.log?.info({ migration: name }, 'migration applied');
  }
  return { applied };
}
