import { EtlError } from '../internal/errors.ts';

/**
 * A listing that ends with fewer records than this share of the last one is taken for an answer cut short (an
 * empty or short later page from a passing upstream fault), not for the upstream's list.
 */
export const LISTING_MIN_SHARE = 0.9;

/** What a paged listing's cursor carries so the next run can tell a whole list from one cut short. */
export interface ListingCursor {
  /** Records in the last listing that reached its end (its last page), carried on every page after it. */
  listed?: number;
}

/**
 * The length check of a paged listing that ends on a short or empty page: the only sign of its end, and the same
 * sign a passing fault gives on a later page. Its length is compared with the last listing that reached its end;
 * one that ends under `LISTING_MIN_SHARE` of it fails the run (its pages are stored, their rows are sound), and its
 * length becomes the next run's measure, so a list the upstream really shortened fails once and then passes.
 */
export function listingLength(what: string, previous: ListingCursor | undefined) {
  const last = previous?.listed;
  return {
    /** The cursor fields of a page before the listing's last. */
    carried(): ListingCursor {
      return last === undefined ? {} : { listed: last };
    },
    /** The cursor fields of the listing's last page, and the error to throw once that page is stored. */
    ended(received: number, pages: number): { cursor: ListingCursor; error?: EtlError } {
      const cursor = { listed: received };
      if (last === undefined || received >= last * LISTING_MIN_SHARE) return { cursor };
      return {
        cursor,
        error: new EtlError(
          'ETL_UPSTREAM_SHORT',
          `${what} ended after ${pages} page(s) with ${received} records where its last listing had ${last}: the answer was likely cut short (an empty or short later page). The pages received are stored; the run fails rather than succeed without the rest`,
          {
            retryable: true,
            details: {
              received,
              lastListing: last,
              hint: 'usually a passing upstream fault that the retries or the next run repair; if the upstream really lists fewer now, the next run ending at the same length succeeds',
            },
          },
        ),
      };
    },
  };
}
