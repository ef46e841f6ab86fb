import { setTimeout as sleep } from 'node:timers/promises';
import { Job, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/internal/logger.ts';
import { createAlertSender } from '../src/jobs/alerts.ts';
import type { JobDefinition } from '../src/jobs/defineJob.ts';
import type { Executor } from '../src/jobs/executor.ts';
import { QUEUE_NAME, redisConnection, waitForRedis } from '../src/jobs/queueConnection.ts';
import { testConfig } from './helpers/config.ts';
import { openTestDb, type TestDb } from './helpers/databases.ts';
import {
  assertRedis,
  dropPrefix,
  queueConfig,
  REDIS_URL,
  testExecutor,
  testJob,
  uniquePrefix,
} from './helpers/queue.ts';
import { startTcpProxy } from './helpers/tcpProxy.ts';
import { startWebhookReceiver } from './helpers/webhookReceiver.ts';

let testDb: TestDb;
const open: Executor[] = [];
const prefixes: string[] = [];
const inspectors: Queue[] = [];

beforeAll(async () => {
  await assertRedis();
  testDb = await openTestDb('postgres');
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((e) => e.stop()));
  await Promise.all(inspectors.splice(0).map((q) => q.close()));
  await Promise.all(prefixes.splice(0).map(dropPrefix));
});

afterAll(async () => {
  await testDb?.close();
});

/** An executor on this test's prefix (one per test, shared by every executor the test builds). */
function setup(catalogue: JobDefinition[], extra: Partial<Parameters<typeof testExecutor>[0]> = {}) {
  const prefix = prefixes.at(-1) ?? uniquePrefix();
  if (!prefixes.includes(prefix)) prefixes.push(prefix);
  const config = queueConfig(prefix);
  const executor = testExecutor({ config, db: testDb.db, catalogue, ...extra });
  open.push(executor);
  return { executor, prefix, config };
}

/** A plain BullMQ queue on the test's prefix, to look at what the executors did. */
function inspect(prefix: string): Queue {
  const queue = new Queue(QUEUE_NAME, { connection: redisConnection(REDIS_URL), prefix });
  inspectors.push(queue);
  return queue;
}

describe('queue executor (BullMQ on a real Redis)', () => {
  it('behavior: two workers share a queue and each job runs once', async () => {
    const runs: { job: string; worker: string }[] = [];
    const names = Array.from({ length: 12 }, (_, i) => `job-${i}`);
    const catalogueOf = (worker: string) =>
      names.map((name) =>
        testJob(name, async () => {
          runs.push({ job: name, worker });
          await sleep(50);
          return undefined;
        }),
      );
    const a = setup(catalogueOf('a'), { worker: { concurrency: 2 } });
    const b = setup(catalogueOf('b'), { worker: { concurrency: 2 } });
    const client = setup(catalogueOf('client'));
    await Promise.all([a.executor.start(), b.executor.start()]);

    const triggered = await Promise.all(names.map((name) => client.executor.trigger(name)));
    const results = await Promise.all(triggered.map((t) => t.done));

    expect(results.map((r) => r.status)).toEqual(names.map(() => 'succeeded'));
    expect(runs.map((r) => r.job).sort()).toEqual([...names].sort());
    expect(new Set(runs.map((r) => r.worker))).toEqual(new Set(['a', 'b']));
  });

  it('behavior: two schedulers starting at once register each schedule once; a job turned off loses its schedule', async () => {
    const catalogue = [
      testJob('hourly', async () => undefined, { schedule: '0 * * * *' }),
      testJob('daily', async () => undefined, { schedule: '0 9 * * *' }),
      testJob('manual', async () => undefined),
    ];
    const first = setup(catalogue, { scheduler: true });
    const second = setup(catalogue, { scheduler: true });
    await Promise.all([first.executor.start(), second.executor.start()]);

    const queue = inspect(first.prefix);
    const schedulers = await queue.getJobSchedulers(0, -1);
    expect(schedulers.map((s) => [s.key, s.pattern, s.tz]).sort()).toEqual([
      ['daily', '0 9 * * *', 'UTC'],
      ['hourly', '0 * * * *', 'UTC'],
    ]);
    expect((await queue.getDelayed()).map((j) => j.name).sort()).toEqual(['daily', 'hourly']);

    const dailyOff = catalogue.map((job) => (job.name === 'daily' ? { ...job, schedule: null } : job));
    await setup(dailyOff, { scheduler: true }).executor.start();
    expect((await queue.getJobSchedulers(0, -1)).map((s) => s.key)).toEqual(['hourly']);
    expect((await queue.getDelayed()).map((j) => j.name)).toEqual(['hourly']);
  });

  it('behavior: ticks of a job scheduler add runs; a tick that finds the previous run still going is skipped', async () => {
    let running = 0;
    let most = 0;
    const triggers: string[] = [];
    const catalogue = [
      // Every second, running 1.5 s: every other tick finds the previous run going.
      testJob(
        'every-second',
        async ({ trigger }) => {
          triggers.push(trigger);
          most = Math.max(most, ++running);
          await sleep(1_500);
          running--;
          return undefined;
        },
        { schedule: '* * * * * *' },
      ),
    ];
    const { executor, prefix } = setup(catalogue, { scheduler: true, worker: { concurrency: 4 } });
    const queue = inspect(prefix);
    await executor.start();
    await waitFor(() => triggers.length >= 2, 10_000);
    await executor.stop();

    const done = await queue.getCompleted(0, -1);
    const ticks = done.filter((job) => job.deduplicationId === undefined).map((job) => job.returnvalue);
    const runs = done.filter((job) => job.deduplicationId === 'every-second');
    expect(ticks.filter((outcome) => outcome.enqueued).length).toBeGreaterThanOrEqual(2);
    expect(ticks.filter((outcome) => outcome.skipped === 'the previous run was still going').length).toBeGreaterThan(0);
    // Each run a tick enqueued, and no other, ran (the last may still have been going at stop()).
    const enqueued = new Set(ticks.map((outcome) => outcome.enqueued).filter(Boolean));
    for (const run of runs) expect(enqueued.has(run.id)).toBe(true);
    expect(triggers.every((trigger) => trigger === 'schedule')).toBe(true);
    expect(most).toBe(1);
  });

  it('behavior: a name left pointing at a finished run is freed by the next trigger, so the job cannot be locked out for good', async () => {
    const ran: string[] = [];
    const catalogue = [testJob('orphaned', async () => void ran.push('run'))];
    const { executor, prefix } = setup(catalogue, { worker: {} });
    await executor.start();
    const first = await executor.trigger('orphaned');
    expect((await first.done).status).toBe('succeeded');
    // BullMQ releases the name in the script that finishes a run, so this state should never arise; the guard
    // exists because a name held forever would stop the job for good. Build it by hand.
    const client = new Redis(REDIS_URL);
    try {
      await client.set(`${prefix}:${QUEUE_NAME}:de:orphaned`, first.id);
    } finally {
      client.disconnect();
    }

    const second = await executor.trigger('orphaned');
    expect(second.id).not.toBe(first.id);
    expect((await second.done).status).toBe('succeeded');
    expect(ran).toEqual(['run', 'run']);
  });

  it('behavior: a failing job alerts exactly once, after its retries', async () => {
    const receiver = await startWebhookReceiver();
    const received = () => receiver.requests.map((r) => r.body as { text: string });
    const url = `${receiver.url}/hook`;
    try {
      let attempts = 0;
      const catalogue = [
        testJob(
          'flaky',
          async () => {
            attempts++;
            return { status: 'failed', error: 'ETL_UPSTREAM_HTTP: upstream down', retryable: true };
          },
          { retries: 2 },
        ),
      ];
      const alerts = createAlertSender({
        config: queueConfig('unused', { ALERT_WEBHOOK_URL: url }),
        log: silentLogger(),
      });
      const { executor } = setup(catalogue, { worker: {}, onFinalFailure: alerts.jobFailed });
      await executor.start();

      const result = await (await executor.trigger('flaky')).done;
      await sleep(300);

      expect(result).toMatchObject({ status: 'failed', error: 'ETL_UPSTREAM_HTTP: upstream down' });
      expect(attempts).toBe(3);
      expect(received()).toHaveLength(1);
      expect(received()[0]?.text).toContain('job flaky failed');
      expect(received()[0]?.text).toContain('ETL_UPSTREAM_HTTP: upstream down');
    } finally {
      await receiver.close();
    }
  });

  it('behavior: a non-retryable failure is not retried and alerts once', async () => {
    let attempts = 0;
    const alerted: string[] = [];
    const catalogue = [
      testJob(
        'bad-key',
        async () => {
          attempts++;
          return { status: 'failed', error: 'ETL_UPSTREAM_AUTH: refused', retryable: false };
        },
        { retries: 3 },
      ),
    ];
    const { executor } = setup(catalogue, { worker: {}, onFinalFailure: (r) => void alerted.push(r.job) });
    await executor.start();
    const result = await (await executor.trigger('bad-key')).done;
    expect(result.status).toBe('failed');
    expect(attempts).toBe(1);
    expect(alerted).toEqual(['bad-key']);
  });

  it('behavior: a job never overlaps itself (trigger refused, scheduled tick skipped)', async () => {
    let running = 0;
    let most = 0;
    const catalogue = [
      testJob('slow', async () => {
        most = Math.max(most, ++running);
        await sleep(600);
        running--;
        return undefined;
      }),
    ];
    const { executor, prefix } = setup(catalogue, { worker: { concurrency: 4 } });
    const queue = inspect(prefix);
    await executor.start();
    const first = await executor.trigger('slow');
    await waitFor(() => running === 1);

    await expect(executor.trigger('slow')).rejects.toMatchObject({ code: 'ETL_JOB_ALREADY_RUNNING' });
    const tick = await queue.add('slow', { trigger: 'schedule', args: {} });
    const outcome = await waitFor(async () => (await Job.fromId(queue, tick.id as string))?.returnvalue);
    expect(outcome).toMatchObject({ skipped: 'the previous run was still going' });
    expect((await first.done).status).toBe('succeeded');
    expect(most).toBe(1);
  });

  it('error: a run whose lock is taken over stops at its next checkpoint; the job is recovered and runs once more, never beside it', async () => {
    const runs: { started: number; ended?: number; aborted: boolean }[] = [];
    const catalogue = [
      testJob('held', async ({ signal }) => {
        const run: (typeof runs)[number] = { started: Date.now(), aborted: false };
        runs.push(run);
        // The first run waits for its checkpoint signal (or 10 s), then takes 4 s to reach the checkpoint:
        // meanwhile the job is recovered; the recovered run finishes at once.
        if (runs.length === 1) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, 10_000);
            signal.addEventListener('abort', () => {
              clearTimeout(timer);
              setTimeout(resolve, 4_000);
            });
          });
        }
        run.aborted = signal.aborted;
        run.ended = Date.now();
        return signal.aborted ? { status: 'failed', error: 'stopped at checkpoint', retryable: true } : undefined;
      }),
    ];
    // Room for a second run in this worker: the recovered job comes back to it while the first still runs.
    const { executor, prefix } = setup(catalogue, { worker: { concurrency: 3, lockMs: 600 } });
    await executor.start();
    const triggered = await executor.trigger('held', { retries: 0 });
    const client = new Redis(REDIS_URL);
    // BullMQ's lock on the run: the worker renews it every quarter to half of lockMs.
    const lockKey = `${prefix}:${QUEUE_NAME}:${triggered.id}:lock`;
    try {
      await waitFor(async () => (await client.get(lockKey)) !== null);
      // Another worker taking the job over (its lock lapses soon after): the renewal finds another token.
      await client.set(lockKey, 'another-worker', 'PX', 300);
    } finally {
      client.disconnect();
    }
    const result = await triggered.done;
    expect(result.status).toBe('succeeded');
    expect(runs).toHaveLength(2);
    const [lost, recovered] = runs as [(typeof runs)[number], (typeof runs)[number]];
    expect(lost.aborted).toBe(true);
    // Well before the 10 s it would have run unaborted (abort, then its 4 s checkpoint).
    expect(lost.ended as number).toBeLessThan(lost.started + 8_000);
    expect(recovered.started).toBeGreaterThanOrEqual(lost.ended as number);
  });

  it('error: a run whose lock cannot be renewed (Redis unreachable for a lock lifetime) stops at its next checkpoint; the job is recovered after', async () => {
    const redis = new URL(REDIS_URL);
    const proxy = await startTcpProxy({ host: redis.hostname, port: Number(redis.port || 6379) });
    const runs: { started: number; aborted?: number }[] = [];
    const catalogue = [
      testJob('cut-off', async ({ signal }) => {
        const run: (typeof runs)[number] = { started: Date.now() };
        runs.push(run);
        // The first run waits for its checkpoint signal (or 10 s); the recovered one finishes at once.
        if (runs.length === 1) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, 10_000);
            signal.addEventListener('abort', () => {
              run.aborted = Date.now();
              clearTimeout(timer);
              resolve();
            });
          });
        }
        return signal.aborted ? { status: 'failed', error: 'stopped at checkpoint', retryable: true } : undefined;
      }),
    ];
    const prefix = uniquePrefix();
    prefixes.push(prefix);
    const executor = testExecutor({
      config: testConfig({ REDIS_URL: `redis://${proxy.address}`, QUEUE_PREFIX: prefix }),
      db: testDb.db,
      catalogue,
      worker: { concurrency: 1, lockMs: 1_000 },
    });
    open.push(executor);
    try {
      await executor.start();
      const triggered = await executor.trigger('cut-off', { retries: 0 });
      await waitFor(() => runs.length === 1);
      const [cut] = runs as [(typeof runs)[number]];
      await sleep(1_200);
      // Running past a whole lock lifetime while Redis answers: the renewals keep it.
      expect(cut.aborted).toBeUndefined();
      await proxy.cut();
      const cutAt = Date.now();
      const abortedAt = (await waitFor(() => cut.aborted, 5_000)) as number;
      // Renewals come every quarter to half of lockMs; the run stops once none has landed for three quarters.
      expect(abortedAt - cutAt).toBeLessThan(3_000);
      await proxy.mend();
      // Redis back: the lapsed run is recovered as stalled and runs again, after the first one stopped.
      expect((await triggered.done).status).toBe('succeeded');
      expect(runs).toHaveLength(2);
      expect(runs[1]?.started).toBeGreaterThanOrEqual(abortedAt);
    } finally {
      await proxy.mend();
      await executor.stop();
      await proxy.close();
    }
  });

  it('behavior: stop() lets the job reach its checkpoint and hands it back; another worker finishes it', async () => {
    const batches: string[] = [];
    const catalogueOf = (worker: string) => [
      testJob('batches', async ({ signal }) => {
        for (let i = 0; i < 8; i++) {
          if (signal.aborted) return { status: 'failed', error: 'ETL_ABORTED: stopped by shutdown', retryable: true };
          batches.push(worker);
          await sleep(150);
        }
        return undefined;
      }),
    ];
    const a = setup(catalogueOf('a'), { worker: {} });
    const client = setup(catalogueOf('client'));
    await a.executor.start();
    const triggered = await client.executor.trigger('batches');
    await waitFor(async () => batches.length >= 2);

    await a.executor.stop();
    const queue = inspect(a.prefix);
    const job = await Job.fromId(queue, triggered.id);
    expect(await job?.getState()).toBe('waiting');
    expect(job?.attemptsMade).toBe(0);

    const b = setup(catalogueOf('b'), { worker: {} });
    await b.executor.start();
    expect((await triggered.done).status).toBe('succeeded');
    expect(batches).toContain('a');
    expect(batches.at(-1)).toBe('b');
    expect(await queue.getFailedCount()).toBe(0);
  });

  it('error: a job whose worker dies twice in a row fails with ETL_WORKER_LOST and alerts once', async () => {
    let runs = 0;
    const alerted: string[] = [];
    const catalogue = [testJob('crashy', async () => void runs++)];
    const { executor, prefix } = setup(catalogue);
    const queue = inspect(prefix);
    const triggered = await executor.trigger('crashy');
    // Two workers that take the job and die with it: their locks lapse and are never renewed.
    for (let lost = 1; lost <= 2; lost++) {
      const dying = new Worker(QUEUE_NAME, () => new Promise(() => {}), {
        connection: redisConnection(REDIS_URL),
        prefix,
        lockDuration: 300,
        stalledInterval: 300,
        skipLockRenewal: true,
      });
      await waitFor(async () => (await Job.fromId(queue, triggered.id))?.attemptsStarted === lost);
      await dying.close(true);
    }
    const survivor = setup(catalogue, {
      worker: { lockMs: 300 },
      onFinalFailure: (r) => void alerted.push(r.error ?? ''),
    });
    await survivor.executor.start();

    const result = await triggered.done;
    expect(result).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/^ETL_WORKER_LOST: crashy lost its worker 2 times/),
    });
    expect(alerted).toHaveLength(1);
    expect(runs).toBe(0);
  });

  it('behavior: the trigger side sees the progress the worker reports', async () => {
    const catalogue = [
      testJob('progressing', async ({ onProgress }) => {
        for (let done = 1; done <= 3; done++) {
          onProgress?.({ stream: 's', rowsExtracted: done, rowsLoaded: done, rowsRejected: 0, done, total: 3 });
          await sleep(100);
        }
        return undefined;
      }),
    ];
    const { executor } = setup(catalogue, { worker: {} });
    await executor.start();
    const seen: number[] = [];
    const triggered = await executor.trigger('progressing', { onProgress: (p) => seen.push(p.done ?? 0) });
    expect((await triggered.done).status).toBe('succeeded');
    expect(seen).toEqual([1, 2, 3]);
  });

  it('error: an unknown job is refused before anything is enqueued', async () => {
    const { executor } = setup([testJob('known', async () => undefined)]);
    await expect(executor.trigger('unknown')).rejects.toMatchObject({ code: 'ETL_JOB_UNKNOWN' });
  });

  it('error: Redis not answering fails with ETL_QUEUE_UNREACHABLE instead of hanging', async () => {
    const queue = new Queue(QUEUE_NAME, { connection: redisConnection('redis://127.0.0.1:1') });
    queue.on('error', () => {});
    try {
      await expect(waitForRedis(queue.waitUntilReady(), 'redis://:secret@127.0.0.1:1', 300)).rejects.toMatchObject({
        code: 'ETL_QUEUE_UNREACHABLE',
        message: expect.not.stringContaining('secret'),
      });
    } finally {
      await queue.close().catch(() => {});
    }
  });
});

async function waitFor<T>(probe: () => Promise<T> | T, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(50);
  }
}
