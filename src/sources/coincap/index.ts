import type { Config } from '../../config.ts';
import type { Clock } from '../../internal/clock.ts';
import type { Logger } from '../../internal/logger.ts';
import { assetsStream } from './assetsStream.ts';
import { createCoinCapClient } from './client.ts';
import { exchangesStream } from './exchangesStream.ts';
import { historyStream } from './historyStream.ts';
import { marketsStream } from './marketsStream.ts';

/** The CoinCap source: its streams, built from config. History covers the `COINS` setting's ids. */
export function coincapSource(deps: {
  config: Config;
  log: Logger;
  onResponse?: (upstream: string, status: number) => void;
  now?: Clock;
}) {
  const client = createCoinCapClient(deps);
  const assets = deps.config.coingecko.coins;
  return {
    assets: assetsStream(client),
    exchanges: exchangesStream(client),
    markets: marketsStream(client),
    historyDaily: (range: { fromMs?: number; toMs?: number } = {}) =>
      historyStream(client, { interval: 'd1', assets, now: deps.now, ...range }),
    historyHourly: (range: { fromMs?: number; toMs?: number } = {}) =>
      historyStream(client, { interval: 'h1', assets, now: deps.now, ...range }),
  };
}
