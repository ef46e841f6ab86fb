import { type Clock, systemClock } from '../../internal/clock.ts';
import { coingeckoMarkets } from '../../tables/coingecko.ts';
import { type TableSpec, tableWrite } from '../../tables/defineTable.ts';
import { type ListingCursor, listingKey, listingReads } from '../listing.ts';
import { defineStream, type ExtractContext, emptyAnswer } from '../stream.ts';
import type { CoinGeckoClient } from './client.ts';
import { marketRecordOf } from './schemas.ts';

/** Fields of `/coins/markets` that coingecko_markets does not declare. */
const NOT_STORED = ['image', 'ath_change_percentage', 'atl_change_percentage', 'roi'];

/** The cursor of a markets batch: the run's snapshot time, the page, and the last whole listing's length. */
export interface MarketsCursor extends ListingCursor {
  snapshotAt: string;
  page: number;
}

/** CoinGecko's largest page. */
export const MARKETS_PER_PAGE = 250;

/**
 * `/coins/markets` for all coins, page by page until a short or empty page → `staging.coingecko_markets`; a
 * read whose coins moved across its pages (fewer distinct coins than records) is read again, and a listing that
 * ends far shorter than the last one fails the run (`listingReads`).
 * Each run is a fresh snapshot; the key (coin, currency, last_updated) makes a rerun within CoinGecko's
 * cache window add no row: the same `last_updated` is the same snapshot, and its latest copy is kept.
 */
export function marketsStream(
  client: CoinGeckoClient,
  options: { vsCurrency: string; perPage?: number; now?: Clock; table?: TableSpec },
) {
  const perPage = options.perPage ?? MARKETS_PER_PAGE;
  const now = options.now ?? systemClock;
  // The table the stream writes, as declared; a column added to the declaration is read from the field of its name.
  const table = (options.table ?? coingeckoMarkets) as typeof coingeckoMarkets;
  return defineStream({
    name: 'coingecko.markets',
    ...tableWrite(table),
    // A later copy of a snapshot (same last_updated) wins: a rerun after a fix repairs what an earlier run stored.
    onConflict: 'update',
    volatile: ['snapshot_at'],
    record: marketRecordOf(table),
    contract: {
      // Nullable for coins without a market, but never absent: a page without them is a renamed field.
      required: ['current_price', 'market_cap', 'total_volume'],
      // Fields CoinGecko sends that the table does not hold (a column declared for one of them holds it).
      ignored: NOT_STORED.filter((field) => !(field in table.columns)),
    },
    async *extract({ signal, cursor: previous }: ExtractContext<MarketsCursor>) {
      const snapshotAt = now();
      // The order moves between pages: a read that missed coins is read again (`listingReads`), same snapshot.
      const listing = listingReads('CoinGecko /coins/markets', previous);
      let fetched = 0;
      for (let page = 1; !signal.aborted; page++) {
        const items = await client.marketsPage(page, perPage);
        fetched += 1;
        // Page 1 empty is never CoinGecko's whole market: a successful run would hide that nothing loaded.
        if (page === 1 && items.length === 0) throw emptyAnswer('CoinGecko /coins/markets page 1');
        listing.page(items.map((item) => listingKey(item, ['id'])));
        const records = items.map((item) => ({ ...item, vs_currency: options.vsCurrency, snapshot_at: snapshotAt }));
        const last = items.length < perPage;
        const end = last ? listing.ended(page, snapshotAt) : undefined;
        const cursor: MarketsCursor = {
          snapshotAt: snapshotAt.toISOString(),
          page,
          ...(end ? end.cursor : listing.carried()),
        };
        yield { records, cursor, progress: { done: fetched } };
        if (end?.error) throw end.error;
        if (end?.again) page = 0;
        else if (last) return;
      }
    },
  });
}
