import { DEFAULT_TOKENS } from '../sources/evm/events/contracts.ts';
import { startCoinCapEmulator } from './coincap/server.ts';
import { startCoinGeckoEmulator } from './coingecko/server.ts';
import { startDuneEmulator } from './dune/server.ts';
import { startSandboxChain } from './evm/startSandboxChain.ts';

export interface Sandbox {
  /** Settings that point every upstream at its emulator. */
  overrides: Record<string, string>;
  /** What the sandbox could not start, one line each, for the caller to log once its logger exists. */
  warnings: string[];
  /** Jobs `start` adds to its initial load, with their arguments (as from the CLI: strings). */
  initialLoad: { job: string; args: Record<string, string> }[];
  close(): Promise<void>;
}

/** The key the CoinCap emulator requires in sandbox runs (not a secret: it only opens the local emulator). */
const SANDBOX_COINCAP_KEY = 'sandbox-coincap-key';

/**
 * Starts the built-in emulators on free local ports, for `--sandbox` runs with no network or API key.
 * `now` (ms) is their clock, and the chain's: its blocks end at that instant (default the system clock).
 * Their data is synthetic: `SANDBOX=true` makes every page and command say so.
 */
export async function startSandbox(options: { now?: () => number } = {}): Promise<Sandbox> {
  const { now } = options;
  const coingecko = await startCoinGeckoEmulator({ coinCount: 800, now });
  // The chain first: Dune serves its trades with the tx hashes and blocks the chain gave them.
  const chain = await startSandboxChain({ now });
  const dune = await startDuneEmulator({ now, cowOnChain: chain?.cowTrades });
  const coincap = await startCoinCapEmulator({ apiKey: SANDBOX_COINCAP_KEY, now });
  return {
    overrides: {
      SANDBOX: 'true',
      COINGECKO_API_URL: coingecko.url,
      COINGECKO_API_KEY: '',
      COINGECKO_RATE_PER_MIN: '600',
      COINCAP_API_URL: coincap.url,
      COINCAP_API_KEY: SANDBOX_COINCAP_KEY,
      DUNE_API_URL: dune.url,
      DUNE_API_KEY: dune.apiKey,
      DUNE_INIT_QUERY_ID: String(dune.queries.cowInit),
      DUNE_UPDATE_QUERY_ID: String(dune.queries.cowUpdate),
      DUNE_POLL_INTERVAL_MS: '200',
      // Nothing mines after start-up, so every block is final at once.
      // evm-events: Transfers of the sandbox token, and CoW's Trades in the mainnet WETH and USDC addresses.
      ...(chain && {
        EVM_RPC_URLS: chain.url,
        EVM_CONFIRMATIONS: '0',
        EVM_EVENT_TOKENS: `${DEFAULT_TOKENS},SBX:${chain.token.toLowerCase()}:18`,
      }),
    },
    warnings: chain ? [] : ['sandbox: no anvil binary, the Chain page stays empty'],
    // A backfill of the whole local chain, block 0 to the head (with no `to`, a run stops at the head).
    initialLoad: chain
      ? [
          { job: 'evm-blocks', args: { from: '0' } },
          { job: 'evm-events', args: { from: '0' } },
        ]
      : [],
    close: async () => {
      await coingecko.close();
      await dune.close();
      await coincap.close();
      await chain?.close();
    },
  };
}
