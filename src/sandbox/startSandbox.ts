import { startCoinGeckoEmulator } from './coingecko/server.ts';

export interface Sandbox {
  /** Settings that point every upstream at its emulator. */
  overrides: Record<string, string>;
  close(): Promise<void>;
}

/**
 * Starts the built-in emulators on free local ports, for `--sandbox` runs with no network or API key.
 * Their data is synthetic: `SANDBOX=true` makes every page and command say so.
 */
export async function startSandbox(): Promise<Sandbox> {
  const coingecko = await startCoinGeckoEmulator({ coinCount: 800 });
  return {
    overrides: {
      SANDBOX: 'true',
      COINGECKO_API_URL: coingecko.url,
      COINGECKO_API_KEY: '',
      COINGECKO_RATE_PER_MIN: '600',
    },
    close: () => coingecko.close(),
  };
}
