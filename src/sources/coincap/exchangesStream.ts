import { coincapExchanges } from '../../tables/coincap.ts';
import { tableWrite } from '../../tables/defineTable.ts';
import { defineStream, emptyAnswer } from '../stream.ts';
import type { CoinCapClient } from './client.ts';
import { exchangeRecord } from './schemas.ts';

/**
 * `/exchanges` → `staging.coincap_exchanges`, keyed by (exchange, `updated`): each update CoinCap publishes is a
 * row, and a rerun before the next update adds nothing.
 */
export function exchangesStream(client: CoinCapClient) {
  return defineStream({
    name: 'coincap.exchanges',
    ...tableWrite(coincapExchanges),
    onConflict: 'ignore',
    record: exchangeRecord,
    async *extract({ signal }) {
      const body = await client.exchanges(signal);
      // CoinCap always lists exchanges: an empty list is a fault, not an update without exchanges.
      if (body.data.length === 0) throw emptyAnswer('CoinCap /exchanges');
      yield {
        records: body.data,
        cursor: { fetchedAt: new Date(body.timestamp).toISOString(), exchanges: body.data.length },
        progress: { done: 1, total: 1 },
      };
    },
  });
}
