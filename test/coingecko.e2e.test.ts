import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readWatermark, writeWatermark } from '../src/db/watermarks.ts';
import { silentLogger } from '../src/internal/logger.ts';
import { createRunner, type Runner } from '../src/pipeline/runner.ts';
import { type CoinGeckoEmulator, startCoinGeckoEmulator } from '../src/sandbox/coingecko/server.ts';
import { createCoinGeckoClient } from '../src/sources/coingecko/client.ts';
import { coinsStream } from '../src/sources/coingecko/coinsStream.ts';
import { marketsStream } from '../src/sources/coingecko/marketsStream.ts';
import { type PricesCursor, pricesStream, startOfMonthUtc } from '../src/sources/coingecko/pricesStream.ts';
import { ROLLUPS, refreshRollups } from '../src/transforms/refreshRollups.ts';
import { CLOCK_CASES } from './helpers/clock.ts';
import { testConfig } from './helpers/config.ts';
import { count, openTestDb, POSTGRES_ENGINES, type TestDb } from './helpers/databases.ts';

const log = silentLogger();
const COINS = ['bitcoin', 'ethereum', 'usd-coin'];
/** One clock for the emulator and the streams, so a test can move time forward. */
const clock: { fixedMs?: number } = {};
const now = () => new Date(clock.fixedMs ?? Date.now());

describe.each(POSTGRES_ENGINES)('CoinGecko end to end on %s', (engine) => {
  let emulator: CoinGeckoEmulator;
  let t: TestDb;
  let runner: Runner;
  const client = (settings: Record<string, string> = {}) =>
    createCoinGeckoClient({
      config: testConfig({
        COINGECKO_API_URL: emulator.url,
        COINGECKO_RATE_PER_MIN: '6000',
        HTTP_MAX_RETRIES: '2',
        ...settings,
      }),
      log,
    });
  const markets = () => marketsStream(client(), { vsCurrency: 'usd', now });

  beforeAll(async () => {
    emulator = await startCoinGeckoEmulator({ coinCount: 800, now: () => now().getTime() });
    t = await openTestDb(engine);
    runner = createRunner({ db: t.db, log });
  });
  afterAll(async () => {
    await t.close();
    await emulator.close();
  });
  afterEach(async () => {
    clock.fixedMs = undefined;
    await t.db.exec(
      'TRUNCATE staging.coingecko_markets, staging.coingecko_prices, warehouse.market_latest, etl.rejects, etl.watermarks, etl.schema_changes',
    );
  });

  it('behavior: all market pages land (800 coins = 4 pages of 250) and a rerun adds no rows', async () => {
    // Frozen: CoinGecko's last_updated moves with the minute, and a new minute is a new snapshot.
    clock.fixedMs = Date.now();
    const first = await runner.runStream(markets(), { job: 'coingecko-markets' });
    expect(first).toMatchObject({ status: 'succeeded', rowsExtracted: 800, rowsLoaded: 800, rowsRejected: 0 });
    const pages = emulator.requests.filter((r) => r.path === '/coins/markets').map((r) => r.query.page);
    expect(pages.slice(-4)).toEqual(['1', '2', '3', '4']);
    expect(await count(t.db, 'staging.coingecko_markets')).toBe(800);

    const again = await runner.runStream(markets(), { job: 'coingecko-markets' });
    expect(again.status).toBe('succeeded');
    expect(again.rowsLoaded).toBe(0);
    expect(await count(t.db, 'staging.coingecko_markets')).toBe(800);
    const [run] = await t.db.query<{ status: string; rows_loaded: string | number }>(
      'SELECT status, rows_loaded FROM etl.runs WHERE id = $1',
      [again.runId],
    );
    expect(run).toMatchObject({ status: 'succeeded' });
    expect(Number(run?.rows_loaded)).toBe(0);
  });

  it('behavior: the coin list upserts by id, and the market overview ranks the latest snapshot', async () => {
    const result = await runner.runStream(coinsStream(client()), { job: 'coingecko-coins' });
    expect(result).toMatchObject({ status: 'succeeded', rowsLoaded: 800 });
    expect((await runner.runStream(coinsStream(client()), { job: 'coingecko-coins' })).rowsLoaded).toBe(0);
    await runner.runStream(markets(), { job: 'coingecko-markets' });
    // As the coingecko-markets job does after loading: the latest snapshot of each coin into market_latest.
    expect(await refreshRollups(t.db, ROLLUPS)).toContain('market_latest');
    const top = await t.db.query<{ rank: string | number; coin_id: string }>(
      'SELECT rank, coin_id FROM warehouse.market_overview ORDER BY rank LIMIT 2',
    );
    expect(top.map((r) => [Number(r.rank), r.coin_id])).toEqual([
      [1, 'bitcoin'],
      [2, 'ethereum'],
    ]);
  });

  it('behavior: market_latest keeps the newest snapshot of a coin; a re-loaded older one never replaces it', async () => {
    await runner.runStream(markets(), { job: 'coingecko-markets' });
    await refreshRollups(t.db, ROLLUPS);
    const latest = async () =>
      (
        await t.db.query<{ current_price: string; snapshot_at: Date }>(
          `SELECT current_price::text AS current_price, snapshot_at FROM warehouse.market_latest
           WHERE coin_id = 'bitcoin' AND vs_currency = 'usd'`,
        )
      )[0];
    const before = await latest();
    expect(before).toBeDefined();
    const insert = (snapshotAt: Date, lastUpdated: Date, price: string) =>
      t.db.query(
        `INSERT INTO staging.coingecko_markets (coin_id, vs_currency, last_updated, symbol, name, current_price, snapshot_at)
         VALUES ('bitcoin', 'usd', $1, 'btc', 'Bitcoin', $2, $3)`,
        [lastUpdated, price, snapshotAt],
      );
    const snapshot = (before as { snapshot_at: Date }).snapshot_at.getTime();
    // A backfill of a snapshot a day older, loaded now: the table keeps the newer one.
    await insert(new Date(snapshot - 86_400_000), new Date(snapshot - 86_400_000), '1.5');
    await refreshRollups(t.db, ROLLUPS);
    expect(await latest()).toEqual(before);
    // A snapshot an hour newer replaces it.
    await insert(new Date(snapshot + 3_600_000), new Date(snapshot + 3_600_000), '123456.25');
    await refreshRollups(t.db, ROLLUPS);
    expect(await latest()).toEqual({ current_price: '123456.25', snapshot_at: new Date(snapshot + 3_600_000) });
    expect(await count(t.db, 'warehouse.market_latest', "WHERE coin_id = 'bitcoin'")).toBe(1);
  });

  it('error: 429 with Retry-After is waited out, then the run succeeds', async () => {
    emulator.inject({
      pathPrefix: '/coins/markets',
      query: { page: '2' },
      status: 429,
      headers: { 'retry-after': '1' },
    });
    const started = Date.now();
    const result = await runner.runStream(markets(), { job: 'coingecko-markets' });
    const waited = Date.now() - started;
    expect(result.status).toBe('succeeded');
    expect(result.rowsLoaded).toBe(800);
    expect(waited).toBeGreaterThanOrEqual(1000);
    const page2 = emulator.requests.filter((r) => r.path === '/coins/markets' && r.query.page === '2').slice(-2);
    expect(page2.map((r) => r.status)).toEqual([429, 200]);
    expect((page2[1]?.at ?? 0) - (page2[0]?.at ?? 0)).toBeGreaterThanOrEqual(1000);
  });

  it('error: an empty coin list or first market page fails the run as ETL_UPSTREAM_EMPTY, writing nothing', async () => {
    emulator.inject({ pathPrefix: '/coins/list', status: 200, body: '[]' });
    const coins = await runner.runStream(coinsStream(client()), { job: 'coingecko-coins' });
    expect(coins).toMatchObject({ status: 'failed', rowsLoaded: 0 });
    expect(coins.error).toMatch(/ETL_UPSTREAM_EMPTY.*\/coins\/list answered with no records/);
    expect(await readWatermark(t.db, t.db.schemas, 'coingecko.coins')).toBeUndefined();

    emulator.inject({ pathPrefix: '/coins/markets', query: { page: '1' }, status: 200, body: '[]' });
    const result = await runner.runStream(markets(), { job: 'coingecko-markets' });
    expect(result).toMatchObject({ status: 'failed', rowsLoaded: 0 });
    expect(result.error).toMatch(/ETL_UPSTREAM_EMPTY.*page 1/);
    expect(await count(t.db, 'staging.coingecko_markets')).toBe(0);
    expect(await readWatermark(t.db, t.db.schemas, 'coingecko.markets')).toBeUndefined();
    // The next answer is whole again: the rerun loads everything.
    expect(await runner.runStream(markets(), { job: 'coingecko-markets' })).toMatchObject({
      status: 'succeeded',
      rowsLoaded: 800,
    });
  });

  it('error: a listing cut short by an empty later page fails as ETL_UPSTREAM_SHORT, keeping the pages it got', async () => {
    clock.fixedMs = Date.now();
    expect(await runner.runStream(markets(), { job: 'coingecko-markets' })).toMatchObject({
      status: 'succeeded',
      rowsLoaded: 800,
    });
    expect(await readWatermark(t.db, t.db.schemas, 'coingecko.markets')).toMatchObject({ page: 4, listed: 800 });
    await t.db.exec('TRUNCATE staging.coingecko_markets');

    // Page 3 answers [] once: 500 of the 800 coins, which a page-by-page listing cannot tell from its end.
    emulator.inject({ pathPrefix: '/coins/markets', query: { page: '3' }, status: 200, body: '[]' });
    const cut = await runner.runStream(markets(), { job: 'coingecko-markets' });
    expect(cut).toMatchObject({ status: 'failed', rowsExtracted: 500, rowsLoaded: 500 });
    expect(cut.error).toMatch(
      /ETL_UPSTREAM_SHORT.*\/coins\/markets ended after 3 page\(s\) with 500 records where its last whole listing had 800/,
    );
    expect(await count(t.db, 'staging.coingecko_markets')).toBe(500);
    expect(await readWatermark(t.db, t.db.schemas, 'coingecko.markets')).toMatchObject({
      page: 3,
      listed: 800,
      short: { count: 500 },
    });

    // The next answer is whole: the rerun loads the rest and succeeds.
    expect(await runner.runStream(markets(), { job: 'coingecko-markets' })).toMatchObject({
      status: 'succeeded',
      rowsLoaded: 300,
    });
    expect(await count(t.db, 'staging.coingecko_markets')).toBe(800);
  });

  it('behavior: a listing within 90 % of the last passes; a list really shortened fails for an hour, then passes', async () => {
    clock.fixedMs = Date.now();
    await runner.runStream(markets(), { job: 'coingecko-markets' });
    const coins = JSON.parse(
      await (await fetch(`${emulator.url}/coins/markets?vs_currency=usd&per_page=250&page=4`)).text(),
    ) as unknown[];
    // 760 of 800: CoinGecko dropping a few coins between runs is its list changing, not an answer cut short.
    emulator.inject({
      pathPrefix: '/coins/markets',
      query: { page: '4' },
      status: 200,
      body: JSON.stringify(coins.slice(0, 10)),
    });
    expect(await runner.runStream(markets(), { job: 'coingecko-markets' })).toMatchObject({ status: 'succeeded' });
    expect(await readWatermark(t.db, t.db.schemas, 'coingecko.markets')).toMatchObject({ listed: 760 });

    // The list shrinks to 2 pages (500 < 90 % of 760) and stays so: runs (and their retries) fail for an hour,
    // then the short length is taken as the list's.
    const shortened = () =>
      emulator.inject({ pathPrefix: '/coins/markets', query: { page: '3' }, status: 200, body: '[]' });
    for (const later of [0, 60_000, 58 * 60_000]) {
      clock.fixedMs = (clock.fixedMs as number) + later;
      shortened();
      expect((await runner.runStream(markets(), { job: 'coingecko-markets' })).error).toMatch(/ETL_UPSTREAM_SHORT/);
    }
    clock.fixedMs = (clock.fixedMs as number) + 60_000;
    shortened();
    expect(await runner.runStream(markets(), { job: 'coingecko-markets' })).toMatchObject({
      status: 'succeeded',
      rowsExtracted: 500,
    });
    expect(await readWatermark(t.db, t.db.schemas, 'coingecko.markets')).toEqual({
      snapshotAt: new Date(clock.fixedMs as number).toISOString(),
      page: 3,
      listed: 500,
    });
  });

  it('error: a malformed page fails the run and writes nothing from it', async () => {
    emulator.inject({
      pathPrefix: '/coins/markets',
      query: { page: '3' },
      status: 200,
      body: '{"unexpected":"object"}',
    });
    const result = await runner.runStream(markets(), { job: 'coingecko-markets' });
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(/ETL_UPSTREAM_MALFORMED.*page 3/);
    // Pages 1 and 2 were committed with their watermark; nothing of page 3 or after.
    expect(await count(t.db, 'staging.coingecko_markets')).toBe(500);
    expect(await readWatermark(t.db, t.db.schemas, 'coingecko.markets')).toMatchObject({ page: 2 });
    const [run] = await t.db.query<{ status: string; error: string }>(
      'SELECT status, error FROM etl.runs WHERE id = $1',
      [result.runId],
    );
    expect(run?.status).toBe('failed');
    expect(run?.error).toMatch(/Malformed CoinGecko response/);
  });

  const coin = (i: number) => ({
    id: `good-coin-${i}`,
    symbol: 'gc',
    name: 'Good',
    current_price: 1.5,
    market_cap: 100,
    market_cap_rank: i + 1,
    total_volume: 10,
    last_updated: '2026-11-01T00:00:00.000Z',
  });

  it('error: a record that breaks its schema goes to etl.rejects while its batch-mates load', async () => {
    const good = Array.from({ length: 30 }, (_, i) => coin(i));
    const bad = { ...coin(99), id: 'bad-coin', current_price: 'one dollar' };
    emulator.inject({
      pathPrefix: '/coins/markets',
      query: { page: '1' },
      status: 200,
      body: JSON.stringify([...good, bad]),
    });
    const result = await runner.runStream(markets(), { job: 'coingecko-markets' });
    // 1 of 31 (3 %) is within REJECT_MAX_SHARE (5 %): the run succeeds with its reject on record.
    expect(result).toMatchObject({ status: 'succeeded', rowsExtracted: 31, rowsLoaded: 30, rowsRejected: 1 });
    expect(await count(t.db, 'staging.coingecko_markets', "WHERE coin_id LIKE 'good-coin-%'")).toBe(30);
    const rejects = await t.db.query<{ stream: string; reason: string; payload: { id: string } }>(
      'SELECT stream, reason, payload FROM etl.rejects',
    );
    expect(rejects).toHaveLength(1);
    expect(rejects[0]?.stream).toBe('coingecko.markets');
    expect(rejects[0]?.reason).toMatch(/current_price/);
    expect(rejects[0]?.payload.id).toBe('bad-coin');
  });

  /** The emulator's first market page, cut to 40 coins and changed by `edit`, served once. */
  async function serveFirstPage(edit: (item: Record<string, unknown>, i: number) => Record<string, unknown>) {
    const page = (await (
      await fetch(`${emulator.url}/coins/markets?vs_currency=usd&per_page=40&page=1`)
    ).json()) as Record<string, unknown>[];
    emulator.inject({
      pathPrefix: '/coins/markets',
      query: { page: '1' },
      status: 200,
      body: JSON.stringify(page.map(edit)),
    });
    return page;
  }
  const drift = () =>
    t.db.query<{ stream: string; field: string; kind: string }>(
      'SELECT stream, field, kind FROM etl.schema_changes ORDER BY field, kind',
    );

  it('behavior: an optional field gone upstream loads as NULL in every row, recorded once in etl.schema_changes', async () => {
    clock.fixedMs = Date.now();
    await t.db.exec('TRUNCATE etl.schema_changes');
    await serveFirstPage(({ ath_date, ...item }) => item);
    const result = await runner.runStream(markets(), { job: 'coingecko-markets' });
    expect(result).toMatchObject({ status: 'succeeded', rowsLoaded: 40, rowsRejected: 0 });
    expect(await count(t.db, 'staging.coingecko_markets', 'WHERE ath_date IS NULL')).toBe(40);
    expect(await count(t.db, 'staging.coingecko_markets', 'WHERE current_price IS NULL')).toBe(0);
    expect(await drift()).toEqual([{ stream: 'coingecko.markets', field: 'ath_date', kind: 'missing' }]);
  });

  it('error: a required field renamed upstream fails the run, writes nothing, and a corrected rerun loads every price', async () => {
    clock.fixedMs = Date.now();
    await t.db.exec('TRUNCATE etl.schema_changes');
    const page = await serveFirstPage(({ current_price, ...item }) => ({ ...item, price: current_price }));
    const failed = await runner.runStream(markets(), { job: 'coingecko-markets' });
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/^ETL_SCHEMA_DRIFT: required field "current_price" absent from all 40 records/);
    expect(failed.rowsLoaded).toBe(0);
    expect(await count(t.db, 'staging.coingecko_markets')).toBe(0);
    expect(await readWatermark(t.db, t.db.schemas, 'coingecko.markets')).toBeUndefined();
    expect(await drift()).toEqual([
      { stream: 'coingecko.markets', field: 'current_price', kind: 'missing' },
      { stream: 'coingecko.markets', field: 'price', kind: 'added' },
    ]);

    await serveFirstPage((item) => item);
    const fixed = await runner.runStream(markets(), { job: 'coingecko-markets' });
    expect(fixed).toMatchObject({ status: 'succeeded', rowsLoaded: 40 });
    const prices = await t.db.query<{ coin_id: string; current_price: string }>(
      'SELECT coin_id, current_price FROM staging.coingecko_markets',
    );
    expect(new Map(prices.map((p) => [p.coin_id, Number(p.current_price)]))).toEqual(
      new Map(page.map((item) => [item.id, item.current_price])),
    );
  });

  it('behavior: a later copy of a snapshot (same last_updated) with better values replaces the first', async () => {
    clock.fixedMs = Date.now();
    await serveFirstPage((item, i) => (i === 0 ? { ...item, current_price: null } : item));
    expect((await runner.runStream(markets(), { job: 'coingecko-markets' })).status).toBe('succeeded');
    expect(await count(t.db, 'staging.coingecko_markets', 'WHERE current_price IS NULL')).toBe(1);
    await serveFirstPage((item) => item);
    const again = await runner.runStream(markets(), { job: 'coingecko-markets' });
    expect(again).toMatchObject({ status: 'succeeded', rowsLoaded: 1 });
    expect(await count(t.db, 'staging.coingecko_markets', 'WHERE current_price IS NULL')).toBe(0);
    expect(await count(t.db, 'staging.coingecko_markets')).toBe(40);
  });

  it('error: 10 % of a batch malformed fails the run with ETL_REJECTS_EXCEEDED and writes nothing of it', async () => {
    clock.fixedMs = Date.now();
    await serveFirstPage((item, i) => (i % 10 === 3 ? { ...item, market_cap: 'lots' } : item));
    const result = await runner.runStream(markets(), { job: 'coingecko-markets' });
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(
      /^ETL_REJECTS_EXCEEDED: 4 of 40 records \(10 %\) failed their schema, more than the 5\.0 % allowed \(REJECT_MAX_SHARE\): market_cap: .*Sample: \{"id":/,
    );
    expect(await count(t.db, 'staging.coingecko_markets')).toBe(0);
    expect(await count(t.db, 'etl.rejects')).toBe(0);
    expect(await readWatermark(t.db, t.db.schemas, 'coingecko.markets')).toBeUndefined();
  });

  it('behavior: an empty chart answer leaves the prices watermark where it was; the next good run fills the window exactly', async () => {
    clock.fixedMs = Date.parse(CLOCK_CASES[2].iso);
    const stream = () => pricesStream(client(), { coins: ['bitcoin'], vsCurrency: 'usd', now });
    expect((await runner.runStream(stream(), { job: 'coingecko-prices' })).status).toBe('succeeded');
    const before = await readWatermark<PricesCursor>(t.db, t.db.schemas, 'coingecko.prices');
    const stored = await count(t.db, 'staging.coingecko_prices');

    clock.fixedMs += 4 * 86_400_000;
    const empty = JSON.stringify({ prices: [], market_caps: [], total_volumes: [] });
    emulator.inject({ pathPrefix: '/coins/bitcoin/market_chart/range', status: 200, body: empty });
    const quiet = await runner.runStream(stream(), { job: 'coingecko-prices' });
    expect(quiet).toMatchObject({ status: 'succeeded', rowsLoaded: 0 });
    expect(await readWatermark<PricesCursor>(t.db, t.db.schemas, 'coingecko.prices')).toEqual(before);

    const refill = await runner.runStream(stream(), { job: 'coingecko-prices' });
    expect(refill).toMatchObject({ status: 'succeeded', rowsLoaded: 4 * 24, rowsRejected: 0 });
    expect(await count(t.db, 'staging.coingecko_prices')).toBe(stored + 4 * 24);
    const after = await readWatermark<PricesCursor>(t.db, t.db.schemas, 'coingecko.prices');
    expect(after?.bitcoin).toBe((before?.bitcoin ?? 0) + 4 * 86_400_000);
  });

  describe('a backfill over 100 days', () => {
    const DAY = 86_400_000;
    const stream = () => pricesStream(client(), { coins: ['bitcoin'], vsCurrency: 'usd', now });
    /** The watermark 100 days before now (12:00): every hour after it, up to now, is 100 × 24 points. */
    async function from100DaysAgo(): Promise<number> {
      clock.fixedMs = Date.parse(CLOCK_CASES[2].iso);
      const start = clock.fixedMs - 100 * DAY;
      await writeWatermark(t.db, t.db.schemas, 'coingecko.prices', { bitcoin: start }, null);
      return start;
    }
    const hourly = () =>
      t.db
        .query<{ n: number; off: number }>(
          `SELECT count(*)::int AS n, count(*) FILTER (WHERE extract(epoch FROM ts)::bigint % 3600 <> 0)::int AS off
           FROM staging.coingecko_prices WHERE coin_id = 'bitcoin'`,
        )
        .then((rows) => rows[0]);

    it('behavior: loads every hour, each window asked within CoinGecko’s 90 days of hourly points', async () => {
      await from100DaysAgo();
      expect(await runner.runStream(stream(), { job: 'coingecko-prices' })).toMatchObject({ status: 'succeeded' });
      expect(await hourly()).toEqual({ n: 100 * 24, off: 0 });
      expect((await readWatermark<PricesCursor>(t.db, t.db.schemas, 'coingecko.prices'))?.bitcoin).toBe(
        now().getTime(),
      );
    });

    it('behavior: a window answered only in part is asked again from its last point: no hour is skipped', async () => {
      const start = await from100DaysAgo();
      // The first window's answer stops after 30 days (the emulator's own 30 days of hourly points).
      const q = `vs_currency=usd&from=${Math.floor(start / 1000)}&to=${Math.floor((start + 30 * DAY) / 1000)}`;
      const part = await (await fetch(`${emulator.url}/coins/bitcoin/market_chart/range?${q}`)).json();
      emulator.inject({ pathPrefix: '/coins/bitcoin/market_chart/range', status: 200, body: JSON.stringify(part) });
      expect(await runner.runStream(stream(), { job: 'coingecko-prices' })).toMatchObject({ status: 'succeeded' });
      expect(await hourly()).toEqual({ n: 100 * 24, off: 0 });
      expect((await readWatermark<PricesCursor>(t.db, t.db.schemas, 'coingecko.prices'))?.bitcoin).toBe(
        now().getTime(),
      );
    });
  });

  it.each(CLOCK_CASES)(
    'behavior: at $name, the month so far lands, a rerun adds nothing, a later run resumes from the watermark',
    async ({ iso }) => {
      clock.fixedMs = Date.parse(iso);
      const stream = () => pricesStream(client(), { coins: COINS, vsCurrency: 'usd', now });
      const monthStart = startOfMonthUtc(now());
      const first = await runner.runStream(stream(), { job: 'coingecko-prices' });
      expect(first.status).toBe('succeeded');
      const hours = Math.floor((now().getTime() - monthStart) / 3_600_000);
      // Hourly points for every coin since the start of the month, even within its first day: every request
      // spans two days at least, which CoinGecko answers hourly (a range within the last day is 5-minutely).
      const points = hours + 1;
      for (const coin of COINS) {
        expect(await count(t.db, 'staging.coingecko_prices', `WHERE coin_id = '${coin}'`), coin).toBe(points);
      }
      const [range] = await t.db.query<{ min: Date }>('SELECT min(ts) AS min FROM staging.coingecko_prices');
      expect(new Date(range?.min as Date).getTime()).toBeGreaterThanOrEqual(monthStart);
      const total = await count(t.db, 'staging.coingecko_prices');
      const cursor = await readWatermark<PricesCursor>(t.db, t.db.schemas, 'coingecko.prices');
      expect(Object.keys(cursor ?? {}).sort()).toEqual([...COINS].sort());

      const seenBefore = emulator.requests.length;
      const rerun = await runner.runStream(stream(), { job: 'coingecko-prices' });
      // The watermark is the last point received: the rerun asks again for what came after it (one request
      // per coin, none when the last point is now), finds nothing new, and leaves the watermark.
      const lastPointIsNow = Object.values(cursor ?? {}).every((ms) => ms === now().getTime());
      expect(emulator.requests.length - seenBefore).toBe(lastPointIsNow ? 0 : COINS.length);
      expect(rerun.rowsLoaded).toBe(0);
      expect(await readWatermark<PricesCursor>(t.db, t.db.schemas, 'coingecko.prices')).toEqual(cursor);
      // Re-running the whole window from scratch (watermark gone) adds nothing either.
      await t.db.exec('TRUNCATE etl.watermarks');
      const replay = await runner.runStream(stream(), { job: 'coingecko-prices' });
      expect(replay).toMatchObject({ status: 'succeeded', rowsLoaded: 0 });
      expect(replay.rowsExtracted).toBe(total);
      expect(await count(t.db, 'staging.coingecko_prices')).toBe(total);

      const seen = emulator.requests.length;
      clock.fixedMs += 3 * 3_600_000;
      const later = await runner.runStream(stream(), { job: 'coingecko-prices' });
      expect(later.status).toBe('succeeded');
      const asked = emulator.requests.slice(seen).filter((r) => r.path === '/coins/bitcoin/market_chart/range');
      expect(asked).toHaveLength(1);
      expect(Number(asked[0]?.query.from)).toBeLessThanOrEqual(Math.floor(((cursor?.bitcoin ?? 0) + 1) / 1000));
      expect(Number(asked[0]?.query.to) - Number(asked[0]?.query.from)).toBeGreaterThanOrEqual(2 * 86_400);
      expect(await count(t.db, 'staging.coingecko_prices')).toBeGreaterThan(total);

      await refreshRollups(t.db, ROLLUPS);
      const [daily] = await t.db.query<{ open: string; close: string; high: string; low: string; points: number }>(
        `SELECT open, close, high, low, points FROM warehouse.prices_daily
       WHERE coin_id = 'bitcoin' AND day = $1::date`,
        [new Date(monthStart).toISOString().slice(0, 10)],
      );
      const [expected] = await t.db.query<{ open: string; close: string; high: string; low: string; n: number }>(
        `SELECT (array_agg(price ORDER BY ts))[1] AS open, (array_agg(price ORDER BY ts DESC))[1] AS close,
              max(price) AS high, min(price) AS low, count(*)::int AS n
       FROM staging.coingecko_prices WHERE coin_id = 'bitcoin' AND ts >= $1 AND ts < $1::timestamptz + interval '1 day'`,
        [new Date(monthStart)],
      );
      expect(daily).toMatchObject({
        open: expected?.open,
        close: expected?.close,
        high: expected?.high,
        low: expected?.low,
      });
      expect(Number(daily?.points)).toBe(expected?.n);
    },
  );
});
