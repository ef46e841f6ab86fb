import type { Schemas } from './types.ts';

/** SQL files name schemas as `{etl}`, `{staging}`, `{warehouse}`, so STAGING_SCHEMA and friends apply everywhere. */
export function renderSql(sql: string, schemas: Schemas): string {
  return sql.replace(/\{(etl|staging|warehouse)\}/g, (_m, name: keyof Schemas) => schemas[name]);
}
