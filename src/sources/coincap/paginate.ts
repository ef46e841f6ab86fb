import { type ListingCursor, listingKey, listingReads } from '../listing.ts';
import { type Batch, type ExtractContext, emptyAnswer } from '../stream.ts';
import type { ListEnvelope } from './schemas.ts';

/** CoinCap's largest page (`limit`). */
export const MAX_LIMIT = 2000;

/**
 * Pages of a `limit`/`offset` listing until a short or empty page. Each item gets the envelope's `timestamp` as
 * `updated` unless it carries its own.
 */
export async function* pages(
  fetchPage: (limit: number, offset: number) => Promise<ListEnvelope>,
  perPage: number,
  signal: AbortSignal,
): AsyncGenerator<{
  records: Record<string, unknown>[];
  page: number;
  offset: number;
  timestamp: number;
  /** A short or empty page: the listing's end. */
  last: boolean;
}> {
  for (let page = 1, offset = 0; !signal.aborted; page++) {
    const body = await fetchPage(perPage, offset);
    const records = body.data.map((item) => ({ updated: body.timestamp, ...item }));
    offset += body.data.length;
    const last = body.data.length < perPage;
    yield { records, page, offset, timestamp: body.timestamp, last };
    if (last) return;
  }
}

/** The cursor of a paged listing's batch: when CoinCap answered the page, the offset reached, the last listing's length. */
export interface PageCursor extends ListingCursor {
  fetchedAt: string;
  offset: number;
}

/** A stream's `extract` over a paged listing: one batch per page, with its progress in pages. */
export function extractPages(
  fetchPage: (limit: number, offset: number, signal: AbortSignal) => Promise<ListEnvelope>,
  perPage: number,
  /** The list, for the message when its first page is empty (CoinCap always lists some). */
  what: string,
  /** The fields that name an item of the list once (`id`; exchange, base and quote for markets). */
  key: readonly string[],
): (ctx: ExtractContext<PageCursor>) => AsyncGenerator<Batch<PageCursor>> {
  return async function* ({ signal, cursor: previous }) {
    // The order moves between pages: a read that missed items is read again from offset 0 (`listingReads`).
    const listing = listingReads(`CoinCap ${what}`, previous);
    let fetched = 0;
    for (let again = true; again && !signal.aborted; ) {
      again = false;
      for await (const page of pages((limit, offset) => fetchPage(limit, offset, signal), perPage, signal)) {
        fetched += 1;
        if (page.page === 1 && page.records.length === 0) throw emptyAnswer(`CoinCap ${what} (first page)`);
        listing.page(page.records.map((record) => listingKey(record, key)));
        const end = page.last ? listing.ended(page.page, new Date(page.timestamp)) : undefined;
        yield {
          records: page.records,
          cursor: {
            fetchedAt: new Date(page.timestamp).toISOString(),
            offset: page.offset,
            ...(end ? end.cursor : listing.carried()),
          },
          progress: { done: fetched },
        };
        if (end?.error) throw end.error;
        again = end?.again ?? false;
      }
    }
  };
}
