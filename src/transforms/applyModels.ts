import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { engineOf } from '../db/engines.ts';
import { readSqlFiles } from '../db/migrate.ts';
import { renderSql } from '../db/sqlTemplate.ts';
import type { Db } from '../db/types.ts';

const here = dirname(fileURLToPath(import.meta.url));

/** First line of a model whose SQL PostgreSQL and MySQL both accept as written: it is kept once, in `models/`. */
const PORTABLE = /^-- engines: postgres, mysql\b/;

/**
 * Creates or replaces the warehouse views and rollup tables. Every model file is idempotent, so this
 * runs after each migrate. An engine with a folder of its own (MySQL: `models/mysql/`) reads it plus the models
 * marked portable.
 */
export async function applyModels(db: Db): Promise<string[]> {
  const models = readSqlFiles(join(here, 'models'));
  let files = models;
  const own = engineOf(db).sqlFolder;
  if (own) {
    // By file name, in order; a file of the engine's own of the same name as a portable one replaces it.
    const byName = new Map(models.filter((f) => PORTABLE.test(f.sql)).map((f) => [f.name, f]));
    for (const file of readSqlFiles(join(here, 'models', own))) byName.set(file.name, file);
    files = [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  }
  for (const file of files) await db.exec(renderSql(file.sql, db.schemas));
  return files.map((f) => f.name);
}
