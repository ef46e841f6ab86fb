import { Redis } from 'ioredis';
import type { Config } from '../../src/config.ts';
import { silentLogger } from '../../src/internal/logger.ts';
import type { JobContext, JobDefinition, JobResult } from '../../src/jobs/defineJob.ts';
import type { Executor } from '../../src/jobs/executor.ts';
import { createJobRunner, type JobRunnerDeps } from '../../src/jobs/jobRunner.ts';
import { createQueueExecutor, type QueueExecutorDeps } from '../../src/jobs/queueExecutor.ts';
import { createRunner, type RunnerHooks } from '../../src/pipeline/runner.ts';
import { testConfig } from './config.ts';

/** The Redis the queue tests use; each test works under its own QUEUE_PREFIX. */
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A prefix no other test (or test run) shares. */
export function uniquePrefix(): string {
  return `ce-test-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}

/** Fails loudly, naming the fix, when the test Redis is not answering. */
export async function assertRedis(): Promise<void> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new Error(
      `Redis is not reachable at ${REDIS_URL} (${(error as Error).message}): start it (bash .ci/services.sh) or set TEST_REDIS_URL`,
    );
  } finally {
    redis.disconnect();
  }
}

/** Deletes every key of a prefix (queues, job schedulers, locks). */
export async function dropPrefix(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}

/** A config for a queue test: the shared Redis under `prefix`. */
export function queueConfig(prefix: string, settings: Record<string, string> = {}): Config {
  return testConfig({ REDIS_URL, QUEUE_PREFIX: prefix, ...settings });
}

/** A job made of one function, for executor tests. */
export function testJob(
  name: string,
  run: (ctx: JobContext) => Promise<Partial<JobResult> | undefined>,
  options: Partial<Pick<JobDefinition, 'schedule' | 'retries' | 'timeoutMs'>> = {},
): JobDefinition {
  return {
    name,
    description: `test job ${name}`,
    schedule: options.schedule ?? null,
    timeoutMs: options.timeoutMs ?? 60_000,
    retries: options.retries ?? 0,
    async run(ctx) {
      const out = await run(ctx);
      return { job: name, status: 'succeeded', runs: [], ...out };
    },
  };
}

/**
 * A queue executor over `catalogue` (a silent logger unless `log` is given; `hooks` on its runner, `onFinalFailure`
 * its job runner's alert); BullMQ backoff shortened to `retryBaseMs`.
 */
export function testExecutor(
  deps: Pick<QueueExecutorDeps, 'config' | 'db' | 'catalogue'> &
    Partial<QueueExecutorDeps> & { hooks?: RunnerHooks; onFinalFailure?: JobRunnerDeps['onFinalFailure'] },
): Executor {
  const { hooks, onFinalFailure, ...rest } = deps;
  const log = deps.log ?? silentLogger();
  const runner = createRunner({ db: deps.db, log, hooks });
  const jobRunner = createJobRunner({ config: deps.config, db: deps.db, log, runner, onFinalFailure });
  return createQueueExecutor({ log, jobRunner, retryBaseMs: 20, ...rest });
}
