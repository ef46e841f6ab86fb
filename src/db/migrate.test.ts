import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { capturingLogger } from '../../test/helpers/capturingLogger.ts';
import { openTestDb, POSTGRES_ENGINES } from '../../test/helpers/databases.ts';
import { migrate, migrationsFolder, readSqlFiles } from './migrate.ts';
import { openPostgres } from './postgres.ts';
import { renderSql } from './sqlTemplate.ts';
import type { Db } from './types.ts';

const recorded = (db: Db) =>
  db.query<{ name: string; checksum: string }>('SELECT name, checksum FROM etl.schema_migrations ORDER BY name');

describe.each(POSTGRES_ENGINES)('migrate on %s', (engine) => {
  it('behavior: a new database gets every migration, each recorded with its checksum; a second migrate applies none', async () => {
    const t = await openTestDb(engine, { migrate: false });
    try {
      const files = readSqlFiles(migrationsFolder(t.db));
      const { log, lines } = capturingLogger();
      expect((await migrate(t.db, { log })).applied).toEqual(files.map((f) => f.name));
      expect(await recorded(t.db)).toEqual(
        files.map((f) => ({ name: f.name, checksum: createHash('sha256').update(f.sql).digest('hex') })),
      );
      expect(lines.filter((l) => l.msg === 'migration applied').map((l) => l.migration)).toEqual(
        files.map((f) => f.name),
      );
      // What the last migration made is there (0015 fills market_latest, 0012 made the partition schema).
      const [schema] = await t.db.query<{ n: number | string }>(
        "SELECT count(*) AS n FROM information_schema.schemata WHERE schema_name = 'staging_partitions'",
      );
      expect(Number(schema?.n)).toBe(1);
      expect((await migrate(t.db)).applied).toEqual([]);
    } finally {
      await t.close();
    }
  });

  it('error: a pending migration that fails leaves every pending one unapplied, its statements rolled back, and is named', async () => {
    const t = await openTestDb(engine, { migrate: false });
    try {
      const { db } = t;
      const files = readSqlFiles(migrationsFolder(db));
      await db.exec(`CREATE SCHEMA IF NOT EXISTS etl; CREATE TABLE IF NOT EXISTS etl.schema_migrations (
        name text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
      for (const file of files.filter((f) => f.name < '0011')) {
        await db.exec(renderSql(file.sql, db.schemas));
        await db.query('INSERT INTO etl.schema_migrations (name, checksum) VALUES ($1, $2)', [file.name, 'x']);
      }
      // 0012 creates etl.chain_partitions (no IF NOT EXISTS): a table of that name makes it fail, after 0011.
      await db.exec('CREATE TABLE etl.chain_partitions (x int)');
      const { log, lines } = capturingLogger();
      await expect(migrate(db, { log })).rejects.toThrow(/chain_partitions/);
      expect((await recorded(db)).map((r) => r.name)).toEqual(files.filter((f) => f.name < '0011').map((f) => f.name));
      // 0011's column and 0012's first statement (its schema) are not there either.
      const [column] = await db.query<{ n: number | string }>(
        "SELECT count(*) AS n FROM information_schema.columns WHERE table_schema = 'etl' AND table_name = 'runs' AND column_name = 'heartbeat_at'",
      );
      expect(Number(column?.n)).toBe(0);
      const [schema] = await db.query<{ n: number | string }>(
        "SELECT count(*) AS n FROM information_schema.schemata WHERE schema_name = 'staging_partitions'",
      );
      expect(Number(schema?.n)).toBe(0);
      expect(lines.find((l) => l.msg?.toString().startsWith('migration failed'))?.migration).toBe(
        '0012_partitions.sql',
      );
      expect(lines.filter((l) => l.msg === 'migration applied')).toEqual([]);
      // Fixed, the next migrate applies them all.
      await db.exec('DROP TABLE etl.chain_partitions');
      expect((await migrate(db)).applied).toEqual(files.filter((f) => f.name >= '0011').map((f) => f.name));
    } finally {
      await t.close();
    }
  });
});

describe('migrate on postgres, two processes at once', () => {
  it('behavior: two connections migrating a new database take turns: each migration applies once', async () => {
    const t = await openTestDb('postgres', { migrate: false });
    const other = await openPostgres({ url: t.url as string, schemas: t.db.schemas });
    try {
      // A scheduler and a worker starting together, both finding every migration pending.
      const [a, b] = await Promise.all([migrate(t.db), migrate(other)]);
      const all = readSqlFiles(migrationsFolder(t.db)).map((f) => f.name);
      expect([...a.applied, ...b.applied].sort()).toEqual(all);
      expect(a.applied.filter((name) => b.applied.includes(name))).toEqual([]);
      expect((await recorded(t.db)).map((r) => r.name)).toEqual(all);
    } finally {
      await other.close();
      await t.close();
    }
  });
});
