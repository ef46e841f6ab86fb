import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSqlFiles } from '../db/migrate.ts';
import { renderSql } from '../db/sqlTemplate.ts';
import type { Db } from '../db/types.ts';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Creates or replaces the warehouse views and rollup tables. Every model file is idempotent, so this
 * runs after each migrate; MySQL reads its own folder (`models/mysql/`).
 */
export async function applyModels(db: Db): Promise<string[]> {
  const folder = db.dialect === 'mysql' ? join(here, 'models', 'mysql') : join(here, 'models');
  const files = readSqlFiles(folder);
  for (const file of files) await db.exec(renderSql(file.sql, db.schemas));
  return files.map((f) => f.name);
}
