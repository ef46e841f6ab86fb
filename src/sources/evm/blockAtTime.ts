import type { BlockRef } from './args.ts';
import type { RangeFetcher } from './fetchRange.ts';

/**
 * The first block at or after `unixSeconds` (binary search on block timestamps, ~log2(head) header calls),
 * or `head + 1` when the chain has not reached that time yet.
 */
export async function blockAtTime(
  fetcher: Pick<RangeFetcher, 'headers'>,
  head: number,
  unixSeconds: number,
  signal?: AbortSignal,
): Promise<number> {
  let low = 0;
  let high = head + 1;
  while (low < high) {
    const mid = Math.floor((low + high) / 2);
    const header = (await fetcher.headers(mid, mid, signal)).get(mid);
    if (header && header.timestamp >= unixSeconds) high = mid;
    else low = mid + 1;
  }
  return low;
}

/**
 * A block given by number, or by UTC date: its first block, or with `endOfDay` its last (for a `--to` date).
 */
export async function resolveBlockRef(
  fetcher: Pick<RangeFetcher, 'headers'>,
  ref: BlockRef,
  head: number,
  endOfDay: boolean,
  signal?: AbortSignal,
): Promise<number> {
  if ('block' in ref) return ref.block;
  const day = Date.parse(`${ref.date}T00:00:00Z`) / 1000;
  return endOfDay
    ? (await blockAtTime(fetcher, head, day + 86_400, signal)) - 1
    : blockAtTime(fetcher, head, day, signal);
}
