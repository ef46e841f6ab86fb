import { type Config, configSecrets, type LoadConfigOptions, loadConfig } from '../config.ts';
import { createDatabase } from '../db/createDatabase.ts';
import { migrate } from '../db/migrate.ts';
import type { Db } from '../db/types.ts';
import { describeError, isEtlError } from '../internal/errors.ts';
import { createLogger, type Logger } from '../internal/logger.ts';

/** Config and logger for a command; a bad setting prints its one clear message and exits 2. */
export function bootstrap(options: LoadConfigOptions = {}): { config: Config; log: Logger } {
  let config: Config;
  try {
    config = loadConfig(process.env, options);
  } catch (error) {
    fail(error, 2);
  }
  const log = createLogger({
    level: config.logLevel,
    secrets: configSecrets(config),
    logDir: config.logDir,
    pretty: process.stdout.isTTY === true,
  });
  return { config, log };
}

/** Runs `fn` on the configured database, migrated first; the database is closed after, also when `fn` throws. */
export async function withDatabase<T>(config: Config, log: Logger, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await createDatabase(config, log);
  try {
    await migrate(db, { log });
    return await fn(db);
  } finally {
    await db.close();
  }
}

/** Prints an error as a person should read it (no stack for known errors) and exits. */
export function fail(error: unknown, code = 1): never {
  process.stderr.write(`crypto-etl: ${describeError(error)}\n`);
  if (!isEtlError(error) && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  process.exit(code);
}
