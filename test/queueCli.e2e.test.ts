import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/internal/logger.ts';
import { buildCatalogue } from '../src/jobs/catalogue.ts';
import { QUEUE_NAME, redisConnection } from '../src/jobs/queueConnection.ts';
import { runCli, startCli } from './helpers/cli.ts';
import { testConfig } from './helpers/config.ts';
import { openTestDb, type TestDb } from './helpers/databases.ts';
import { assertRedis, dropPrefix, REDIS_URL, uniquePrefix } from './helpers/queue.ts';

/** The queue-mode commands as a user runs them: scheduler, worker, run [--wait], status. */
describe('crypto-etl in queue mode', () => {
  let testDb: TestDb;
  const prefix = uniquePrefix();
  let env: Record<string, string>;

  beforeAll(async () => {
    await assertRedis();
    testDb = await openTestDb('postgres');
    // CoinGecko at a closed port: its jobs fail fast, which is what the failure case needs.
    env = {
      DATABASE_URL: testDb.url as string,
      REDIS_URL,
      QUEUE_PREFIX: prefix,
      COINGECKO_API_URL: 'http://127.0.0.1:1/api/v3',
      HTTP_MAX_RETRIES: '0',
      LOG_LEVEL: 'warn',
    };
  });

  afterAll(async () => {
    await dropPrefix(prefix);
    await testDb?.close();
  });

  it('args: worker and scheduler refuse to start without REDIS_URL, naming the setting', async () => {
    const commands = ['worker', 'scheduler'];
    const results = await Promise.all(commands.map((command) => runCli([command], { REDIS_URL: '' })));
    for (const [i, { code, stderr }] of results.entries()) {
      expect(code).toBe(2);
      expect(stderr).toContain(`ETL_QUEUE_DISABLED: crypto-etl ${commands[i]} needs REDIS_URL`);
    }
  });

  it('behavior: two schedulers started at once register each schedule once; status then shows the next runs', async () => {
    const before = await runCli(['status'], env);
    expect(before.stdout).toMatch(/coingecko-markets +0 \* \* \* \* +NOT REGISTERED/);

    const [a, b] = await Promise.all([runCli(['scheduler'], env), runCli(['scheduler'], env)]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(a.stdout).toMatch(/coingecko-markets +0 \* \* \* \* +next \d{4}-/);

    const scheduled = buildCatalogue({ config: testConfig(env), log: silentLogger() }).filter((j) => j.schedule);
    const queue = new Queue(QUEUE_NAME, { connection: redisConnection(REDIS_URL), prefix });
    try {
      const schedulers = await queue.getJobSchedulers(0, -1);
      expect(schedulers.map((s) => s.key).sort()).toEqual(scheduled.map((j) => j.name).sort());
      expect(await queue.getDelayedCount()).toBe(scheduled.length);
    } finally {
      await queue.close();
    }
    const after = await runCli(['status'], env);
    expect(after.stdout).toMatch(/coingecko-markets +0 \* \* \* \* +next \d{4}-\d\d-\d\dT\d\d:00:00Z/);
  });

  it('behavior: run enqueues; run --wait follows the job to its end and exits 1 when it fails', async () => {
    const worker = startCli(['worker'], { ...env, LOG_LEVEL: 'info' });
    try {
      await worker.waitFor(/worker ready/, 60_000);
      const queued = await runCli(['run', 'quality'], env);
      expect(queued.code).toBe(0);
      expect(queued.stdout).toMatch(/^queued quality as job [0-9a-f]{8}-[0-9a-f-]{27}: /);

      const ok = await runCli(['run', 'warehouse-refresh', '--wait'], env);
      expect(ok.code).toBe(0);
      expect(ok.stdout).toContain('✓ warehouse.refresh');

      const failed = await runCli(['run', 'coingecko-coins', '--wait', '--no-retry'], env);
      expect(failed.code).toBe(1);
      expect(failed.stdout).toContain('✗ coingecko-coins: ETL_UPSTREAM_UNREACHABLE');

      const status = await runCli(['status'], env);
      expect(status.stdout).toMatch(
        /coingecko-coins[^\n]*\n +✗ \S+ coingecko\.coins +[\d.]+ s +0 loaded \/ 0 extracted +ETL_/,
      );
      expect(status.stdout).toMatch(/quality[^\n]*\n +✓ \S+ quality\.checks/);
    } finally {
      expect(await worker.stop('SIGTERM')).toBe(0);
    }
  });
});
