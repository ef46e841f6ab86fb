import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { engineSqlFiles } from '../db/engineSql.ts';
import { renderSql } from '../db/sqlTemplate.ts';
import type { Db } from '../db/types.ts';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Creates or replaces the warehouse views (their tables are migrations). Every model file is idempotent, so this
 * runs after each migrate; which files an engine reads is `engineSqlFiles`' to say.
 */
export async function applyModels(db: Db): Promise<string[]> {
  const files = engineSqlFiles(db, join(here, 'models'));
  for (const file of files) await db.exec(renderSql(file.sql, db.schemas));
  return files.map((f) => f.name);
}
