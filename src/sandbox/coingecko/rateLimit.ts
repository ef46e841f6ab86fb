const WINDOW_MS = 60_000;

/** Calls per rolling minute, per bucket (API key). */
export interface RateLimiter {
  /** Records a call at `nowMs` and returns true, or returns false (and records nothing) if over the limit. */
  take(bucket: string, nowMs: number): boolean;
}

// NOTE: refused calls are not recorded; otherwise a client that honours Retry-After but retries before the
// window drains would be refused forever.
export function createRateLimiter(perMinute: number): RateLimiter {
  const calls = new Map<string, number[]>();
  return {
    take(bucket, nowMs) {
      if (!Number.isFinite(perMinute)) return true;
      const recent = (calls.get(bucket) ?? []).filter((at) => at > nowMs - WINDOW_MS);
      calls.set(bucket, recent);
      if (recent.length >= perMinute) return false;
      recent.push(nowMs);
      return true;
    },
  };
}
