import { join } from 'node:path';
import type { Config } from '../config.ts';
import { EtlError } from '../internal/errors.ts';
import type { Logger } from '../internal/logger.ts';
import { redactUrl } from '../internal/redact.ts';
import { engineOfUrl } from './engines.ts';
import type { Db } from './types.ts';

/**
 * Opens the engine the config names: no `DATABASE_URL` → PGlite under `DATA_DIR/pglite`;
 * `postgres://…` → PostgreSQL; `mysql://…` → MySQL/MariaDB. `log` hears of connections the server drops.
 */
export async function createDatabase(
  config: Pick<Config, 'databaseUrl' | 'dataDir' | 'schemas'>,
  log?: Logger,
): Promise<Db> {
  const url = config.databaseUrl;
  try {
    if (!url) {
      const { openPglite } = await import('./pglite.ts');
      return await openPglite({ dataDir: join(config.dataDir, 'pglite'), schemas: config.schemas });
    }
    if (engineOfUrl(url).id === 'postgres') {
      const { openPostgres } = await import('./postgres.ts');
      return await openPostgres({ url, schemas: config.schemas, log });
    }
    const { openMysql } = await import('./mysql.ts');
    return await openMysql({ url, schemas: config.schemas, log });
  } catch (error) {
    const where = url ? redactUrl(url) : `PGlite in ${config.dataDir}`;
    throw new EtlError('ETL_DB', `Cannot open the database at ${where}: ${(error as Error).message}`, {
      cause: error,
      details: { hint: 'check DATABASE_URL, that the server is running, and that the user may connect' },
    });
  }
}
