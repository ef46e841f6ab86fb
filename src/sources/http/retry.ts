/** Exponential backoff with full jitter (the AWS architecture blog's recommendation): random in [0, base·2^attempt]. */
export function backoffMs(attempt: number, baseMs: number, capMs = 30_000): number {
  return Math.random() * Math.min(capMs, baseMs * 2 ** attempt);
}

/** `Retry-After` as milliseconds: either delay-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
