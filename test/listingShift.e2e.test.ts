import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readWatermark } from '../src/db/watermarks.ts';
import { silentLogger } from '../src/internal/logger.ts';
import { createRunner, type Runner } from '../src/pipeline/runner.ts';
import { type CoinCapEmulator, startCoinCapEmulator } from '../src/sandbox/coincap/server.ts';
import { type CoinGeckoEmulator, startCoinGeckoEmulator } from '../src/sandbox/coingecko/server.ts';
import { assetsStream } from '../src/sources/coincap/assetsStream.ts';
import { createCoinCapClient } from '../src/sources/coincap/client.ts';
import { marketsStream as coincapMarketsStream } from '../src/sources/coincap/marketsStream.ts';
import { createCoinGeckoClient } from '../src/sources/coingecko/client.ts';
import { marketsStream } from '../src/sources/coingecko/marketsStream.ts';
import { LISTING_MAX_READS } from '../src/sources/listing.ts';
import { FIXED_NOW_MS } from './helpers/clock.ts';
import { testConfig } from './helpers/config.ts';
import { count, openTestDb, POSTGRES_ENGINES, type TestDb } from './helpers/databases.ts';

// Paged listings ordered by market cap move between the requests of one read: a coin moving up across a page
// boundary after that boundary was read is never seen, and the coin it pushes down is seen twice. The emulators
// move a coin when told (`Fault.thenMove`), at the HTTP level, answers in their wire format.

const log = silentLogger();
const KEY = 'cc-test-key-0123456789';
/** Pinned: one minute for every request, so the only change between pages is the injected move. */
const now = () => new Date(FIXED_NOW_MS);

describe.each(POSTGRES_ENGINES)('paged listings whose order moves during a read, on %s', (engine) => {
  let cg: CoinGeckoEmulator;
  let cc: CoinCapEmulator;
  let t: TestDb;
  let runner: Runner;
  const geckoMarkets = () =>
    marketsStream(
      createCoinGeckoClient({
        config: testConfig({ COINGECKO_API_URL: cg.url, COINGECKO_RATE_PER_MIN: '6000', HTTP_MAX_RETRIES: '2' }),
        log,
      }),
      { vsCurrency: 'usd', now },
    );
  const coincap = () =>
    createCoinCapClient({
      config: testConfig({
        COINCAP_API_URL: cc.url,
        COINCAP_API_KEY: KEY,
        COINCAP_RATE_PER_MIN: '6000',
        HTTP_MAX_RETRIES: '2',
      }),
      log,
    });
  const geckoIds = async (page: number) =>
    (
      (await (await fetch(`${cg.url}/coins/markets?vs_currency=usd&per_page=250&page=${page}`)).json()) as {
        id: string;
      }[]
    ).map((coin) => coin.id);

  beforeAll(async () => {
    cg = await startCoinGeckoEmulator({ coinCount: 800, now: () => FIXED_NOW_MS });
    cc = await startCoinCapEmulator({ apiKey: KEY, assetCount: 120, now: () => FIXED_NOW_MS });
    t = await openTestDb(engine);
    runner = createRunner({ db: t.db, log });
  });
  afterAll(async () => {
    await t?.close();
    await cg?.close();
    await cc?.close();
  });
  afterEach(async () => {
    await t.db.exec(
      'TRUNCATE staging.coingecko_markets, staging.coincap_assets, staging.coincap_markets, etl.rejects, etl.watermarks, etl.schema_changes',
    );
  });

  it('behavior: a CoinGecko coin moving from page 2 to page 1 mid-read is read again, and the snapshot holds all 800', async () => {
    const before = await geckoIds(2);
    const mover = before[9] as string; // rank 260
    // Once page 1 is answered, rank 260 becomes rank 10: page 2 starts with page 1's last coin, and the mover is
    // on no page read after it.
    cg.inject({ pathPrefix: '/coins/markets', query: { page: '1' }, thenMove: { from: 260, to: 10 } });
    const run = await runner.runStream(geckoMarkets(), { job: 'coingecko-markets' });
    expect(run).toMatchObject({ status: 'succeeded' });
    expect(await count(t.db, 'staging.coingecko_markets')).toBe(800);
    expect(await count(t.db, 'staging.coingecko_markets', `WHERE coin_id = '${mover}'`)).toBe(1);
    // The listing was read twice: 4 pages, then 4 more from page 1.
    const pages = cg.requests.filter((r) => r.path === '/coins/markets').map((r) => r.query.page);
    expect(pages.slice(-8)).toEqual(['1', '2', '3', '4', '1', '2', '3', '4']);
    expect(await readWatermark(t.db, t.db.schemas, 'coingecko.markets')).toMatchObject({ page: 4, listed: 800 });
  });

  it(`error: a coin missed by ${LISTING_MAX_READS} reads in a row fails as ETL_UPSTREAM_UNSTABLE, keeping the rows read; the next run is whole`, async () => {
    const mover = (await geckoIds(2))[49] as string; // rank 300
    // On every read the coin jumps to rank 10 once page 1 is answered and back to 300 once page 4 is: it is
    // always where the read is not.
    cg.inject({ pathPrefix: '/coins/markets', query: { page: '1' }, thenMove: { from: 300, to: 10 }, times: 3 });
    cg.inject({ pathPrefix: '/coins/markets', query: { page: '4' }, thenMove: { from: 10, to: 300 }, times: 3 });
    const run = await runner.runStream(geckoMarkets(), { job: 'coingecko-markets' });
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(
      /ETL_UPSTREAM_UNSTABLE.*CoinGecko \/coins\/markets.*3 reads.*799 distinct records where a read listed 800/,
    );
    expect(await count(t.db, 'staging.coingecko_markets')).toBe(799);
    expect(await count(t.db, 'staging.coingecko_markets', `WHERE coin_id = '${mover}'`)).toBe(0);
    // The measure of the next run is not taken from a listing that was not read whole.
    expect(await readWatermark(t.db, t.db.schemas, 'coingecko.markets')).not.toHaveProperty('listed');

    const again = await runner.runStream(geckoMarkets(), { job: 'coingecko-markets' });
    expect(again).toMatchObject({ status: 'succeeded' });
    expect(await count(t.db, 'staging.coingecko_markets')).toBe(800);
    expect(await readWatermark(t.db, t.db.schemas, 'coingecko.markets')).toMatchObject({ listed: 800 });
  });

  it('behavior: a CoinCap asset moving across an offset mid-read is read again; every asset is stored', async () => {
    const mover = (
      (await (
        await fetch(`${cc.url}/assets?limit=1&offset=69`, { headers: { authorization: `Bearer ${KEY}` } })
      ).json()) as { data: { id: string }[] }
    ).data[0]?.id as string;
    cc.inject({ pathPrefix: '/assets', query: { offset: '0' }, thenMove: { from: 70, to: 5 } });
    const run = await runner.runStream(assetsStream(coincap(), { perPage: 50 }), { job: 'coincap-assets' });
    expect(run).toMatchObject({ status: 'succeeded' });
    expect(await count(t.db, 'staging.coincap_assets')).toBe(120);
    expect(await count(t.db, 'staging.coincap_assets', `WHERE id = '${mover}'`)).toBe(1);
    const offsets = cc.requests.filter((r) => r.path === '/assets').map((r) => r.query.offset);
    expect(offsets.slice(-6)).toEqual(['0', '50', '100', '0', '50', '100']);
    expect(await readWatermark(t.db, t.db.schemas, 'coincap.assets')).toMatchObject({ offset: 120, listed: 120 });
  });

  it('behavior: a CoinCap market row moving across an offset mid-read is read again; every pair is stored', async () => {
    const all = (
      (await (await fetch(`${cc.url}/markets?limit=2000`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as {
        data: unknown[];
      }
    ).data;
    cc.inject({ pathPrefix: '/markets', query: { offset: '0' }, thenMove: { from: 150, to: 20 } });
    const run = await runner.runStream(coincapMarketsStream(coincap(), { perPage: 100 }), { job: 'coincap-markets' });
    expect(run).toMatchObject({ status: 'succeeded' });
    expect(await count(t.db, 'staging.coincap_markets')).toBe(all.length);
  });
});
