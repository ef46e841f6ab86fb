import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.ts';
import { readWatermark } from '../src/db/watermarks.ts';
import { silentLogger } from '../src/internal/logger.ts';
import { createRunner, type Runner } from '../src/pipeline/runner.ts';
import { type CoinCapEmulator, startCoinCapEmulator } from '../src/sandbox/coincap/server.ts';
import { type CoinGeckoEmulator, startCoinGeckoEmulator } from '../src/sandbox/coingecko/server.ts';
import { assetsStream } from '../src/sources/coincap/assetsStream.ts';
import { createCoinCapClient } from '../src/sources/coincap/client.ts';
import { exchangesStream } from '../src/sources/coincap/exchangesStream.ts';
import { firstStart, type HistoryCursor, historyStream } from '../src/sources/coincap/historyStream.ts';
import { marketsStream } from '../src/sources/coincap/marketsStream.ts';
import { createCoinGeckoClient } from '../src/sources/coingecko/client.ts';
import { pricesStream } from '../src/sources/coingecko/pricesStream.ts';
import { ROLLUPS, refreshRollups } from '../src/transforms/refreshRollups.ts';
import { testConfig } from './helpers/config.ts';
import { count, openTestDb, type TestDb } from './helpers/databases.ts';

const log = silentLogger();
const KEY = 'cc-test-key-0123456789';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const START = Date.UTC(2026, 4, 3, 10, 20, 30);
const clock = { ms: START };
const COINS = ['bitcoin', 'ethereum', 'usd-coin'];

describe('CoinCap end to end (PostgreSQL, emulator)', () => {
  let cc: CoinCapEmulator;
  let t: TestDb;
  let runner: Runner;
  const settings = (extra: Record<string, string> = {}) => ({
    COINCAP_API_URL: cc.url,
    COINCAP_API_KEY: KEY,
    COINCAP_RATE_PER_MIN: '6000',
    HTTP_MAX_RETRIES: '2',
    COINS: COINS.join(','),
    ...extra,
  });
  const client = (extra: Record<string, string> = {}) =>
    createCoinCapClient({ config: testConfig(settings(extra)), log });
  const history = (interval: 'd1' | 'h1', assets = COINS) =>
    historyStream(client(), { interval, assets, now: () => new Date(clock.ms) });
  const fetchData = async (path: string) =>
    (
      (await (await fetch(`${cc.url}${path}`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as {
        data: Record<string, unknown>[];
      }
    ).data;

  beforeAll(async () => {
    cc = await startCoinCapEmulator({ apiKey: KEY, assetCount: 120, now: () => clock.ms });
    t = await openTestDb('postgres');
    runner = createRunner({ db: t.db, log });
  });
  afterAll(async () => {
    await t?.close();
    await cc?.close();
  });
  afterEach(async () => {
    clock.ms = START;
    await t.db.exec(
      `TRUNCATE staging.coincap_assets, staging.coincap_exchanges, staging.coincap_markets,
        staging.coincap_asset_history, staging.coingecko_prices, warehouse.prices_hourly, etl.rejects, etl.watermarks,
        etl.schema_changes`,
    );
  });

  it('behavior: assets page by page with the bearer key; decimal strings stay exact, unix ms become UTC', async () => {
    const first = await runner.runStream(assetsStream(client(), { perPage: 50 }), { job: 'coincap-assets' });
    expect(first).toMatchObject({ status: 'succeeded', rowsExtracted: 120, rowsLoaded: 120, rowsRejected: 0 });
    const pages = cc.requests.filter((r) => r.path === '/assets').slice(-3);
    expect(pages.map((r) => r.query.offset)).toEqual(['0', '50', '100']);
    expect(pages.every((r) => r.headers.authorization === `Bearer ${KEY}` && r.query.apiKey === undefined)).toBe(true);

    const [wire] = await fetchData('/assets?ids=bitcoin');
    const [row] = await t.db.query<{ price_usd: string; rank: number; symbol: string; updated_at: Date }>(
      `SELECT price_usd::text AS price_usd, rank, symbol, updated_at FROM staging.coincap_assets WHERE id = 'bitcoin'`,
    );
    expect(row).toEqual({ price_usd: wire?.priceUsd, rank: 1, symbol: 'BTC', updated_at: new Date(START) });
    expect(
      (await runner.runStream(assetsStream(client(), { perPage: 50 }), { job: 'coincap-assets' })).rowsLoaded,
    ).toBe(0);
  });

  /** An assets page of 40 from the emulator, changed by `edit`, served once. */
  async function serveAssets(edit: (asset: Record<string, unknown>, i: number) => Record<string, unknown>) {
    const assets = await fetchData('/assets?limit=40');
    cc.inject({
      pathPrefix: '/assets',
      query: { offset: '0' },
      status: 200,
      body: JSON.stringify({ data: assets.map(edit), timestamp: START }),
    });
    return assets;
  }
  const drift = () => t.db.query<{ field: string; kind: string }>('SELECT field, kind FROM etl.schema_changes');
  const assets = () => assetsStream(client(), { perPage: 50 });
  /** The assets page at `offset` answers `data: []` once. */
  const serveEmptyAssetsPage = (offset: string) =>
    cc.inject({
      pathPrefix: '/assets',
      query: { offset },
      status: 200,
      body: JSON.stringify({ data: [], timestamp: START }),
    });

  it('error: an empty first page of assets fails the run as ETL_UPSTREAM_EMPTY, writing nothing', async () => {
    serveEmptyAssetsPage('0');
    const run = await runner.runStream(assets(), { job: 'coincap-assets' });
    expect(run).toMatchObject({ status: 'failed', rowsLoaded: 0 });
    expect(run.error).toMatch(/ETL_UPSTREAM_EMPTY.*CoinCap \/assets \(first page\)/);
    expect(await count(t.db, 'staging.coincap_assets')).toBe(0);
  });

  it('error: an empty exchange list fails the coincap-markets step as ETL_UPSTREAM_EMPTY, writing nothing', async () => {
    cc.inject({ pathPrefix: '/exchanges', status: 200, body: JSON.stringify({ data: [], timestamp: clock.ms }) });
    const result = await runner.runStream(exchangesStream(client()), { job: 'coincap-markets' });
    expect(result).toMatchObject({ status: 'failed', rowsLoaded: 0 });
    expect(result.error).toMatch(/ETL_UPSTREAM_EMPTY.*CoinCap \/exchanges/);
    expect(await readWatermark(t.db, t.db.schemas, 'coincap.exchanges')).toBeUndefined();
    expect((await runner.runStream(exchangesStream(client()), { job: 'coincap-markets' })).rowsLoaded).toBe(8);
  });

  it('error: assets cut short by an empty later page fail as ETL_UPSTREAM_SHORT; the whole next answer succeeds', async () => {
    expect(await runner.runStream(assets(), { job: 'coincap-assets' })).toMatchObject({ status: 'succeeded' });
    expect(await readWatermark(t.db, t.db.schemas, 'coincap.assets')).toMatchObject({ offset: 120, listed: 120 });
    serveEmptyAssetsPage('50');
    const cut = await runner.runStream(assets(), { job: 'coincap-assets' });
    expect(cut).toMatchObject({ status: 'failed', rowsExtracted: 50 });
    expect(cut.error).toMatch(
      /ETL_UPSTREAM_SHORT.*CoinCap \/assets ended after 2 page\(s\) with 50 records where its last whole listing had 120/,
    );
    expect(await readWatermark(t.db, t.db.schemas, 'coincap.assets')).toMatchObject({
      offset: 50,
      listed: 120,
      short: { count: 50, since: new Date(START).toISOString() },
    });
    expect(await runner.runStream(assets(), { job: 'coincap-assets' })).toMatchObject({
      status: 'succeeded',
      rowsExtracted: 120,
    });
  });

  it('behavior: an optional asset field gone loads as NULL in every row and is recorded once as drift', async () => {
    await serveAssets(({ explorer, ...asset }) => asset);
    const run = await runner.runStream(assets(), { job: 'coincap-assets' });
    expect(run).toMatchObject({ status: 'succeeded', rowsLoaded: 40, rowsRejected: 0 });
    expect(await count(t.db, 'staging.coincap_assets', 'WHERE explorer IS NULL')).toBe(40);
    expect(await drift()).toEqual([{ field: 'explorer', kind: 'missing' }]);
  });

  it('error: a required asset field gone fails the run naming it; 10 % malformed fails it too; nothing is written', async () => {
    await serveAssets(({ priceUsd, ...asset }) => ({ ...asset, price: priceUsd }));
    const renamed = await runner.runStream(assets(), { job: 'coincap-assets' });
    expect(renamed.status).toBe('failed');
    expect(renamed.error).toMatch(/^ETL_SCHEMA_DRIFT: required field "priceUsd" absent from all 40 records/);
    await serveAssets((asset, i) => (i % 10 === 0 ? { ...asset, supply: 'many' } : asset));
    const malformed = await runner.runStream(assets(), { job: 'coincap-assets' });
    expect(malformed.error).toMatch(/^ETL_REJECTS_EXCEEDED: 4 of 40 records \(10 %\)/);
    expect(await count(t.db, 'staging.coincap_assets')).toBe(0);
    expect(await count(t.db, 'etl.rejects')).toBe(0);
    expect(await readWatermark(t.db, t.db.schemas, 'coincap.assets')).toBeUndefined();
  });

  it('behavior: exchanges and markets land once per CoinCap update; a rerun in the same minute adds nothing', async () => {
    const exchanges = await runner.runStream(exchangesStream(client()), { job: 'coincap-markets' });
    expect(exchanges).toMatchObject({ status: 'succeeded', rowsLoaded: 8 });
    const allMarkets = await fetchData('/markets?limit=2000');
    const markets = await runner.runStream(marketsStream(client(), { perPage: 100 }), { job: 'coincap-markets' });
    expect(markets).toMatchObject({ status: 'succeeded', rowsLoaded: allMarkets.length, rowsRejected: 0 });
    expect(allMarkets.length).toBeGreaterThan(100);
    expect((await runner.runStream(marketsStream(client()), { job: 'coincap-markets' })).rowsLoaded).toBe(0);
    expect((await runner.runStream(exchangesStream(client()), { job: 'coincap-markets' })).rowsLoaded).toBe(0);

    clock.ms += 60_000;
    expect((await runner.runStream(exchangesStream(client()), { job: 'coincap-markets' })).rowsLoaded).toBe(8);
    const [binance] = await t.db.query<{ socket: boolean; updated_at: Date; trading_pairs: number }>(
      `SELECT socket, updated_at, trading_pairs FROM staging.coincap_exchanges
       WHERE exchange_id = 'binance' ORDER BY updated_at DESC LIMIT 1`,
    );
    expect(binance).toMatchObject({ socket: true, updated_at: new Date(Math.floor(clock.ms / 60_000) * 60_000) });
    expect(binance?.trading_pairs).toBe(await count(t.db, 'staging.coincap_markets', "WHERE exchange_id = 'binance'"));
  });

  it('behavior: daily and hourly history load from the watermark; later runs add only the new points', async () => {
    const monthStart = Date.UTC(2026, 4, 1);
    const hours = Math.floor((START - monthStart) / HOUR) + 1;
    const hourly = await runner.runStream(history('h1'), { job: 'coincap-history' });
    expect(hourly).toMatchObject({ status: 'succeeded', rowsLoaded: hours * COINS.length, rowsRejected: 0 });
    const daily = await runner.runStream(history('d1'), { job: 'coincap-history' });
    expect(daily).toMatchObject({ status: 'succeeded', rowsLoaded: 366 * COINS.length });
    const [first] = await t.db.query<{ ts: Date }>(
      `SELECT min(ts) AS ts FROM staging.coincap_asset_history WHERE granularity = 'h1' AND asset_id = 'ethereum'`,
    );
    expect(first?.ts).toEqual(new Date(monthStart));
    // The watermark is the last point received (10:00), not the end of the window asked for (10:20:30).
    const lastHour = Math.floor(START / HOUR) * HOUR;
    expect((await readWatermark<HistoryCursor>(t.db, t.db.schemas, 'coincap.history_hourly'))?.bitcoin).toBe(lastHour);

    expect((await runner.runStream(history('h1'), { job: 'coincap-history' })).rowsLoaded).toBe(0);
    clock.ms += 3 * HOUR;
    expect((await runner.runStream(history('h1'), { job: 'coincap-history' })).rowsLoaded).toBe(3 * COINS.length);
    clock.ms += DAY;
    expect((await runner.runStream(history('d1'), { job: 'coincap-history' })).rowsLoaded).toBe(COINS.length);
  });

  it('behavior: an empty or partial history answer leaves the watermark on the last point; the next run loads the rest', async () => {
    const hourly = () => runner.runStream(history('h1', ['bitcoin']), { job: 'coincap-history' });
    const watermark = async () =>
      (await readWatermark<HistoryCursor>(t.db, t.db.schemas, 'coincap.history_hourly'))?.bitcoin;
    expect((await hourly()).status).toBe('succeeded');
    const lastHour = Math.floor(START / HOUR) * HOUR;
    expect(await watermark()).toBe(lastHour);
    const stored = await count(t.db, 'staging.coincap_asset_history', `WHERE asset_id = 'bitcoin'`);

    // Three hours later CoinCap answers nothing (a passing fault): no row, and the three hours are not skipped.
    clock.ms += 3 * HOUR;
    cc.inject({
      pathPrefix: '/assets/bitcoin/history',
      status: 200,
      body: JSON.stringify({ data: [], timestamp: clock.ms }),
    });
    expect(await hourly()).toMatchObject({ status: 'succeeded', rowsLoaded: 0 });
    expect(await watermark()).toBe(lastHour);

    // Then only the first of the three hours: the watermark stops on it.
    const point = (ts: number) => ({
      priceUsd: '100.5',
      time: ts,
      circulatingSupply: '1.5',
      date: new Date(ts).toISOString(),
    });
    cc.inject({
      pathPrefix: '/assets/bitcoin/history',
      status: 200,
      body: JSON.stringify({ data: [point(lastHour + HOUR)], timestamp: clock.ms }),
    });
    expect(await hourly()).toMatchObject({ status: 'succeeded', rowsLoaded: 1 });
    expect(await watermark()).toBe(lastHour + HOUR);

    // The whole answer comes back: the two hours left load, none is missing.
    expect(await hourly()).toMatchObject({ status: 'succeeded', rowsLoaded: 2 });
    expect(await watermark()).toBe(lastHour + 3 * HOUR);
    expect(await count(t.db, 'staging.coincap_asset_history', `WHERE asset_id = 'bitcoin'`)).toBe(stored + 3);
  });

  it('behavior: a window answered with points outside it only counts as empty: the next window does not skip it', async () => {
    const hourly = () => runner.runStream(history('h1', ['bitcoin']), { job: 'coincap-history' });
    const watermark = async () =>
      (await readWatermark<HistoryCursor>(t.db, t.db.schemas, 'coincap.history_hourly'))?.bitcoin;
    expect((await hourly()).status).toBe('succeeded');
    const lastHour = Math.floor(START / HOUR) * HOUR;
    const stored = await count(t.db, 'staging.coincap_asset_history', `WHERE asset_id = 'bitcoin'`);

    // 40 days later the first 30-day window is answered with the stored last hour alone (before the window asked):
    // nothing of the window came, so the second window's points must not move the watermark past it.
    clock.ms += 40 * 24 * HOUR;
    cc.inject({
      pathPrefix: '/assets/bitcoin/history',
      status: 200,
      body: JSON.stringify({
        data: [{ priceUsd: '100.5', time: lastHour, circulatingSupply: '1.5', date: new Date(lastHour).toISOString() }],
        timestamp: clock.ms,
      }),
    });
    expect((await hourly()).status).toBe('succeeded');
    expect(await watermark()).toBe(lastHour);

    // The next run loads the 40 days whole.
    expect((await hourly()).status).toBe('succeeded');
    expect(await watermark()).toBe(lastHour + 40 * 24 * HOUR);
    expect(await count(t.db, 'staging.coincap_asset_history', `WHERE asset_id = 'bitcoin'`)).toBe(stored + 40 * 24);
  });

  it('error: on a first run an empty window before points from its next window’s start fails; a rerun loads it all', async () => {
    // The first daily run asks a year back in two windows (365 days, then today). CoinCap answers the first
    // bitcoin window empty (a passing fault): bitcoin was listed in 2013, so that is no "not listed yet".
    cc.inject({
      pathPrefix: '/assets/bitcoin/history',
      status: 200,
      body: JSON.stringify({ data: [], timestamp: START }),
    });
    const daily = () => runner.runStream(history('d1'), { job: 'coincap-history' });
    const rows = (asset: string) => count(t.db, 'staging.coincap_asset_history', `WHERE asset_id = '${asset}'`);
    const failed = await daily();
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/^ETL_UPSTREAM_EMPTY: CoinCap answered an empty history window before points/);
    expect(failed.error).toContain(`bitcoin: nothing for ${new Date(firstStart('d1', new Date(START))).toISOString()}`);
    // Bitcoin: nothing stored, no watermark (the old code stored today's point and moved past the year for good).
    expect(await rows('bitcoin')).toBe(0);
    const cursor = await readWatermark<HistoryCursor>(t.db, t.db.schemas, 'coincap.history_daily');
    expect(cursor?.bitcoin).toBeUndefined();
    expect(await rows('ethereum')).toBe(366);

    expect(await daily()).toMatchObject({ status: 'succeeded', rowsLoaded: 366 });
    expect(await rows('bitcoin')).toBe(366);
  });

  it('behavior: an empty window before the coin’s listing is passed when the next window’s first point is after its start', async () => {
    // Bitcoin was listed on 2013-04-28: from 2012-01-01 the first daily window is empty, the second starts on
    // 2012-12-31 and its first point is the listing day, months in.
    const fromMs = Date.UTC(2012, 0, 1);
    const toMs = Date.UTC(2014, 0, 1);
    const stream = historyStream(client(), {
      interval: 'd1',
      assets: ['bitcoin'],
      fromMs,
      toMs,
      now: () => new Date(clock.ms),
    });
    const days = (toMs - Date.UTC(2013, 3, 28)) / DAY + 1;
    expect(await runner.runStream(stream, { job: 'coincap-history' })).toMatchObject({
      status: 'succeeded',
      rowsLoaded: days,
    });
    expect((await readWatermark<HistoryCursor>(t.db, t.db.schemas, 'coincap.history_daily'))?.bitcoin).toBe(toMs);
  });

  it('args: --from below the watermark passes the empty windows before a coin’s listing (the coin has points later)', async () => {
    // A first daily run stores the last year: bitcoin has a watermark. A backfill from 2012 then starts a year
    // before bitcoin's listing (2013-04-28): that empty window is below the stored points, not a gap after them.
    expect(await runner.runStream(history('d1', ['bitcoin']), { job: 'coincap-history' })).toMatchObject({
      status: 'succeeded',
    });
    const watermark = (await readWatermark<HistoryCursor>(t.db, t.db.schemas, 'coincap.history_daily'))?.bitcoin;
    const toMs = Date.UTC(2014, 0, 1);
    const backfill = historyStream(client(), {
      interval: 'd1',
      assets: ['bitcoin'],
      fromMs: Date.UTC(2012, 0, 1),
      toMs,
      now: () => new Date(clock.ms),
    });
    expect(await runner.runStream(backfill, { job: 'coincap-history' })).toMatchObject({
      status: 'succeeded',
      rowsLoaded: (toMs - Date.UTC(2013, 3, 28)) / DAY + 1,
    });
    expect((await readWatermark<HistoryCursor>(t.db, t.db.schemas, 'coincap.history_daily'))?.bitcoin).toBe(watermark);
  });

  it('behavior: the price_spread view sets CoinGecko and CoinCap side by side per coin and hour', async () => {
    const cg: CoinGeckoEmulator = await startCoinGeckoEmulator({ coinCount: 20, now: () => clock.ms });
    try {
      const gecko = createCoinGeckoClient({
        config: testConfig({ COINGECKO_API_URL: cg.url, COINGECKO_RATE_PER_MIN: '6000' }),
        log,
      });
      const prices = pricesStream(gecko, { coins: COINS, vsCurrency: 'usd', now: () => new Date(clock.ms) });
      expect((await runner.runStream(prices, { job: 'coingecko-prices' })).status).toBe('succeeded');
      await refreshRollups(t.db, ROLLUPS);
      expect((await runner.runStream(history('h1'), { job: 'coincap-history' })).status).toBe('succeeded');

      const hours = Math.floor((START - Date.UTC(2026, 4, 1)) / HOUR) + 1;
      expect(await count(t.db, 'warehouse.price_spread')).toBe(hours * COINS.length);
      const rows = await t.db.query<Record<string, string>>(
        `SELECT coingecko_price_usd::float8 AS g, coincap_price_usd::float8 AS c, spread_usd::float8 AS s,
           spread_pct::float8 AS p FROM warehouse.price_spread WHERE coin_id = 'bitcoin' ORDER BY hour`,
      );
      for (const r of rows) {
        const [g, c, s, p] = [r.g, r.c, r.s, r.p].map(Number) as [number, number, number, number];
        expect(s).toBeCloseTo(c - g, 6);
        expect(p).toBeCloseTo((100 * (c - g)) / g, 3);
        expect(Math.abs(p)).toBeLessThanOrEqual(0.41);
      }
      expect(new Set(rows.map((r) => Math.sign(Number(r.p)))).size).toBeGreaterThan(1);
    } finally {
      await cg.close();
    }
  });

  it('error: a refused key fails the run with what to set, never showing the key, and writes nothing', async () => {
    const wrong = 'wrong-key-abcdefghijkl';
    const result = await runner.runStream(assetsStream(client({ COINCAP_API_KEY: wrong })), { job: 'coincap-assets' });
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(/ETL_UPSTREAM_AUTH.*401.*COINCAP_API_KEY/);
    expect(result.error).not.toContain(wrong);
    expect(await count(t.db, 'staging.coincap_assets')).toBe(0);
  });

  it('error: 429 waits Retry-After and succeeds; a bad record goes to etl.rejects while the rest load', async () => {
    cc.inject({ pathPrefix: '/exchanges', status: 429 });
    const before = Date.now();
    const result = await runner.runStream(exchangesStream(client()), { job: 'coincap-markets' });
    expect(result).toMatchObject({ status: 'succeeded', rowsLoaded: 8 });
    expect(Date.now() - before).toBeGreaterThanOrEqual(900);

    // 30 good hours and a bad one: 3 % of the batch, within REJECT_MAX_SHARE.
    const point = (h: number) => ({
      priceUsd: '100.5',
      time: Date.UTC(2026, 4, 1, h),
      circulatingSupply: '1.5',
      date: new Date(Date.UTC(2026, 4, 1, h)).toISOString(),
    });
    const body = JSON.stringify({
      data: [...Array.from({ length: 30 }, (_, h) => point(h)), { ...point(30), priceUsd: 'NaN' }],
      timestamp: START,
    });
    cc.inject({ pathPrefix: '/assets/bitcoin/history', body, status: 200 });
    const run = await runner.runStream(history('h1', ['bitcoin']), { job: 'coincap-history' });
    expect(run).toMatchObject({ status: 'succeeded', rowsLoaded: 30, rowsRejected: 1 });
    const [reject] = await t.db.query<{ reason: string; payload: { priceUsd: string } }>(
      `SELECT reason, payload FROM etl.rejects WHERE stream = 'coincap.history_hourly'`,
    );
    expect(reject?.reason).toMatch(/priceUsd: expected a decimal number/);
    expect(reject?.payload.priceUsd).toBe('NaN');
    expect(await count(t.db, 'staging.coincap_asset_history', `WHERE ts = '2026-05-01T00:00:00Z'`)).toBe(1);
  });

  it('error: the retired v2 host answers a notice with HTTP 200, which fails with how to move to v3', async () => {
    const v2 = await startCoinCapEmulator({ deprecatedV2: true });
    try {
      const url = v2.url.replace(/\/v3$/, '/v2');
      const result = await runner.runStream(assetsStream(client({ COINCAP_API_URL: url })), { job: 'coincap-assets' });
      expect(result.status).toBe('failed');
      expect(result.error).toMatch(
        /ETL_UPSTREAM_MALFORMED.*deprecating.*COINCAP_API_URL=https:\/\/rest\.coincap\.io\/v3/,
      );
    } finally {
      await v2.close();
    }
  });

  it('args: coincap-history --from re-extracts a window without moving the watermark back; unknown ids are skipped', async () => {
    const app = await createApp({
      config: testConfig(settings({ COINS: 'bitcoin,no-such-coin' })),
      log,
      db: t.db,
      migrate: false,
      now: () => new Date(clock.ms),
    });
    try {
      const first = await (await app.executor.trigger('coincap-history', { retries: 0 })).done;
      expect(first.status).toBe('succeeded');
      const cursor = await readWatermark<HistoryCursor>(t.db, t.db.schemas, 'coincap.history_hourly');
      expect(Object.keys(cursor ?? {})).toEqual(['bitcoin']);
      const yesterday = Math.floor(clock.ms / DAY) * DAY - DAY;
      await t.db.query('DELETE FROM staging.coincap_asset_history WHERE ts >= $1 AND ts < $2', [
        new Date(yesterday),
        new Date(yesterday + DAY),
      ]);

      const args = { from: new Date(yesterday).toISOString().slice(0, 10), to: String(yesterday + DAY - 1) };
      const again = await (await app.executor.trigger('coincap-history', { args })).done;
      expect(again.status).toBe('succeeded');
      expect(again.runs.map((r) => [r.stream, r.rowsLoaded])).toEqual([
        ['coincap.history_daily', 1],
        ['coincap.history_hourly', 24],
      ]);
      expect(await readWatermark<HistoryCursor>(t.db, t.db.schemas, 'coincap.history_hourly')).toEqual(cursor);

      const bad = await (await app.executor.trigger('coincap-history', { args: { from: 'yesterday' } })).done;
      expect(bad).toMatchObject({ status: 'failed', error: expect.stringMatching(/--from "yesterday" is not a date/) });
    } finally {
      await app.close();
    }
  });

  it('behavior: without COINCAP_API_KEY the jobs are skipped, not failed, and call nothing', async () => {
    const app = await createApp({
      config: testConfig(settings({ COINCAP_API_KEY: '' })),
      log,
      db: t.db,
      migrate: false,
    });
    try {
      const calls = cc.requests.length;
      const result = await (await app.executor.trigger('coincap-assets')).done;
      expect(result).toEqual({ job: 'coincap-assets', status: 'succeeded', runs: [] });
      expect(cc.requests.length).toBe(calls);
    } finally {
      await app.close();
    }
  });
});
