import { defineSource } from '../source.ts';
import { createCoinGeckoClient } from './client.ts';
import { coinsStream } from './coinsStream.ts';
import { marketsStream } from './marketsStream.ts';
import { pricesStream } from './pricesStream.ts';

/** The CoinGecko source: its three streams, built from config. */
export const coingeckoSource = defineSource((deps) => {
  const client = createCoinGeckoClient(deps);
  const { vsCurrency, coins } = deps.config.coingecko;
  return {
    coins: coinsStream(client, { now: deps.now }),
    markets: marketsStream(client, { vsCurrency, now: deps.now }),
    prices: pricesStream(client, { coins, vsCurrency, now: deps.now }),
  };
});
