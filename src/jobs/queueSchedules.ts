import { type JobsOptions, Queue } from 'bullmq';
import type { Logger } from '../internal/logger.ts';
import type { JobDefinition } from './defineJob.ts';
import { QUEUE_NAME, redisConnection, waitForRedis } from './queueConnection.ts';

/** What a queued job carries: who triggered it and its arguments. */
export interface QueueJobData {
  trigger: 'manual' | 'schedule' | 'startup' | 'api';
  args: Record<string, unknown>;
}

/** The backoff strategy of the queue's workers: the retry policy's (retryPolicy.ts), from the job's base delay. */
export const BACKOFF_TYPE = 'retry-policy';

/** Options every queued job gets: BullMQ carries out the retries (the policy's backoff) and keeps a bounded history. */
export function jobOptions(attempts: number, retryBaseMs: number): JobsOptions {
  return {
    attempts,
    backoff: { type: BACKOFF_TYPE, delay: retryBaseMs },
    removeOnComplete: { age: 7 * 86_400, count: 1_000 },
    removeOnFail: { age: 30 * 86_400, count: 5_000 },
  };
}

export interface RegisteredSchedule {
  job: string;
  pattern: string;
  next: Date | null;
}

/**
 * Makes the queue's job schedulers match the catalogue: one BullMQ job scheduler per scheduled job (id = job
 * name, cron in UTC), and none for jobs that are off or gone. Upserts are idempotent, so any number of
 * schedulers may start at once and each schedule still exists once.
 */
export async function syncSchedules(
  queue: Queue,
  catalogue: readonly JobDefinition[],
  options: { retryBaseMs: number; log: Logger },
): Promise<RegisteredSchedule[]> {
  const scheduled = catalogue.filter((job) => job.schedule !== null);
  for (const job of scheduled) {
    const data: QueueJobData = { trigger: 'schedule', args: {} };
    await queue.upsertJobScheduler(
      job.name,
      { pattern: job.schedule as string, tz: 'UTC' },
      { name: job.name, data, opts: jobOptions(job.retries + 1, options.retryBaseMs) },
    );
  }
  const wanted = new Set(scheduled.map((job) => job.name));
  const existing = await queue.getJobSchedulers(0, -1);
  for (const scheduler of existing) {
    if (wanted.has(scheduler.key)) continue;
    await queue.removeJobScheduler(scheduler.key);
    options.log.info({ job: scheduler.key }, 'job scheduler removed: the job is off or no longer exists');
  }
  const registered = await queue.getJobSchedulers(0, -1);
  return registered
    .filter((s) => wanted.has(s.key))
    .map((s) => ({ job: s.key, pattern: s.pattern ?? '', next: s.next ? new Date(s.next) : null }))
    .sort((a, b) => a.job.localeCompare(b.job));
}

/**
 * The next run of each job scheduler registered in Redis (queue mode), for `crypto-etl status`: a scheduled job
 * missing here was never registered (`crypto-etl scheduler` has not run).
 */
export async function readRegisteredSchedules(
  redisUrl: string,
  prefix: string,
  timeoutMs = 5_000,
): Promise<Map<string, Date | null>> {
  const queue = new Queue(QUEUE_NAME, { connection: redisConnection(redisUrl), prefix });
  queue.on('error', () => {});
  try {
    await waitForRedis(queue.waitUntilReady(), redisUrl, timeoutMs);
    const schedulers = await queue.getJobSchedulers(0, -1);
    return new Map(schedulers.map((s) => [s.key, s.next ? new Date(s.next) : null]));
  } finally {
    await queue.close().catch(() => {});
  }
}
