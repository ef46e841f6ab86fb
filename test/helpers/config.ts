import { type Config, loadConfig } from '../../src/config.ts';
import type { DuneEmulator } from '../../src/sandbox/dune/server.ts';

/** A config as the product would build it, from these settings only (no `.env`, no process environment). */
export function testConfig(settings: Record<string, string | undefined> = {}): Config {
  return loadConfig({ LOG_LEVEL: 'silent', LOG_DIR: '', ...settings }, { envFile: false });
}

/** The settings that point the Dune jobs at an emulator: its URL and key, both CoW queries, quick polling. */
export function duneSettings(dune: DuneEmulator): Record<string, string> {
  return {
    DUNE_API_URL: dune.url,
    DUNE_API_KEY: dune.apiKey,
    DUNE_INIT_QUERY_ID: String(dune.queries.cowInit),
    DUNE_UPDATE_QUERY_ID: String(dune.queries.cowUpdate),
    DUNE_POLL_INTERVAL_MS: '50',
  };
}
