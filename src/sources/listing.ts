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
