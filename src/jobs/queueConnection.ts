import type { ConnectionOptions } from 'bullmq';
import { EtlError } from '../internal/errors.ts';
import { redactUrl } from '../internal/redact.ts';

/** The one BullMQ queue every job goes through; `QUEUE_PREFIX` separates deployments sharing a Redis. */
export const QUEUE_NAME = 'jobs';

/** BullMQ connection options for `REDIS_URL`: workers need `maxRetriesPerRequest: null` (blocking commands). */
export function redisConnection(url: string): ConnectionOptions {
  return { url, maxRetriesPerRequest: null };
}

/**
 * Waits for a BullMQ object's Redis connection. ioredis retries forever on its own, so without a bound a
 * CLI pointed at a dead Redis would hang: after `timeoutMs` this fails with a message that says what to do.
 */
export async function waitForRedis(ready: Promise<unknown>, url: string, timeoutMs = 10_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new EtlError(
            'ETL_QUEUE_UNREACHABLE',
            `Redis is unreachable at ${redactUrl(url)} (no answer within ${timeoutMs / 1000} s): start Redis, fix REDIS_URL, or unset it to run jobs in-process`,
            { retryable: true },
          ),
        ),
      timeoutMs,
    );
  });
  try {
    await Promise.race([ready, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
