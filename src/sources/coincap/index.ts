import { defineSource } from '../source.ts';
import { assetsStream } from './assetsStream.ts';
import { createCoinCapClient } from './client.ts';
import { exchangesStream } from './exchangesStream.ts';
import { historyStream } from './historyStream.ts';
import { marketsStream } from './marketsStream.ts';

/** The CoinCap source: its streams, built from config. History covers the `COINS` setting's ids. */
export const coincapSource = defineSource((deps) => {
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
});
