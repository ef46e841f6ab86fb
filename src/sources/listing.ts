import { EtlError } from '../internal/errors.ts';

/**
 * A listing that ends with fewer records than this share of the last one is taken for an answer cut short (an
 * empty or short later page from a passing upstream fault), not for the upstream's list.
 */
export const LISTING_MIN_SHARE = 0.9;

/**
 * How long a listing must keep the same short length before it is taken as the upstream's new list: longer than
 * a job's retries and one hourly tick, so the fault first fails the job (and alerts) at least once.
 */
export const LISTING_SHRINK_CONFIRM_MS = 3_600_000;

/**
 * How many times one run reads a paged listing from its first page while its order moves under the reads (see
 * `listingReads`) before it fails.
 */
export const LISTING_MAX_READS = 3;

/** What a paged listing's cursor carries so the next run can tell a whole list from one cut short. */
export interface ListingCursor {
  /** Records in the last listing taken as whole, carried on every page after it. */
  listed?: number;
  /** A shorter listing seen since (its length, and when first seen), while it lasts. */
  short?: { count: number; since: string };
}

/**
 * The length check of a paged listing that ends on a short or empty page: the only sign of its end, and the same
 * sign a passing fault gives on a later page. Its length is compared with the last listing taken as whole; one
 * that ends under `LISTING_MIN_SHARE` of it fails the run (its pages are stored, their rows are sound). A short
 * length that lasts `LISTING_SHRINK_CONFIRM_MS` is the upstream's list really shortened, and becomes the measure.
 */
export function listingLength(what: string, previous: ListingCursor | undefined) {
  const last = previous?.listed;
  return {
    /** The cursor fields of a page before the listing's last. */
    carried(): ListingCursor {
      return { ...(last === undefined ? {} : { listed: last }), ...(previous?.short && { short: previous.short }) };
    },
    /** The cursor fields of the listing's last page, and the error to throw once that page is stored. */
    ended(received: number, pages: number, at: Date): { cursor: ListingCursor; error?: EtlError } {
      if (last === undefined || received >= last * LISTING_MIN_SHARE) return { cursor: { listed: received } };
      const before = previous?.short;
      const same =
        before && received >= before.count * LISTING_MIN_SHARE && before.count >= received * LISTING_MIN_SHARE;
      const since = same ? before.since : at.toISOString();
      if (at.getTime() - Date.parse(since) >= LISTING_SHRINK_CONFIRM_MS) return { cursor: { listed: received } };
      return {
        cursor: { listed: last, short: { count: received, since } },
        error: new EtlError(
          'ETL_UPSTREAM_SHORT',
          `${what} ended after ${pages} page(s) with ${received} records where its last whole listing had ${last}: the answer was likely cut short (an empty or short later page). The pages received are stored; the run fails rather than succeed without the rest`,
          {
            retryable: true,
            details: {
              received,
              lastListing: last,
              shortSince: since,
              hint: 'usually a passing upstream fault that the retries or the next run repair; a list the upstream really shortened is taken as whole once it has stayed so for an hour',
            },
          },
        ),
      };
    },
  };
}

/**
 * The reads of a paged listing (pages by number or offset) over an order that moves between requests, as a
 * market-cap order does: an item moving up across a page boundary already read is on no page read after it, and
 * the item it pushes down is read twice. The pages are stored as they come (their rows are sound); the ids of
 * each page are counted here. At the end of a read (a short or empty page) the listing is whole when the distinct
 * ids received in this run number at least the records of its longest read: with the same items listed, no item
 * was missed. Otherwise it is read again from its first page (its items are where they are now; the union of the
 * reads counts), up to `LISTING_MAX_READS` reads, then the run fails `ETL_UPSTREAM_UNSTABLE` (retryable). A whole
 * listing then passes the length check (`listingLength`) with its distinct ids.
 */
export function listingReads(what: string, previous: ListingCursor | undefined, maxReads = LISTING_MAX_READS) {
  const length = listingLength(what, previous);
  const seen = new Set<string>();
  let read = 1;
  let records = 0;
  let longest = 0;
  return {
    /** The read under way, from 1. */
    get read() {
      return read;
    },
    /** Counts one page's ids. */
    page(ids: readonly string[]): void {
      records += ids.length;
      for (const id of ids) seen.add(id);
    },
    /** The cursor fields of a page before a read's end. */
    carried: (): ListingCursor => length.carried(),
    /**
     * At a read's end (its short or empty page): `again` to read the listing once more from its first page (the
     * page's cursor is `cursor`); else the cursor of the listing's last page and the error to throw once it is
     * stored.
     */
    ended(pages: number, at: Date): { again: boolean; cursor: ListingCursor; error?: EtlError } {
      longest = Math.max(longest, records);
      if (seen.size >= longest) return { again: false, ...length.ended(seen.size, pages, at) };
      if (read < maxReads) {
        read += 1;
        records = 0;
        return { again: true, cursor: length.carried() };
      }
      return {
        again: false,
        // The next run measures against the last listing read whole, not this one.
        cursor: length.carried(),
        error: new EtlError(
          'ETL_UPSTREAM_UNSTABLE',
          `${what} moved while it was read: after ${read} reads from its first page it gave ${seen.size} distinct records where a read listed ${longest} (records moved across the pages between requests, so some were on no page read). The records received are stored; the run fails rather than succeed without the rest`,
          {
            retryable: true,
            details: {
              reads: read,
              distinct: seen.size,
              listed: longest,
              hint: 'the upstream order moved faster than it could be read; the retries or the next run read it again',
            },
          },
        ),
      };
    },
  };
}

/**
 * The id of a listed item for `listingReads`: its key fields joined; an item missing one (a record its schema
 * will reject) counts by its whole content.
 */
export function listingKey(item: Record<string, unknown>, fields: readonly string[]): string {
  const parts = fields.map((field) => item[field]);
  return parts.every((part) => typeof part === 'string') ? parts.join('\u0000') : JSON.stringify(item);
}
