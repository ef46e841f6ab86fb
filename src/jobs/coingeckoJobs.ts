import type { CatalogueDeps } from './catalogue.ts';
import { defineJob } from './defineJob.ts';
import { runSteps } from './steps.ts';
import { refreshRollupsOfStep, refreshWarehouseStep } from './warehouseJobs.ts';

/** The three CoinGecko jobs: the coin list, market snapshots (hourly) and price history (daily 09:00 UTC). */
export function coingeckoJobs(deps: CatalogueDeps) {
  // The source and its SDK (~100 modules) load when a CoinGecko job runs, not in every command that lists the jobs.
  const source = async () => (await import('../sources/coingecko/index.ts')).coingeckoSource(deps);
  return [
    defineJob({
      name: 'coingecko-coins',
      description: 'CoinGecko coin list → staging.coingecko_coins',
      schedule: '0 9 * * *',
      timeoutMs: 10 * 60_000,
      retries: 3,
      run: async (ctx) => runSteps('coingecko-coins', ctx, [{ stream: (await source()).coins }]),
    }),
    defineJob({
      name: 'coingecko-markets',
      description: 'CoinGecko markets for all coins, 250 a page → staging.coingecko_markets → warehouse.market_latest',
      schedule: '0 * * * *',
      timeoutMs: 30 * 60_000,
      retries: 3,
      // market_overview ranks the latest snapshot of each coin: kept current as soon as a snapshot lands.
      run: async (ctx) =>
        runSteps('coingecko-markets', ctx, [
          { stream: (await source()).markets },
          refreshRollupsOfStep('coingecko_markets'),
        ]),
    }),
    defineJob({
      name: 'coingecko-prices',
      description: 'CoinGecko price history of the configured coins since their watermark → staging.coingecko_prices',
      schedule: '0 9 * * *',
      timeoutMs: 60 * 60_000,
      retries: 3,
      run: async (ctx) =>
        runSteps('coingecko-prices', ctx, [{ stream: (await source()).prices }, refreshWarehouseStep]),
    }),
  ];
}
