import { EtlError } from '../internal/errors.ts';
import type { Db, Schemas } from './types.ts';

/** MySQL/MariaDB engine: lands with the MySQL warehouse issue. */
export async function openMysql(_options: { url: string; schemas: Schemas }): Promise<Db> {
  throw new EtlError('ETL_CONFIG_INVALID', 'DATABASE_URL=mysql://… is not supported yet: use postgres://… or unset it');
}
