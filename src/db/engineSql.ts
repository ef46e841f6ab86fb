import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { engineOf } from './engines.ts';
import { readSqlFiles, type SqlFile } from './migrate.ts';
import type { Db } from './types.ts';

/** First line of a model whose SQL PostgreSQL and MySQL both accept as written: it is kept once, in `models/`. */
const PORTABLE = /^-- engines: postgres, mysql\b/;

/**
 * The numbered SQL files of `folder` that the engine runs, in order: all of them where PostgreSQL's SQL is read as
 * it is; for an engine with a folder of its own (MySQL: `<folder>/mysql/`), that folder's files plus the ones marked
 * portable, an own file replacing a portable one of the same name.
 */
export function engineSqlFiles(db: Pick<Db, 'kind'>, folder: string): SqlFile[] {
  const files = readSqlFiles(folder);
  const own = engineOf(db).sqlFolder;
  if (!own) return files;
  const byName = new Map(files.filter((f) => PORTABLE.test(f.sql)).map((f) => [f.name, f]));
  for (const file of readSqlFiles(join(folder, own))) byName.set(file.name, file);
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** The path of `<name>.sql` in the engine's folder under `folder`, or undefined when the engine has no such file. */
export function engineSqlFile(db: Pick<Db, 'kind'>, folder: string, name: string): string | undefined {
  const file = join(folder, engineOf(db).sqlFolder ?? '', `${name}.sql`);
  return existsSync(file) ? file : undefined;
}

/**
 * When the oldest transaction of another session began; undefined where no other session can hold one open
 * (PGlite's single connection) or the engine does not say (MySQL).
 */
export async function oldestOpenTransaction(db: Db): Promise<Date | undefined> {
  const sql = engineOf(db).oldestOpenTransactionSql;
  if (!sql) return undefined;
  const [open] = await db.query<{ started: Date | null }>(sql);
  return open?.started ? new Date(open.started) : undefined;
}
