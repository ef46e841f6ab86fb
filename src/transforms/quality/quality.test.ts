import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runningClock } from '../../../test/helpers/clock.ts';
import { testConfig } from '../../../test/helpers/config.ts';
import { count, openTestDb, POSTGRES_ENGINES, type TestDb } from '../../../test/helpers/databases.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../../../test/helpers/webhookReceiver.ts';
import { createApp } from '../../app.ts';
import type { Db } from '../../db/types.ts';
import { silentLogger } from '../../internal/logger.ts';
import { applyRetention } from '../retention.ts';
import { checkDuplicateKeys } from './duplicateKeys.ts';
import { checkFreshness } from './freshness.ts';
import { checkGaps } from './gaps.ts';
import { checkPriceJumps } from './priceJumps.ts';
import { runQualityChecks } from './runQualityChecks.ts';

const NOW = new Date('2026-01-10T12:00:00Z');
const HOUR = 3_600_000;
const at = (msBeforeNow: number) => new Date(NOW.getTime() - msBeforeNow);

async function addRun(db: Db, job: string, stream: string, status: string, startedAgoMs: number) {
  await db.query(
    `INSERT INTO ${db.schemas.etl}.runs (job, stream, status, started_at, finished_at)
     VALUES ($1, $2, $3, $4, $5)`,
    [job, stream, status, at(startedAgoMs), status === 'running' ? null : at(startedAgoMs - 60_000)],
  );
}

async function addHourly(db: Db, coin: string, hoursAgo: number[], now = NOW) {
  for (const h of hoursAgo) {
    await db.query(
      `INSERT INTO ${db.schemas.warehouse}.prices_hourly
         (coin_id, vs_currency, hour, open, high, low, close, average, points) VALUES ($1, 'usd', $2, 1, 1, 1, 1, 1, 1)`,
      [coin, new Date(now.getTime() - h * HOUR)],
    );
  }
}

async function addPrices(db: Db, coin: string, prices: number[]) {
  for (const [i, price] of prices.entries()) {
    await db.query(
      `INSERT INTO ${db.schemas.staging}.coingecko_prices (coin_id, vs_currency, ts, price) VALUES ($1, 'usd', $2, $3)`,
      [coin, at((prices.length - i) * HOUR), price],
    );
  }
}

async function databaseNow(db: Db): Promise<Date> {
  const [row] = await db.query<{ now: Date }>('SELECT now() AS now');
  return new Date(row?.now as Date);
}

describe.each(POSTGRES_ENGINES)('data-quality checks (%s)', (engine) => {
  let testDb: TestDb;
  let db: Db;

  beforeAll(async () => {
    testDb = await openTestDb(engine);
    db = testDb.db;
  });

  beforeEach(async () => {
    const { etl, staging, warehouse } = db.schemas;
    await db.exec(
      `TRUNCATE ${etl}.runs, ${etl}.rejects, ${etl}.quality_results, ${staging}.coingecko_prices,
         ${staging}.coingecko_markets, ${warehouse}.prices_hourly, ${warehouse}.prices_daily`,
    );
  });

  afterAll(async () => {
    await testDb?.close();
  });

  it('behavior: freshness passes a recent success, fails a stream older than two intervals plus the timeout', async () => {
    await addRun(db, 'hourly-job', 'fresh', 'succeeded', 30 * 60_000);
    await addRun(db, 'hourly-job', 'stale', 'succeeded', 200 * 60_000);
    await addRun(db, 'hourly-job', 'stale', 'failed', 20 * 60_000);
    await addRun(db, 'hourly-job', 'first-run', 'running', 5 * 60_000);
    const jobs = [
      { name: 'hourly-job', schedule: '0 * * * *', timeoutMs: 10 * 60_000 },
      { name: 'never-ran', schedule: '0 9 * * *', timeoutMs: 60_000 },
      { name: 'manual', schedule: null, timeoutMs: 60_000 },
    ];
    const results = await checkFreshness(db, jobs, NOW);
    const by = Object.fromEntries(results.map((r) => [r.subject, r]));
    expect(by['hourly-job/fresh']).toMatchObject({ status: 'passed', value: 29, threshold: 130 });
    expect(by['hourly-job/stale']).toMatchObject({ status: 'failed', value: 199, threshold: 130 });
    expect(by['hourly-job/first-run']).toMatchObject({ status: 'passed', details: { neverSucceeded: true } });
    expect(by['never-ran']).toMatchObject({ status: 'skipped' });
    expect(results).toHaveLength(4);
  });

  it('behavior: gaps count the missing hours inside each series, not after its last point', async () => {
    await addHourly(db, 'bitcoin', [10, 9, 8, 5, 4, 3]);
    await addHourly(db, 'ethereum', [10, 9, 8, 7, 6]);
    const results = (await checkGaps(db, NOW)).filter((r) => r.check === 'gaps_hourly');
    const by = Object.fromEntries(results.map((r) => [r.subject, r]));
    expect(by['bitcoin/usd']).toMatchObject({ status: 'failed', value: 2 });
    expect(by['bitcoin/usd']?.details?.gaps).toEqual([
      { after: at(8 * HOUR).toISOString(), before: at(5 * HOUR).toISOString() },
    ]);
    expect(by['ethereum/usd']).toMatchObject({ status: 'passed', value: 0 });
  });

  it('behavior: duplicate keys fail a relation without a constraint; a missing relation is skipped', async () => {
    const { staging } = db.schemas;
    await db.exec(`DROP TABLE IF EXISTS ${staging}.quality_dupes; CREATE TABLE ${staging}.quality_dupes (id text)`);
    await db.exec(`INSERT INTO ${staging}.quality_dupes VALUES ('a'), ('a'), ('b')`);
    const results = await checkDuplicateKeys(db, [
      { relation: (s) => `${s.staging}.quality_dupes`, key: ['id'] },
      { relation: (s) => `${s.staging}.coingecko_prices`, key: ['coin_id', 'vs_currency', 'ts'], recent: 'ts' },
      { relation: (s) => `${s.staging}.no_such_table`, key: ['id'] },
    ]);
    expect(results.map((r) => [r.status, r.value])).toEqual([
      ['failed', 1],
      ['passed', 0],
      ['skipped', null],
    ]);
    expect(results[0]?.details?.examples).toEqual([{ id: 'a', n: expect.anything() }]);
    const defaults = await checkDuplicateKeys(db);
    expect(defaults.filter((r) => r.status === 'failed')).toEqual([]);
  });

  it('behavior: a transaction hash stored at two heights fails duplicate_keys (its primary key holds the height)', async () => {
    const { staging } = db.schemas;
    const tx = (block: number) =>
      db.query(
        `INSERT INTO ${staging}.evm_transactions (chain_id, hash, block_number, block_hash, block_time, transaction_index,
           from_address, value, gas, input, nonce)
         VALUES (1, '0xdup', $1, $2, $3, 0, '0xfrom', 0, 21000, '0x', 0)`,
        [block, `0xblock${block}`, at(HOUR)],
      );
    await tx(10);
    await tx(11);
    const results = await checkDuplicateKeys(db, undefined, NOW);
    expect(results.find((r) => r.subject === `${staging}.evm_transactions`)).toMatchObject({
      status: 'failed',
      value: 1,
    });
    await db.exec(`DELETE FROM ${staging}.evm_transactions WHERE hash = '0xdup'`);
  });

  it('behavior: a price move beyond the threshold fails its series; older points are not judged again', async () => {
    // `since` is on the database's clock, which stamps loaded_at.
    const before = await databaseNow(db);
    await addPrices(db, 'bitcoin', [100, 101, 150, 151]);
    await addPrices(db, 'ethereum', [10, 10.5, 11]);
    const results = await checkPriceJumps(db, { pct: 25, since: before });
    const by = Object.fromEntries(results.map((r) => [r.subject, r]));
    expect(by['bitcoin/usd']).toMatchObject({ status: 'failed', value: 1, threshold: 25 });
    expect(by['bitcoin/usd']?.details?.jumps).toEqual([
      expect.objectContaining({ price: 150, previousPrice: 101, changePct: 48.51 }),
    ]);
    expect(by['ethereum/usd']).toMatchObject({ status: 'passed', value: 0 });
    expect(await checkPriceJumps(db, { pct: 25, since: await databaseNow(db) })).toEqual([]);
  });

  it('behavior: results are stored; only checks that start failing are reported for alerting', async () => {
    await addHourly(db, 'bitcoin', [6, 3]);
    const jobs = [{ name: 'hourly-job', schedule: '0 * * * *', timeoutMs: 60_000 }];
    const first = await runQualityChecks(db, { jobs, priceJumpPct: 25, now: NOW });
    expect(first.newlyFailed.map((r) => `${r.check} ${r.subject}`)).toEqual(['gaps_hourly bitcoin/usd']);
    const second = await runQualityChecks(db, { jobs, priceJumpPct: 25, now: new Date(NOW.getTime() + HOUR) });
    expect(second.newlyFailed).toEqual([]);
    expect(await count(db, `${db.schemas.etl}.quality_results`)).toBe(first.results.length + second.results.length);
  });

  it('behavior: retention deletes what is older than RETENTION_DAYS and keeps runs still going', async () => {
    const { etl, staging } = db.schemas;
    const day = 86_400_000;
    await addRun(db, 'old', 's', 'succeeded', 40 * day);
    await addRun(db, 'old', 's', 'running', 40 * day);
    await addRun(db, 'new', 's', 'succeeded', day);
    await db.query(
      `INSERT INTO ${etl}.rejects (stream, reason, created_at) VALUES ('s', 'bad', $1), ('s', 'bad', $2)`,
      [at(40 * day), at(day)],
    );
    const deleted = await applyRetention(db, 30, { now: NOW });
    expect(deleted).toMatchObject({ [`${etl}.runs`]: 1, [`${etl}.rejects`]: 1, [`${staging}.coingecko_markets`]: 0 });
    expect(await count(db, `${etl}.runs`)).toBe(2);
    expect(await count(db, `${etl}.rejects`)).toBe(1);
  });
});

describe('quality job', () => {
  let testDb: TestDb;
  let receiver: WebhookReceiver;
  const received = () => receiver.requests.map((r) => r.body as { text: string });

  beforeAll(async () => {
    testDb = await openTestDb('postgres');
    receiver = await startWebhookReceiver();
  });

  afterAll(async () => {
    await receiver?.close();
    await testDb?.close();
  });

  it('behavior: a failed check posts one alert; the same failure an hour later does not post again', async () => {
    const url = `${receiver.url}/hook`;
    const config = testConfig({ ALERT_WEBHOOK_URL: url, QUALITY_PRICE_JUMP_PCT: '10' });
    // The job's clock starts at NOW and runs on: each run is checked at its own instant.
    const now = runningClock(NOW.toISOString());
    const app = await createApp({
      config,
      log: silentLogger(),
      db: testDb.db,
      migrate: false,
      now: () => new Date(now()),
    });
    try {
      await addPrices(testDb.db, 'bitcoin', [100, 130]);
      const first = await (await app.executor.trigger('quality')).done;
      expect(first.status).toBe('succeeded');
      expect(received()).toHaveLength(1);
      expect(received()[0]?.text).toContain('price_jumps bitcoin/usd: 1 move(s) beyond 10%');

      await addHourly(testDb.db, 'ethereum', [5, 2]);
      await (await app.executor.trigger('quality')).done;
      expect(received()).toHaveLength(2);
      expect(received()[1]?.text).toContain('gaps_hourly ethereum/usd');
      expect(received()[1]?.text).not.toContain('price_jumps');

      await (await app.executor.trigger('quality')).done;
      expect(received()).toHaveLength(2);
    } finally {
      await app.close();
    }
  });
});
