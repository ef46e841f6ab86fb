/**
 * Retention by partition beside today's DELETE, and how long migration 0012 holds its lock, on PostgreSQL
 * (TEST_POSTGRES_URL, default 127.0.0.1:5432/test). The issue's target: on a 10M-row partitioned table, dropping a
 * month takes < 1 s, with the DELETE of the same month printed beside it.
 *   npx tsx bench/retention.ts [rows=10000000] [rounds=2] [migrationRows=rows]
 *
 * 1. The same rows (1,000 coins, `rows` prices over 12 months) in `coingecko_prices` as 0012 partitions it and in
 *    a plain copy with the same indexes (the table as it was). Each round trims the oldest month: the DELETE the
 *    retention job ran until now on the plain table, then `applyPartitionRetention` on the partitioned one.
 * 2. A database migrated to 0011 whose `coingecko_prices` holds `migrationRows` rows, then `migrate`: 0012 copies
 *    them into partitions in one transaction, holding ACCESS EXCLUSIVE on the table from its start to its commit.
 */
import pg from 'pg';
import { migrate, migrationsFolder, readSqlFiles } from '../src/db/migrate.ts';
import { deleteRowsBefore, listPartitions, preparePartitions } from '../src/db/partitions.ts';
import { renderSql } from '../src/db/sqlTemplate.ts';
import type { Db, WriteTarget } from '../src/db/types.ts';
import { applyPartitionRetention } from '../src/transforms/retention.ts';
import { openTestDb } from '../test/helpers/databases.ts';

const rows = Number(process.argv[2] ?? 10_000_000);
const rounds = Number(process.argv[3] ?? 2);
const migrationRows = Number(process.argv[4] ?? rows);
const MONTHS = 12;
const START = Date.UTC(2025, 0, 1);
const monthStart = (i: number) => new Date(Date.UTC(2025, i, 1));
const seconds = (ms: number) => (ms / 1000).toFixed(3);

/** `n` prices of 1,000 coins, evenly over MONTHS months from START, into `table`. */
function seedSql(table: string, n: number): string {
  const points = Math.ceil(n / 1000);
  const stepS = Math.floor((monthStart(MONTHS).getTime() - START) / 1000 / points);
  return `INSERT INTO ${table} (coin_id, vs_currency, ts, price, market_cap, total_volume)
    SELECT 'coin' || (n % 1000), 'usd', TIMESTAMPTZ '2025-01-01T00:00:00Z' + (n / 1000) * INTERVAL '${stepS} seconds',
      (n % 100000) * 1.000123456789, n * 1000.5, n * 10.25
    FROM generate_series(0, ${n - 1}) AS n`;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await fn();
  return { ms: performance.now() - started, value };
}

async function rowCount(db: Db, table: string, where = ''): Promise<number> {
  const [r] = await db.query<{ n: number | string }>(`SELECT count(*) AS n FROM ${table} ${where}`);
  return Number(r?.n);
}

// 1. Retention.
{
  const t = await openTestDb('postgres');
  const { db } = t;
  const s = db.schemas.staging;
  const parent = `${s}.coingecko_prices`;
  const plain = `${s}.prices_unpartitioned`;
  try {
    const seeded = await timed(async () => {
      const months = Array.from({ length: MONTHS }, (_, i) => ['c', 'usd', monthStart(i), 1]);
      const target: WriteTarget = {
        table: parent,
        columns: ['coin_id', 'vs_currency', 'ts', 'price'],
        key: ['coin_id', 'vs_currency', 'ts'],
        onConflict: 'ignore',
      };
      await preparePartitions(db, [{ target, rows: months }]);
      await db.exec(seedSql(parent, rows));
      // The table as it was before 0012: one heap, the same columns and indexes.
      await db.exec(`CREATE TABLE ${plain} (LIKE ${parent} INCLUDING ALL)`);
      await db.exec(seedSql(plain, rows));
      for (const sql of [`VACUUM ANALYZE ${parent}`, `VACUUM ANALYZE ${plain}`, 'CHECKPOINT']) await db.exec(sql);
    });
    const parts = (await listPartitions(db, parent)).filter((p) => !p.isDefault);
    console.log(
      `seeded ${rows.toLocaleString()} prices twice (partitioned into ${parts.length} months, and plain) in ${seconds(seeded.ms)} s; DEFAULT holds ${await rowCount(db, `${s}_partitions.coingecko_prices_default`)}`,
    );
    await db.query('INSERT INTO etl.partition_retention (table_name, keep_days) VALUES ($1, $2)', [
      'coingecko_prices',
      30,
    ]);
    console.log('month     rows        DELETE (plain table)   drop partition (retention)   ratio');
    for (let round = 0; round < rounds; round++) {
      const end = monthStart(round + 1);
      const monthRows = await rowCount(db, plain, `WHERE ts < '${end.toISOString()}'`);
      const del = await timed(() => deleteRowsBefore(db, plain, 'ts', end));
      // 30 days kept, the clock 30 days after the month's end: exactly that month is past.
      const now = new Date(end.getTime() + 30 * 86_400_000);
      const drop = await timed(() => applyPartitionRetention(db, 400, { now }));
      const dropped = drop.value.dropped.filter((d) => d.table === parent);
      if (dropped.length !== 1 || drop.value.failed.length > 0) {
        throw new Error(`expected one month dropped, got ${JSON.stringify(drop.value)}`);
      }
      if (del.value !== monthRows) throw new Error(`DELETE removed ${del.value} rows of ${monthRows}`);
      console.log(
        `${monthStart(round).toISOString().slice(0, 7)}   ${monthRows.toLocaleString().padEnd(10)}  ${seconds(del.ms).padStart(8)} s              ${seconds(drop.ms).padStart(8)} s (${dropped[0]?.partition})   ${(del.ms / drop.ms).toFixed(del.ms < 10 * drop.ms ? 1 : 0)}x`,
      );
    }
    const left = [await rowCount(db, parent), await rowCount(db, plain)];
    if (left[0] !== left[1]) throw new Error(`the tables differ after retention: ${left.join(' vs ')}`);
    console.log(`both tables hold ${left[0]?.toLocaleString()} rows after ${rounds} round(s)`);
  } finally {
    await t.close();
  }
}

// 2. Migration 0012 on a populated table.
{
  const t = await openTestDb('postgres', { migrate: false });
  const { db } = t;
  const s = db.schemas.staging;
  try {
    await db.exec(`CREATE SCHEMA IF NOT EXISTS ${db.schemas.etl}; CREATE TABLE IF NOT EXISTS ${db.schemas.etl}.schema_migrations (
      name text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    for (const file of readSqlFiles(migrationsFolder(db)).filter((f) => f.name < '0012')) {
      await db.exec(renderSql(file.sql, db.schemas));
      await db.query(`INSERT INTO ${db.schemas.etl}.schema_migrations (name, checksum) VALUES ($1, 'bench')`, [
        file.name,
      ]);
    }
    await db.exec(seedSql(`${s}.coingecko_prices`, migrationRows));
    for (const sql of [`VACUUM ANALYZE ${s}.coingecko_prices`, 'CHECKPOINT']) await db.exec(sql);
    // A reader on its own connection, trying once a second with a 100 ms lock timeout, sees the lock.
    const probe = new pg.Client({ connectionString: t.url });
    await probe.connect();
    let blocked = 0;
    let reading = true;
    const reader = (async () => {
      await probe.query("SET lock_timeout = '100ms'");
      while (reading) {
        try {
          await probe.query(`SELECT 1 FROM ${s}.coingecko_prices LIMIT 1`);
        } catch {
          blocked++;
        }
        await new Promise((r) => setTimeout(r, 900));
      }
    })();
    const migrated = await timed(() => migrate(db));
    reading = false;
    await reader;
    await probe.end();
    const parts = (await listPartitions(db, `${s}.coingecko_prices`)).filter((p) => !p.isDefault);
    console.log(
      `0012 on ${migrationRows.toLocaleString()} prices: ${seconds(migrated.ms)} s in one transaction (${parts.length} monthly partitions made, applied ${migrated.value.applied.join(', ')}); a reader was refused the table ${blocked} time(s), once a second: ${(migrated.ms / (migrationRows / 1e6) / 1000).toFixed(1)} s locked per million rows`,
    );
  } finally {
    await t.close();
  }
}
