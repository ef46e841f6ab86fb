import { setTimeout as sleep } from 'node:timers/promises';
import { Job, Queue } from 'bullmq';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../src/config.ts';
import { silentLogger } from '../src/internal/logger.ts';
import { buildCatalogue } from '../src/jobs/catalogue.ts';
import type { Executor } from '../src/jobs/executor.ts';
import { QUEUE_NAME, redisConnection } from '../src/jobs/queueConnection.ts';
import type { RunResult } from '../src/pipeline/runner.ts';
import { type CoinGeckoEmulator, startCoinGeckoEmulator } from '../src/sandbox/coingecko/server.ts';
import { capturingLogger } from './helpers/capturingLogger.ts';
import { CLOCK_CASES, steppingClock } from './helpers/clock.ts';
import { testConfig } from './helpers/config.ts';
import { openTestDb, type TestDb } from './helpers/databases.ts';
import { assertRedis, dropPrefix, REDIS_URL, testExecutor, uniquePrefix } from './helpers/queue.ts';
import { startTcpProxy, type TcpProxy } from './helpers/tcpProxy.ts';

/** How long the workers' Redis is away: the 20–25 s of the operator's finding (issue 14). */
const CUT_MS = 25_000;
/** Short locks, so that the job is recovered within seconds of the cut. */
const LOCK_MS = 2_000;
/** 600 coins: market pages of 250, 250 and 100 (the short last page ends the stream). */
const COINS = 600;
const JOB = 'coingecko-markets';

/**
 * Exactly once on the queue (issue 14 part 3): worker A reaches Redis through a TCP proxy that is cut for 25 s around
 * the end of a run of the real `coingecko-markets` job (PostgreSQL, the CoinGecko emulator). A cannot tell BullMQ the
 * job is done; its lock lapses and worker B, on a Redis that answers, recovers the job. One trigger must still give
 * one succeeded run and one market snapshot.
 */
describe('queue: Redis cut around the end of a run', () => {
  let testDb: TestDb;
  let emulator: CoinGeckoEmulator;
  let proxy: TcpProxy;
  let prefix: string;
  let direct: Config;
  let viaProxy: Config;
  let clock: () => Date;
  const open: Executor[] = [];
  let queue: Queue;

  beforeAll(async () => {
    await assertRedis();
    testDb = await openTestDb('postgres');
    // Every reading a minute later: each run of the job is a snapshot of its own, and so is each page it asks for.
    clock = steppingClock(CLOCK_CASES[2].iso);
    emulator = await startCoinGeckoEmulator({ coinCount: COINS, now: () => clock().getTime() });
    const redis = new URL(REDIS_URL);
    proxy = await startTcpProxy({ host: redis.hostname, port: Number(redis.port || 6379) });
  });

  beforeEach(async () => {
    prefix = uniquePrefix();
    const settings = { QUEUE_PREFIX: prefix, COINGECKO_API_URL: emulator.url, COINGECKO_RATE_PER_MIN: '6000' };
    direct = testConfig({ ...settings, REDIS_URL });
    viaProxy = testConfig({ ...settings, REDIS_URL: `redis://${proxy.address}` });
    queue = new Queue(QUEUE_NAME, { connection: redisConnection(REDIS_URL), prefix });
  });

  afterEach(async () => {
    await proxy.mend();
    await Promise.all(open.splice(0).map((e) => e.stop()));
    await queue.close();
    await dropPrefix(prefix);
    const { etl, staging } = testDb.db.schemas;
    await testDb.db.exec(`TRUNCATE ${etl}.runs, ${etl}.watermarks, ${staging}.coingecko_markets`);
  });

  afterAll(async () => {
    await proxy?.close();
    await emulator?.close();
    await testDb?.close();
  });

  function catalogue(config: Config) {
    return buildCatalogue({ config, log: silentLogger(), now: clock }).filter((job) => job.name === JOB);
  }

  /** Worker A, through the proxy; `runFinished` sees each run it ends. */
  async function workerA(runFinished?: (result: RunResult) => void) {
    const { log, lines } = capturingLogger();
    const executor = testExecutor({
      config: viaProxy,
      db: testDb.db,
      catalogue: catalogue(viaProxy),
      log,
      hooks: { runFinished },
      worker: { concurrency: 1, lockMs: LOCK_MS },
    });
    open.push(executor);
    await executor.start();
    return { lines };
  }

  /** Worker B, straight to Redis: it recovers the job A can no longer report on. */
  async function workerB() {
    const executor = testExecutor({
      config: direct,
      db: testDb.db,
      catalogue: catalogue(direct),
      worker: { concurrency: 1, lockMs: LOCK_MS },
    });
    open.push(executor);
    await executor.start();
  }

  function client() {
    const executor = testExecutor({ config: direct, db: testDb.db, catalogue: catalogue(direct) });
    open.push(executor);
    return executor;
  }

  /** Mends the proxy CUT_MS after the cut, then waits for A to learn that BullMQ no longer holds its job for it. */
  async function mendAndWaitForA(cutAt: number, lines: Record<string, unknown>[]) {
    await sleep(Math.max(0, cutAt + CUT_MS - Date.now()));
    await proxy.mend();
    await waitFor(() => lines.some((l) => String(l.error ?? '').includes('Missing lock')), 20_000);
  }

  async function expectOneRunAndOneSnapshot(triggeredId: string) {
    const { etl, staging } = testDb.db.schemas;
    const runs = await testDb.db.query<{ stream: string; status: string; error: string | null }>(
      `SELECT stream, status, error FROM ${etl}.runs WHERE job = $1 ORDER BY id`,
      [JOB],
    );
    const markets = runs.filter((run) => run.stream === 'coingecko.markets');
    expect(markets).toEqual([{ stream: 'coingecko.markets', status: 'succeeded', error: null }]);
    // Each step of the job (the markets, and whatever the job does after them) ran once, and succeeded.
    expect(runs.map((run) => run.stream)).toEqual([...new Set(runs.map((run) => run.stream))]);
    expect(runs.filter((run) => run.status !== 'succeeded')).toEqual([]);
    const [snapshots] = await testDb.db.query<{ snapshots: string; rows: string }>(
      `SELECT count(DISTINCT snapshot_at) AS snapshots, count(*) AS rows FROM ${staging}.coingecko_markets`,
    );
    expect({ snapshots: Number(snapshots?.snapshots), rows: Number(snapshots?.rows) }).toEqual({
      snapshots: 1,
      rows: COINS,
    });
    // The job was recovered (A's lock lapsed during the cut) and finished once, by B.
    const job = await Job.fromId(queue, triggeredId);
    expect(await job?.getState()).toBe('completed');
    expect(job?.stalledCounter).toBe(1);
    expect(await queue.getFailedCount()).toBe(0);
  }

  it(
    'behavior: Redis cut for 25 s just after a run ends → the recovered job does not run it again: one succeeded run, one snapshot',
    async () => {
      let cutAt = 0;
      const a = await workerA((result) => {
        if (result.stream !== 'coingecko.markets' || cutAt) return;
        // The run is recorded; the job has not yet told BullMQ.
        cutAt = Date.now();
        void proxy.cut();
      });
      const triggered = await client().trigger(JOB, { retries: 0 });
      await waitFor(() => cutAt > 0);
      await workerB();

      expect((await triggered.done).status).toBe('succeeded');
      await mendAndWaitForA(cutAt, a.lines);
      await expectOneRunAndOneSnapshot(triggered.id);
    },
    CUT_MS + 40_000,
  );

  it(
    'behavior: Redis cut for 25 s while the last page is fetched → the run that lost its lock after loading everything is succeeded, and not run again',
    async () => {
      // The last page answers 3 lock lifetimes late: A's run loses its lock while it waits, then loads the page.
      emulator.inject({ pathPrefix: '/coins/markets', query: { page: '3' }, delayMs: 3 * LOCK_MS });
      const a = await workerA();
      const before = emulator.requests.length;
      const triggered = await client().trigger(JOB, { retries: 0 });
      const lastPageAsked = () =>
        emulator.requests.slice(before).some((r) => r.path === '/coins/markets' && r.query.page === '3');
      await waitFor(lastPageAsked);
      const cutAt = Date.now();
      await proxy.cut();
      await waitFor(() => a.lines.some((l) => String(l.msg).startsWith('lost the job lock')));
      // B comes once A's run has ended: what is tested is the recovery of a finished run, not a race with it.
      const { etl } = testDb.db.schemas;
      await waitFor(
        async () =>
          (await testDb.db.query(`SELECT 1 FROM ${etl}.runs WHERE job = $1 AND status <> 'running'`, [JOB])).length > 0,
      );
      await workerB();

      expect((await triggered.done).status).toBe('succeeded');
      await mendAndWaitForA(cutAt, a.lines);
      await expectOneRunAndOneSnapshot(triggered.id);
    },
    CUT_MS + 40_000,
  );
});

async function waitFor(probe: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(20);
  }
}
