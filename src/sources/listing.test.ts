import { describe, expect, it } from 'vitest';
import { LISTING_MAX_READS, LISTING_SHRINK_CONFIRM_MS, listingKey, listingLength, listingReads } from './listing.ts';

const T0 = new Date(Date.UTC(2026, 11, 31, 23, 30));
const later = (ms: number) => new Date(T0.getTime() + ms);

describe('listingLength', () => {
  it('behavior: the first listing and one of at least 90 % of the last are whole', () => {
    expect(listingLength('x', undefined).ended(7, 1, T0)).toEqual({ cursor: { listed: 7 } });
    expect(listingLength('x', { listed: 1000 }).ended(900, 4, T0)).toEqual({ cursor: { listed: 900 } });
    expect(listingLength('x', { listed: 1000 }).ended(1200, 5, T0)).toEqual({ cursor: { listed: 1200 } });
  });

  it('error: under 90 % fails, keeping the measure and noting when the short length was first seen', () => {
    const { cursor, error } = listingLength('CoinCap /assets', { listed: 1000 }).ended(899, 1, T0);
    expect(error?.code).toBe('ETL_UPSTREAM_SHORT');
    expect(error?.message).toMatch(
      /CoinCap \/assets ended after 1 page\(s\) with 899 records where its last whole listing had 1000/,
    );
    expect(cursor).toEqual({ listed: 1000, short: { count: 899, since: T0.toISOString() } });
  });

  it('behavior: a short length kept for an hour (across midnight and the year) becomes the measure', () => {
    const short = { count: 500, since: T0.toISOString() };
    const almost = listingLength('x', { listed: 1000, short }).ended(510, 3, later(LISTING_SHRINK_CONFIRM_MS - 1));
    expect(almost.error).toBeDefined();
    expect(almost.cursor.short).toEqual({ count: 510, since: short.since });
    expect(listingLength('x', { listed: 1000, short }).ended(505, 3, later(LISTING_SHRINK_CONFIRM_MS))).toEqual({
      cursor: { listed: 505 },
    });
  });

  it('behavior: a short length that changes by more than 10 % starts the hour again', () => {
    const short = { count: 500, since: T0.toISOString() };
    const { cursor, error } = listingLength('x', { listed: 1000, short }).ended(
      300,
      2,
      later(2 * LISTING_SHRINK_CONFIRM_MS),
    );
    expect(error).toBeDefined();
    expect(cursor.short).toEqual({ count: 300, since: later(2 * LISTING_SHRINK_CONFIRM_MS).toISOString() });
  });

  it('behavior: pages before the last carry the measure and the short length unchanged', () => {
    const previous = { listed: 1000, short: { count: 500, since: T0.toISOString() } };
    expect(listingLength('x', previous).carried()).toEqual(previous);
    expect(listingLength('x', undefined).carried()).toEqual({});
  });
});

describe('listingReads', () => {
  it('behavior: a read with every id once is whole; its distinct ids are the length measured', () => {
    const reads = listingReads('x', { listed: 5 });
    reads.page(['a', 'b']);
    reads.page(['c', 'd', 'e']);
    expect(reads.ended(2, T0)).toEqual({ again: false, cursor: { listed: 5 } });
  });

  it('behavior: an id on two pages of a read (one item missed) reads again; the union of the reads counts', () => {
    const reads = listingReads('x', { listed: 4 });
    reads.page(['a', 'b']);
    reads.page(['b', 'c']); // d moved up across the boundary after page 1
    expect(reads.ended(2, T0)).toEqual({ again: true, cursor: { listed: 4 } });
    expect(reads.read).toBe(2);
    reads.page(['a', 'd']);
    reads.page(['b', 'd']); // moved again, but d was seen on this read's page 1
    expect(reads.ended(2, T0)).toEqual({ again: false, cursor: { listed: 4 } });
  });

  it(`error: still short of the longest read after ${LISTING_MAX_READS} reads fails ETL_UPSTREAM_UNSTABLE, keeping the measure`, () => {
    const reads = listingReads('CoinGecko /coins/markets', { listed: 4 });
    for (let read = 1; read < LISTING_MAX_READS; read++) {
      reads.page(['a', 'b']);
      reads.page(['b', 'c']);
      expect(reads.ended(2, T0).again).toBe(true);
    }
    reads.page(['a', 'b']);
    reads.page(['b', 'c']);
    const { again, cursor, error } = reads.ended(2, T0);
    expect({ again, cursor }).toEqual({ again: false, cursor: { listed: 4 } });
    expect(error?.code).toBe('ETL_UPSTREAM_UNSTABLE');
    expect(error?.retryable).toBe(true);
    expect(error?.message).toMatch(
      /after 3 reads from its first page it gave 3 distinct records where a read listed 4/,
    );
  });

  it('behavior: a whole listing still passes the length check; an item without its key counts by its content', () => {
    const reads = listingReads('x', { listed: 1000 });
    reads.page(['a', 'b']);
    expect(reads.ended(1, T0).error?.code).toBe('ETL_UPSTREAM_SHORT');
    expect(
      listingKey({ exchangeId: 'binance', baseId: 'bitcoin', quoteId: 'tether' }, ['exchangeId', 'baseId', 'quoteId']),
    ).toBe('binance\u0000bitcoin\u0000tether');
    expect(listingKey({ id: 7 }, ['id'])).toBe('{"id":7}');
  });
});
