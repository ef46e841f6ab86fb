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
    table: 'coincap_markets',
    columns: [
      'exchange_id',
      'base_id',
      'quote_id',
      'updated_at',
      'rank',
      'base_symbol',
      'quote_symbol',
      'price_quote',
      'price_usd',
      'volume_usd_24h',
      'percent_exchange_volume',
      'trades_count_24h',
    ],
    key: ['exchange_id', 'base_id', 'quote_id', 'updated_at'],
    onConflict: 'ignore',
    record: marketRecord,
    extract: extractPages((limit, offset, signal) => client.markets(limit, offset, signal), perPage),
  });
}
