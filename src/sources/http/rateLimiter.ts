import { setTimeout as sleep } from 'node:timers/promises';

export interface RateLimiter {
  /** Resolves when the next call may start; calls are spaced evenly at `ratePerMin`. */
  acquire(signal?: AbortSignal): Promise<void>;
}

/**
 * Spaces calls evenly rather than allowing bursts: upstreams such as CoinGecko count calls in a rolling
 * minute, and a burst at the start of each minute is what earns a 429.
 */
export function createRateLimiter(ratePerMin: number): RateLimiter {
  const interval = ratePerMin === Number.POSITIVE_INFINITY ? 0 : 60_000 / ratePerMin;
  let next = 0;
  return {
    async acquire(signal) {
      const now = Date.now();
      const slot = Math.max(now, next);
      next = slot + interval;
      if (slot > now) await sleep(slot - now, undefined, { signal });
    },
  };
}
