import { setTimeout as sleep } from 'node:timers/promises';
import { Job, Queue, QueueEvents } from 'bullmq';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../src/config.ts';
import { silentLogger } from '../src/internal/logger.ts';
import { buildCatalogue } from '../src/jobs/catalogue.ts';
import type { Executor } from '../src/jobs/executor.ts';
import { QUEUE_NAME, redisConnection } from '../src/jobs/queueConnection.ts';
import { type CoinGeckoEmulator, startCoinGeckoEmulator } from '../src/sandbox/coingecko/server.ts';
import { type RunningCli, startCli } from './helpers/cli.ts';
import { testConfig } from './helpers/config.ts';
import { count, openTestDb, type TestDb } from './helpers/databases.ts';
import { assertRedis, dropPrefix, REDIS_URL, testExecutor, uniquePrefix } from './helpers/queue.ts';

/**
 * Real `crypto-etl worker` processes against PostgreSQL and Redis, loading CoinGecko prices from the emulator
 * slowly enough (each chart request answers after a delay) to be killed or stopped in the middle of the job.
 */
describe('crypto-etl worker processes', () => {
  let testDb: TestDb;
  let emulator: CoinGeckoEmulator;
  let prefix: string;
  let env: Record<string, string>;
  let client: Executor;
  let queue: Queue;
  let events: QueueEvents;
  const workers: RunningCli[] = [];

  beforeAll(async () => {
    await assertRedis();
    testDb = await openTestDb('postgres');
    emulator = await startCoinGeckoEmulator({ coinCount: 20 });
  });

  beforeEach(async () => {
    prefix = uniquePrefix();
    env = {
      DATABASE_URL: testDb.url as string,
      REDIS_URL,
      QUEUE_PREFIX: prefix,
      COINGECKO_API_URL: emulator.url,
      COINGECKO_RATE_PER_MIN: '6000',
      COINS: 'bitcoin,ethereum,usd-coin,tether,weth',
      LOG_LEVEL: 'info',
    };
    const config: Config = testConfig(env);
    client = testExecutor({ config, db: testDb.db, catalogue: buildCatalogue({ config, log: silentLogger() }) });
    queue = new Queue(QUEUE_NAME, { connection: redisConnection(REDIS_URL), prefix });
    events = new QueueEvents(QUEUE_NAME, { connection: redisConnection(REDIS_URL), prefix });
    await events.waitUntilReady();
    // Every chart request answers after 700 ms: five coins make a job of about four seconds.
    emulator.inject({ pathPrefix: '/coins/', delayMs: 700, times: 1_000 });
  });

  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop('SIGKILL')));
    await client.stop();
    await events.close();
    await queue.close();
    await dropPrefix(prefix);
    const { etl, staging } = testDb.db.schemas;
    await testDb.db.exec(`TRUNCATE ${etl}.runs, ${etl}.watermarks, ${staging}.coingecko_prices`);
  });

  afterAll(async () => {
    await emulator?.close();
    await testDb?.close();
  });

  async function worker(): Promise<RunningCli> {
    const cli = startCli(['worker', '--lock-ms', '2000'], env);
    workers.push(cli);
    await cli.waitFor(/worker ready/, 60_000);
    return cli;
  }

  /** Resolves once the job has committed its first batch (and recorded it in its run). */
  async function firstBatchLoaded(): Promise<void> {
    const { etl } = testDb.db.schemas;
    await waitFor(async () => (await count(testDb.db, `${etl}.runs`, 'WHERE rows_loaded > 0')) > 0);
  }

  function countEvents(id: string) {
    const seen = { completed: 0, failed: 0 };
    events.on('completed', ({ jobId }) => void (jobId === id && seen.completed++));
    events.on('failed', ({ jobId }) => void (jobId === id && seen.failed++));
    return seen;
  }

  /** Every price point was extracted once: the points of all runs, the killed one included, are the table. */
  async function expectEachPointLoadedOnce(): Promise<void> {
    const { etl, staging } = testDb.db.schemas;
    const [row] = await testDb.db.query<{ n: string }>(
      `SELECT sum(rows_extracted) AS n FROM ${etl}.runs WHERE stream = 'coingecko.prices'`,
    );
    const rows = await count(testDb.db, `${staging}.coingecko_prices`);
    expect(rows).toBeGreaterThan(5 * 24);
    expect(Number(row?.n)).toBe(rows);
  }

  it('behavior: a worker killed with SIGKILL mid-job → another worker recovers the job; it completes once, no duplicate rows', async () => {
    const [a, b] = await Promise.all([worker(), worker()]);
    const triggered = await client.trigger('coingecko-prices');
    const seen = countEvents(triggered.id);
    const done = triggered.done;
    await firstBatchLoaded();
    const bull = await Job.fromId(queue, triggered.id);
    const victim = bull?.processedBy?.endsWith(`:${a.child.pid}`) ? a : b;
    const survivor = victim === a ? b : a;
    await victim.stop('SIGKILL');

    const result = await done;
    expect(result.status).toBe('succeeded');
    await sleep(300);
    expect(seen).toEqual({ completed: 1, failed: 0 });
    const finished = await Job.fromId(queue, triggered.id);
    expect(finished?.stalledCounter).toBe(1);
    expect(finished?.processedBy).toMatch(new RegExp(`:${survivor.child.pid}$`));

    const runs = await testDb.db.query<{ status: string; error: string | null }>(
      `SELECT status, error FROM ${testDb.db.schemas.etl}.runs WHERE stream = 'coingecko.prices' ORDER BY id`,
    );
    expect(runs.map((r) => r.status)).toEqual(['failed', 'succeeded']);
    expect(runs[0]?.error).toMatch(/^ETL_WORKER_LOST/);
    await expectEachPointLoadedOnce();
  });

  it('behavior: SIGTERM drains cleanly: the job in flight stops at a checkpoint, goes back to the queue, and finishes on the next worker', async () => {
    const a = await worker();
    const triggered = await client.trigger('coingecko-prices');
    const seen = countEvents(triggered.id);
    const done = triggered.done;
    await firstBatchLoaded();

    const stoppedAt = Date.now();
    expect(await a.stop('SIGTERM')).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(10_000);
    expect(a.output()).toContain('handing the job back to the queue');
    const handedBack = await Job.fromId(queue, triggered.id);
    expect(await handedBack?.getState()).toBe('waiting');
    expect(handedBack?.attemptsMade).toBe(0);

    await worker();
    expect((await done).status).toBe('succeeded');
    await sleep(300);
    expect(seen).toEqual({ completed: 1, failed: 0 });
    expect(await queue.getFailedCount()).toBe(0);
    const runs = await testDb.db.query<{ status: string; error: string | null }>(
      `SELECT status, error FROM ${testDb.db.schemas.etl}.runs WHERE stream = 'coingecko.prices' ORDER BY id`,
    );
    expect(runs.map((r) => r.status)).toEqual(['failed', 'succeeded']);
    expect(runs[0]?.error).toMatch(/^ETL_ABORTED/);
    await expectEachPointLoadedOnce();
  });
});

async function waitFor(probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(50);
  }
}
