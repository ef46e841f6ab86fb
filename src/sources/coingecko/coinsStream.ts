import { type Clock, systemClock } from '../../internal/clock.ts';
import { coingeckoCoins } from '../../tables/coingecko.ts';
import { tableWrite } from '../../tables/defineTable.ts';
import { defineStream, emptyAnswer } from '../stream.ts';
import type { CoinGeckoClient } from './client.ts';
import { coinRecord } from './schemas.ts';

/** `/coins/list` → `staging.coingecko_coins`, upserted by id: one small request, so one batch. */
export function coinsStream(client: CoinGeckoClient, options: { now?: Clock } = {}) {
  const now = options.now ?? systemClock;
  return defineStream({
    name: 'coingecko.coins',
    ...tableWrite(coingeckoCoins),
    onConflict: 'update',
    record: coinRecord,
    async *extract() {
      const coins = await client.listCoins();
      if (coins.length === 0) throw emptyAnswer('CoinGecko /coins/list');
      yield {
        records: coins,
        cursor: { fetchedAt: now().toISOString(), coins: coins.length },
        progress: { done: 1, total: 1 },
      };
    },
  });
}
