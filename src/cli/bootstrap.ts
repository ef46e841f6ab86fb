import { type Config, configSecrets, type LoadConfigOptions, loadConfig } from '../config.ts';
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

/** Prints an error as a person should read it (no stack for known errors) and exits. */
export function fail(error: unknown, code = 1): never {
  process.stderr.write(`crypto-etl: ${describeError(error)}\n`);
  if (!isEtlError(error) && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  process.exit(code);
}
