import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSqlFiles } from '../db/migrate.ts';
import { renderSql } from '../db/sqlTemplate.ts';
import type { Db } from '../db/types.ts';

const here = dirname(fileURLToPath(import.meta.url));

/** First line of a model whose SQL PostgreSQL and MySQL both accept as written: it is kept once, in `models/`. */
const PORTABLE = /^-- engines: postgres, mysql\b/;

/**
 * Creates or replaces the warehouse views and rollup tables. Every model file is idempotent, so this
 * runs after each migrate. MySQL reads its own folder (`models/mysql/`) plus the models marked portable.
 */
export async function applyModels(db: Db): Promise<string[]> {
  const models = readSqlFiles(join(here, 'models'));
  const files =
    db.dialect === 'mysql'
      ? [...readSqlFiles(join(here, 'models', 'mysql')), ...models.filter((f) => PORTABLE.test(f.sql))].sort((a, b) =>
          a.name.localeCompare(b.name),
        )
      : models;
  for (const file of files) await db.exec(renderSql(file.sql, db.schemas));
  return files.map((f) => f.name);
}
