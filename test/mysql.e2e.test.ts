import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.ts';
import { readWatermark } from '../src/db/watermarks.ts';
import { silentLogger } from '../src/internal/logger.ts';
import { buildCatalogue, findJob } from '../src/jobs/catalogue.ts';
import { createJobRunner } from '../src/jobs/jobRunner.ts';
import { createRunLog } from '../src/pipeline/runLog.ts';
import { createRunner, type Runner } from '../src/pipeline/runner.ts';
import { isSandboxData, markSandboxData, recentRuns } from '../src/pipeline/status.ts';
import { startCoinCapEmulator } from '../src/sandbox/coincap/server.ts';
import { type CoinGeckoEmulator, startCoinGeckoEmulator } from '../src/sandbox/coingecko/server.ts';
import { createServer } from '../src/server/createServer.ts';
import { assetsStream } from '../src/sources/coincap/assetsStream.ts';
import { createCoinCapClient } from '../src/sources/coincap/client.ts';
import { exchangesStream } from '../src/sources/coincap/exchangesStream.ts';
import { historyStream } from '../src/sources/coincap/historyStream.ts';
import { marketsStream as coincapMarketsStream } from '../src/sources/coincap/marketsStream.ts';
import { createCoinGeckoClient } from '../src/sources/coingecko/client.ts';
import { coinsStream } from '../src/sources/coingecko/coinsStream.ts';
import { marketsStream } from '../src/sources/coingecko/marketsStream.ts';
import { type PricesCursor, pricesStream } from '../src/sources/coingecko/pricesStream.ts';
import type { StreamDefinition } from '../src/sources/stream.ts';
import { ROLLUPS, refreshRollups } from '../src/transforms/refreshRollups.ts';
import { applyRetention } from '../src/transforms/retention.ts';
import { testConfig } from './helpers/config.ts';
import { count, openTestDb, type TestDb } from './helpers/databases.ts';
import { expectTouchStampsOnlyRewrittenRows } from './helpers/touchCheck.ts';

const log = silentLogger();
const COINS = ['bitcoin', 'ethereum', 'usd-coin'];
/** Fixed clock, 5 days and a bit into a month: the price backfill covers whole days, so the rollup is exact. */
const NOW = Date.UTC(2026, 2, 6, 3, 30);

describe('MariaDB as the warehouse', () => {
  let emulator: CoinGeckoEmulator;
  let t: TestDb;
  let runner: Runner;
  let s: { etl: string; staging: string; warehouse: string };
  const client = () =>
    createCoinGeckoClient({
      config: testConfig({ COINGECKO_API_URL: emulator.url, COINGECKO_RATE_PER_MIN: '6000', HTTP_MAX_RETRIES: '1' }),
      log,
    });

  beforeAll(async () => {
    emulator = await startCoinGeckoEmulator({ coinCount: 300, now: () => NOW });
    t = await openTestDb('mysql');
    s = t.db.schemas;
    runner = createRunner({ db: t.db, log });
  });
  afterAll(async () => {
    await t?.close();
    await emulator?.close();
  });

  it('behavior: migrations create every table in its own database, and a second migrate applies nothing', async () => {
    const { migrate } = await import('../src/db/migrate.ts');
    expect((await migrate(t.db)).applied).toEqual([]);
    const tables = await t.db.query<{ t: string }>(
      `SELECT concat(table_schema, '.', table_name) AS t FROM information_schema.tables
       WHERE table_schema IN ($1, $2, $3) ORDER BY t`,
      [s.etl, s.staging, s.warehouse],
    );
    expect(tables.map((r) => r.t)).toEqual(
      expect.arrayContaining([
        `${s.etl}.runs`,
        `${s.etl}.watermarks`,
        `${s.etl}.loaded_files`,
        `${s.staging}.coingecko_prices`,
        `${s.staging}.coincap_asset_history`,
        `${s.warehouse}.prices_daily`,
        `${s.warehouse}.price_spread`,
        `${s.warehouse}.market_overview`,
      ]),
    );
  });

  it('behavior: two processes migrating a new database at once take turns: each migration applies once', async () => {
    const { migrate, migrationsFolder, readSqlFiles } = await import('../src/db/migrate.ts');
    const { openMysql } = await import('../src/db/mysql.ts');
    const fresh = await openTestDb('mysql', { migrate: false });
    const other = await openMysql({ url: fresh.url as string, schemas: fresh.db.schemas });
    try {
      // A scheduler and a worker starting together, both finding the migrations pending.
      const [a, b] = await Promise.all([migrate(fresh.db), migrate(other)]);
      const all = readSqlFiles(migrationsFolder(fresh.db)).map((f) => f.name);
      expect([...a.applied, ...b.applied].sort()).toEqual(all);
      expect(a.applied.filter((name) => b.applied.includes(name))).toEqual([]);
    } finally {
      await other.close();
      await fresh.close();
    }
  });

  it('behavior: coins and markets land through the same storage interface, and reruns change nothing', async () => {
    const coins = await runner.runStream(coinsStream(client()), { job: 'coingecko-coins' });
    expect(coins).toMatchObject({ status: 'succeeded', rowsExtracted: 300, rowsLoaded: 300, rowsRejected: 0 });
    expect((await runner.runStream(coinsStream(client()), { job: 'coingecko-coins' })).rowsLoaded).toBe(0);
    const [usdc] = await t.db.query<{ platforms: unknown }>(
      `SELECT platforms FROM ${s.staging}.coingecko_coins WHERE id = $1`,
      ['usd-coin'],
    );
    // MariaDB's JSON is LONGTEXT underneath; mysql2 parses it from the column's format tag.
    expect(usdc?.platforms).toEqual({ ethereum: '0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48' });

    const markets = await runner.runStream(marketsStream(client(), { vsCurrency: 'usd', perPage: 250 }), {
      job: 'coingecko-markets',
    });
    expect(markets).toMatchObject({ status: 'succeeded', rowsExtracted: 300, rowsLoaded: 300 });
    const again = await runner.runStream(marketsStream(client(), { vsCurrency: 'usd', perPage: 250 }), {
      job: 'coingecko-markets',
    });
    expect(again.rowsLoaded).toBe(0);
    expect(await count(t.db, `${s.staging}.coingecko_markets`)).toBe(300);
    // As the coingecko-markets job does after loading: the latest snapshot of each coin into market_latest.
    expect(await refreshRollups(t.db, ROLLUPS)).toEqual(['market_latest']);
    const top = await t.db.query<{ rank: number; coin_id: string; last_updated: Date }>(
      `SELECT "rank", coin_id, last_updated FROM ${s.warehouse}.market_overview ORDER BY "rank" LIMIT 2`,
    );
    expect(top.map((r) => [Number(r.rank), r.coin_id])).toEqual([
      [1, 'bitcoin'],
      [2, 'ethereum'],
    ]);
    // DATETIME holds UTC: the instant read back is the one written.
    expect(top[0]?.last_updated.getTime()).toBe(Math.floor(NOW / 60_000) * 60_000);

    // market_latest keeps the newest snapshot: an older one loaded later does not replace it, a newer one does
    // (a coin of its own, removed after, so the ranking the next tests read is the emulator's).
    const latest = async () =>
      (
        await t.db.query<{ current_price: string; snapshot_at: Date }>(
          `SELECT current_price, snapshot_at FROM ${s.warehouse}.market_latest WHERE coin_id = 'zz-probe'`,
        )
      )[0];
    const insert = async (at: number, price: string) => {
      await t.db.query(
        `INSERT INTO ${s.staging}.coingecko_markets (coin_id, vs_currency, last_updated, symbol, name, current_price, snapshot_at)
         VALUES ('zz-probe', 'usd', $1, 'zz', 'Probe', $2, $1)`,
        [new Date(at), price],
      );
      await refreshRollups(t.db, ROLLUPS);
      return latest();
    };
    expect(Number((await insert(NOW, '2'))?.current_price)).toBe(2);
    expect(Number((await insert(NOW - 86_400_000, '1.5'))?.current_price)).toBe(2);
    const newer = await insert(NOW + 3_600_000, '123456.25');
    expect([Number(newer?.current_price), newer?.snapshot_at.getTime()]).toEqual([123456.25, NOW + 3_600_000]);
    await t.db.query(`DELETE FROM ${s.staging}.coingecko_markets WHERE coin_id = 'zz-probe'`);
    await t.db.query(`DELETE FROM ${s.warehouse}.market_latest WHERE coin_id = 'zz-probe'`);
  });

  it('behavior: prices load hourly points from the watermark, and the daily rollup matches them exactly', async () => {
    const stream = () => pricesStream(client(), { coins: COINS, vsCurrency: 'usd', now: () => new Date(NOW) });
    const first = await runner.runStream(stream(), { job: 'coingecko-prices' });
    const monthStart = Date.UTC(2026, 2, 1);
    const hours = Math.floor((NOW - monthStart) / 3_600_000) + 1;
    expect(first).toMatchObject({ status: 'succeeded', rowsLoaded: hours * COINS.length, rowsRejected: 0 });
    const cursor = await readWatermark<PricesCursor>(t.db, s, 'coingecko.prices');
    const [last] = await t.db.query<{ ts: Date }>(
      `SELECT max(ts) AS ts FROM ${s.staging}.coingecko_prices WHERE coin_id = 'bitcoin'`,
    );
    expect(cursor?.bitcoin).toBeGreaterThanOrEqual(last?.ts.getTime() ?? Number.NaN);
    expect((await runner.runStream(stream(), { job: 'coingecko-prices' })).rowsLoaded).toBe(0);

    expect(await refreshRollups(t.db, ROLLUPS)).toEqual(['prices_daily', 'prices_hourly', 'market_latest']);
    const points = await t.db.query<{ ts: Date; price: string }>(
      `SELECT ts, price FROM ${s.staging}.coingecko_prices
       WHERE coin_id = 'bitcoin' AND ts >= $1 AND ts < $2 ORDER BY ts`,
      [new Date(Date.UTC(2026, 2, 2)), new Date(Date.UTC(2026, 2, 3))],
    );
    expect(points).toHaveLength(24);
    const prices = points.map((p) => Number(p.price));
    const [day] = await t.db.query<Record<string, string | number | Date>>(
      `SELECT day, open, high, low, close, average, points FROM ${s.warehouse}.prices_daily
       WHERE coin_id = 'bitcoin' AND vs_currency = 'usd' AND day = '2026-03-02'`,
    );
    expect(Number(day?.points)).toBe(24);
    expect(Number(day?.open)).toBeCloseTo(prices[0] as number, 6);
    expect(Number(day?.close)).toBeCloseTo(prices[23] as number, 6);
    expect(Number(day?.high)).toBeCloseTo(Math.max(...prices), 6);
    expect(Number(day?.low)).toBeCloseTo(Math.min(...prices), 6);
    expect(Number(day?.average)).toBeCloseTo(prices.reduce((a, b) => a + b, 0) / 24, 6);
    expect(await count(t.db, `${s.warehouse}.prices_daily`)).toBe(6 * COINS.length);
    expect(await count(t.db, `${s.warehouse}.prices_hourly`)).toBe(hours * COINS.length);

    // A changed price is rewritten (and counted), an unchanged one is not.
    const touched = await t.db.writeRows(
      {
        table: `${s.staging}.coingecko_prices`,
        columns: ['coin_id', 'vs_currency', 'ts', 'price', 'market_cap', 'total_volume'],
        key: ['coin_id', 'vs_currency', 'ts'],
        onConflict: 'update',
      },
      [
        ['bitcoin', 'usd', points[0]?.ts, 1, null, null],
        ['bitcoin', 'usd', points[1]?.ts, points[1]?.price, null, null],
      ],
    );
    expect(touched).toBe(2);
    const [row] = await t.db.query<{ price: string }>(
      `SELECT price FROM ${s.staging}.coingecko_prices WHERE coin_id = 'bitcoin' AND ts = $1`,
      [points[0]?.ts],
    );
    expect(Number(row?.price)).toBe(1);
  });

  it('behavior: CoinCap assets, exchanges, markets and history land exactly; reruns add nothing; price_spread pairs the two sources', async () => {
    const KEY = 'cc-test-key-0123456789';
    const cc = await startCoinCapEmulator({ apiKey: KEY, assetCount: 60, now: () => NOW });
    try {
      const coincap = createCoinCapClient({
        config: testConfig({ COINCAP_API_URL: cc.url, COINCAP_API_KEY: KEY, COINCAP_RATE_PER_MIN: '6000' }),
        log,
      });
      const hours = Math.floor((NOW - Date.UTC(2026, 2, 1)) / 3_600_000) + 1;
      const loadTwice = async <R extends Record<string, unknown>, C>(
        name: string,
        stream: () => StreamDefinition<R, C>,
      ) => {
        const result = await runner.runStream(stream(), { job: `coincap-${name}` });
        expect(result, name).toMatchObject({ status: 'succeeded', rowsRejected: 0 });
        expect((await runner.runStream(stream(), { job: `coincap-${name}` })).rowsLoaded, `${name} rerun`).toBe(0);
        return result.rowsLoaded;
      };
      const loaded = {
        assets: await loadTwice('assets', () => assetsStream(coincap, { perPage: 50 })),
        exchanges: await loadTwice('exchanges', () => exchangesStream(coincap)),
        markets: await loadTwice('markets', () => coincapMarketsStream(coincap, { perPage: 100 })),
        history: await loadTwice('history', () =>
          historyStream(coincap, { interval: 'h1', assets: COINS, now: () => new Date(NOW) }),
        ),
      };
      expect(loaded).toMatchObject({ assets: 60, exchanges: 8, history: hours * COINS.length });
      expect(loaded.markets).toBeGreaterThan(100);

      // Decimal strings stay exact (decimal(65,30) pads with zeros), unix ms become the same UTC instant.
      const wire = (await (
        await fetch(`${cc.url}/assets?ids=bitcoin`, { headers: { authorization: `Bearer ${KEY}` } })
      ).json()) as { data: { priceUsd: string }[] };
      const [btc] = await t.db.query<{ price_usd: string; updated_at: Date; rank: number }>(
        `SELECT price_usd, updated_at, "rank" FROM ${s.staging}.coincap_assets WHERE id = 'bitcoin'`,
      );
      const trimmed = (x: string) => x.replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
      expect(trimmed(String(btc?.price_usd))).toBe(trimmed(wire.data[0]?.priceUsd ?? ''));
      expect(btc?.updated_at).toEqual(new Date(NOW));
      expect(Number(btc?.rank)).toBe(1);

      // The view joins CoinCap's hourly points to the CoinGecko hourly rollup of the same coin and hour.
      await runner.runStream(pricesStream(client(), { coins: COINS, vsCurrency: 'usd', now: () => new Date(NOW) }), {
        job: 'coingecko-prices',
      });
      await refreshRollups(t.db, ROLLUPS);
      expect(await count(t.db, `${s.warehouse}.price_spread`)).toBe(hours * COINS.length);
      const rows = await t.db.query<Record<string, string>>(
        `SELECT coingecko_price_usd AS g, coincap_price_usd AS c, spread_usd AS s, spread_pct AS p
         FROM ${s.warehouse}.price_spread WHERE coin_id = 'bitcoin' ORDER BY hour`,
      );
      for (const r of rows) {
        const [g, c, spread, pct] = [r.g, r.c, r.s, r.p].map(Number) as [number, number, number, number];
        expect(spread).toBeCloseTo(c - g, 6);
        expect(pct).toBeCloseTo((100 * (c - g)) / g, 3);
      }
    } finally {
      await cc.close();
    }
  });

  it('behavior: retention trims runs, rejects and market snapshots; only the lake export is skipped, not failed', async () => {
    const DAY = 86_400_000;
    const old = new Date(NOW - 40 * DAY);
    const recent = new Date(NOW - DAY);
    await t.db.query(
      `INSERT INTO ${s.etl}.runs (job, status, started_at) VALUES ('trim', 'succeeded', $1), ('trim', 'running', $1), ('trim', 'failed', $2)`,
      [old, recent],
    );
    await t.db.query(
      `INSERT INTO ${s.etl}.rejects (stream, reason, created_at) VALUES ('trim', 'bad', $1), ('trim', 'bad', $2)`,
      [old, recent],
    );
    const snapshots = await count(t.db, `${s.staging}.coingecko_markets`);
    await t.db.query(
      `INSERT INTO ${s.staging}.coingecko_markets (coin_id, vs_currency, last_updated, symbol, name, snapshot_at)
       VALUES ('trim-coin', 'usd', $1, 'TRM', 'Trim', $1)`,
      [old],
    );
    const deleted = await applyRetention(t.db, 30, { now: new Date(NOW) });
    expect(deleted).toEqual({
      [`${s.etl}.runs`]: 1,
      [`${s.etl}.rejects`]: 1,
      [`${s.etl}.quality_results`]: 0,
      [`${s.staging}.coingecko_markets`]: 1,
    });
    const left = await t.db.query<{ status: string }>(
      `SELECT status FROM ${s.etl}.runs WHERE job = 'trim' ORDER BY status`,
    );
    expect(left.map((r) => r.status)).toEqual(['failed', 'running']);
    expect(await count(t.db, `${s.staging}.coingecko_markets`)).toBe(snapshots);

    // Dune and the chain have their tables here too: only the lake export (COPY) is left to PostgreSQL. It is not
    // scheduled where it cannot run and skips with a note; the others keep their schedules.
    const config = testConfig({
      DATABASE_URL: t.url as string,
      DUNE_API_KEY: 'dune-test-key-0123456789',
      EVM_RPC_URLS: 'http://127.0.0.1:1',
    });
    const jobRunner = createJobRunner({ config, db: t.db, log, runner });
    const catalogue = buildCatalogue({ config, log });
    expect(
      ['lake-export', 'evm-blocks', 'evm-events', 'dune-update', 'coingecko-prices'].map(
        (name) => findJob(catalogue, name).schedule,
      ),
    ).toEqual([null, '* * * * *', '* * * * *', '0 9 * * *', '0 9 * * *']);
    for (const name of ['quality', 'lake-export', 'retention']) {
      const result = await jobRunner.attempt(findJob(catalogue, name), { trigger: 'manual' }, new AbortController());
      expect(result, name).toMatchObject({ status: 'succeeded' });
      expect(result.runs.length > 0, name).toBe(name !== 'lake-export');
    }
  });

  it('behavior: quality checks run on MariaDB: a price spike fails once, when it arrives; the results are kept', async () => {
    const { runQualityChecks } = await import('../src/transforms/quality/runQualityChecks.ts');
    await runner.runStream(pricesStream(client(), { coins: COINS, vsCurrency: 'usd', now: () => new Date(NOW) }), {
      job: 'coingecko-prices',
    });
    await refreshRollups(t.db, ROLLUPS);
    const options = { jobs: [], priceJumpPct: 20 };
    // A first check takes in whatever earlier tests loaded (one rewrites a price to 1: a jump); the next
    // judges only what arrives after it.
    const first = await runQualityChecks(t.db, options);
    const relations = first.results.filter((r) => r.check === 'duplicate_keys');
    expect(relations.map((r) => r.status)).toEqual(relations.map(() => 'passed'));
    expect(relations.length).toBeGreaterThanOrEqual(5);

    const [last] = await t.db.query<{ ts: Date; price: string }>(
      `SELECT ts, price FROM ${s.staging}.coingecko_prices WHERE coin_id = 'bitcoin' ORDER BY ts DESC LIMIT 1`,
    );
    await t.db.query(
      `INSERT INTO ${s.staging}.coingecko_prices (coin_id, vs_currency, ts, price) VALUES ('bitcoin', 'usd', $1, $2)`,
      [new Date((last?.ts.getTime() ?? 0) + 3_600_000), Number(last?.price) * 3],
    );
    // loaded_at has microseconds, a check's time milliseconds: start the next check in a later millisecond.
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = await runQualityChecks(t.db, options);
    expect(second.newlyFailed.map((r) => [r.check, r.subject, r.value])).toEqual([['price_jumps', 'bitcoin/usd', 1]]);
    const third = await runQualityChecks(t.db, options);
    expect(third.newlyFailed).toEqual([]);
    const stored = await t.db.query<{ subject: string; status: string; details: { jumps: { changePct: number }[] } }>(
      `SELECT subject, status, details FROM ${s.etl}.quality_results
       WHERE check_name = 'price_jumps' AND checked_at = $1`,
      [second.checkedAt],
    );
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ subject: 'bitcoin/usd', status: 'failed' });
    expect(stored[0]?.details.jumps[0]?.changePct).toBe(200);
  });

  it('behavior: the HTTP API answers from MySQL: jobs, runs, watermarks, market, prices (JSON and CSV), coins', async () => {
    // What the earlier tests loaded (reruns add nothing): coins, markets, prices and their rollups.
    await runner.runStream(coinsStream(client()), { job: 'coingecko-coins' });
    await runner.runStream(marketsStream(client(), { vsCurrency: 'usd', perPage: 250 }), { job: 'coingecko-markets' });
    await runner.runStream(pricesStream(client(), { coins: COINS, vsCurrency: 'usd', now: () => new Date(NOW) }), {
      job: 'coingecko-prices',
    });
    await refreshRollups(t.db, ROLLUPS);
    const app = await createApp({ config: testConfig({ COINS: COINS.join(',') }), log, db: t.db, migrate: false });
    const server = await createServer(app);
    try {
      const get = async (url: string) => {
        const res = await server.inject({ url });
        expect(res.statusCode, `${url}: ${res.body.slice(0, 200)}`).toBe(200);
        return res;
      };
      const jobs = (await get('/api/jobs?limit=100')).json().items as Record<string, unknown>[];
      // A job that never ran still has every last-run field, as null.
      expect(jobs.find((j) => j.name === 'dune-query')).toMatchObject({
        last_run_id: null,
        last_status: null,
        failures_24h: 0,
      });
      const prices = jobs.find((j) => j.name === 'coingecko-prices');
      const [lastPrices] = await t.db.query<{ id: number; status: string }>(
        `SELECT id, status FROM ${s.etl}.runs WHERE job = 'coingecko-prices' ORDER BY started_at DESC, id DESC LIMIT 1`,
      );
      expect(prices).toMatchObject({ last_run_id: Number(lastPrices?.id), last_status: lastPrices?.status });

      const runs = (await get('/api/runs?job=coingecko-coins')).json().items as Record<string, unknown>[];
      expect(runs.length).toBeGreaterThan(0);
      expect(runs[0]).toMatchObject({ job: 'coingecko-coins', status: 'succeeded', rows_loaded: expect.any(Number) });
      expect(runs[0]?.duration_ms).toEqual(expect.any(Number));

      const marks = (await get('/api/watermarks')).json().items as { stream: string; cursor: unknown }[];
      expect(marks.find((m) => m.stream === 'coingecko.prices')?.cursor).toMatchObject({ bitcoin: expect.any(Number) });

      const market = (await get('/api/market?limit=3')).json().items as Record<string, unknown>[];
      expect(market.map((m) => [m.rank, m.coin_id])).toEqual([
        [1, 'bitcoin'],
        [2, 'ethereum'],
        [3, expect.any(String)],
      ]);
      expect(market[0]?.current_price).toEqual(expect.any(Number));
      expect((await get('/api/market?sort=gainers&limit=1')).json().items).toHaveLength(1);

      const daily = (await get('/api/prices?coin=bitcoin&interval=daily&order=asc&limit=2')).json().items as Record<
        string,
        unknown
      >[];
      const [day] = await t.db.query<{ close: string; points: number }>(
        `SELECT close, points FROM ${s.warehouse}.prices_daily WHERE coin_id = 'bitcoin' ORDER BY day LIMIT 1`,
      );
      expect(daily[0]).toMatchObject({
        coin_id: 'bitcoin',
        time: '2026-03-01T00:00:00.000Z',
        points: Number(day?.points),
      });
      expect(daily[0]?.close).toBeCloseTo(Number(day?.close), 6);
      const csv = (await get('/api/prices?coin=bitcoin&interval=hourly&format=csv&limit=2')).body.split('\r\n');
      expect(csv[0]).toBe('coin_id,vs_currency,time,open,high,low,close,average,volume,market_cap,points');
      expect(csv[1]).toMatch(/^bitcoin,usd,2026-03-06T\d\d:00:00.000Z,[\d.]+,/);

      const coins = (await get('/api/coins?search=BIT')).json().items as { id: string }[];
      expect(coins.map((c) => c.id)).toContain('bitcoin');
    } finally {
      await server.close();
    }
  });

  it('behavior: the run log, watermarks and the sandbox flag work on MySQL (RETURNING, reserved words)', async () => {
    const runLog = createRunLog(t.db, s);
    const id = await runLog.start('mysql-check', null, 'manual');
    const next = await runLog.start('mysql-check', null, 'manual');
    expect(next).toBe(id + 1);
    await runLog.finish(id, 'succeeded', { rowsExtracted: 3, rowsLoaded: 2, rowsRejected: 1 });
    const runs = await recentRuns(t.db, { job: 'mysql-check' });
    expect(runs.find((r) => r.id === id)).toMatchObject({ status: 'succeeded', trigger: 'manual', rows_loaded: 2 });
    expect(await isSandboxData(t.db)).toBe(false);
    await markSandboxData(t.db);
    expect(await isSandboxData(t.db)).toBe(true);
  });

  it('behavior: touch stamps rows that an update rewrites, and only those', async () => {
    const table = `${s.staging}.t_touch`;
    await t.db.exec(
      `CREATE TABLE ${table} (id int PRIMARY KEY, v text, loaded_at datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6))`,
    );
    await expectTouchStampsOnlyRewrittenRows(t.db, table);
  });

  it('error: a failing statement inside a transaction leaves nothing behind, and real errors are not swallowed', async () => {
    const before = await count(t.db, `${s.staging}.coingecko_coins`);
    const target = {
      table: `${s.staging}.coingecko_coins`,
      columns: ['id', 'symbol', 'name'],
      key: ['id'],
      onConflict: 'ignore' as const,
    };
    await expect(
      t.db.transaction(async (tx) => {
        await tx.writeRows(target, [['new-coin', 'nc', 'New Coin']]);
        await tx.query(`SELECT * FROM ${s.staging}.no_such_table`);
      }),
    ).rejects.toThrow(/no_such_table/);
    expect(await count(t.db, `${s.staging}.coingecko_coins`)).toBe(before);
    // INSERT IGNORE would store '' here with a warning; the duplicate-key no-op still refuses the NULL.
    await expect(t.db.writeRows(target, [['null-name', 'nn', null]])).rejects.toThrow(/cannot be null/i);
    expect(await t.db.writeRows(target, [['bitcoin', 'changed', 'Changed']])).toBe(0);
  });
});
