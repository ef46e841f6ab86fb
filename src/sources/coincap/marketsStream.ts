import { coincapMarkets } from '../../tables/coincap.ts';
import { tableWrite } from '../../tables/defineTable.ts';
import { defineStream } from '../stream.ts';
import type { CoinCapClient } from './client.ts';
import { extractPages, MAX_LIMIT } from './paginate.ts';
import { marketRecord } from './schemas.ts';

/**
 * `/markets` (every pair of every exchange), page by page → `staging.coincap_markets`, keyed by
 * (exchange, base, quote, `updated`): a rerun before CoinCap's next update adds nothing.
 */
export function marketsStream(client: CoinCapClient, options: { perPage?: number } = {}) {
  const perPage = options.perPage ?? MAX_LIMIT;
  return defineStream({
    name: 'coincap.markets',
    ...tableWrite(coincapMarkets),
    onConflict: 'ignore',
    record: marketRecord,
    extract: extractPages((limit, offset, signal) => client.markets(limit, offset, signal), perPage, '/markets', [
      'exchangeId',
      'baseId',
      'quoteId',
    ]),
  });
}
