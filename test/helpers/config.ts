import { type Config, loadConfig } from '../../src/config.ts';

/** A config as the product would build it, from these settings only (no `.env`, no process environment). */
export function testConfig(settings: Record<string, string | undefined> = {}): Config {
  return loadConfig({ LOG_LEVEL: 'silent', LOG_DIR: '', ...settings }, { envFile: false });
}
