import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../src/app.ts';
import { createDatabase } from '../src/db/createDatabase.ts';
import type { Db } from '../src/db/types.ts';
import { silentLogger } from '../src/internal/logger.ts';
import { CACHE_LIFETIME_MS, createServer, VERSION_CHECK_MS } from '../src/server/createServer.ts';
import { applyModels } from '../src/transforms/applyModels.ts';
import { POSTGRES_ENGINES } from './helpers/databases.ts';
import { type SandboxApp, startSandboxApp } from './helpers/sandboxApp.ts';

/** The newest hourly price of bitcoin: the answer a new load changes. */
const NEWEST_HOUR = '/api/prices?coin=bitcoin&interval=hourly&limit=1';

/** The server under test, on the sandbox's app, with a clock for the data version's checks that only the test moves. */
async function serverWithClock(app: App) {
  let ms = 0;
  const server: FastifyInstance = await createServer(app, { now: () => ms });
  await server.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
  return {
    server,
    get: (path: string, headers: Record<string, string> = {}) => fetch(`${url}${path}`, { headers }),
    head: (path: string) => fetch(`${url}${path}`, { method: 'HEAD' }),
    advance: (by: number) => {
      ms += by;
    },
  };
}

/** The answers of the cached endpoints so far, by how they were made (the server's /metrics). */
async function cacheCounts(get: (path: string) => Promise<Response>) {
  const text = await (await get('/metrics')).text();
  const count = (result: string) =>
    Number(new RegExp(`^crypto_etl_api_cache_requests_total\\{result="${result}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return { hit: count('hit'), shared: count('shared'), miss: count('miss') };
}

/**
 * A load as a job makes it, through `app`'s runner: one CoinGecko price point of bitcoin two hours after the
 * newest, committed with its watermark, then the rollup refresh (warehouse-refresh).
 */
async function loadNewPrice(app: App, price: number): Promise<string> {
  const [newest] = await app.db.query<{ ts: Date }>(
    `SELECT max(ts) AS ts FROM staging.coingecko_prices WHERE coin_id = 'bitcoin' AND vs_currency = 'usd'`,
  );
  const ts = new Date(new Date(newest?.ts as Date).getTime() + 2 * 3_600_000);
  const result = await app.runner.run({ stream: 'test.new-price' }, { job: 'test' }, async (session) => {
    await session.commit({
      writes: [
        {
          target: {
            table: 'staging.coingecko_prices',
            columns: ['coin_id', 'vs_currency', 'ts', 'price', 'market_cap', 'total_volume'],
            key: ['coin_id', 'vs_currency', 'ts'],
            onConflict: 'update',
            touch: 'loaded_at',
          },
          rows: [['bitcoin', 'usd', ts, price, 1e12, 1e10]],
        },
      ],
      extracted: 1,
      cursor: { ts: ts.toISOString() },
    });
  });
  expect(result.status).toBe('succeeded');
  const refresh = await (await app.executor.trigger('warehouse-refresh', { retries: 0 })).done;
  expect(refresh.status).toBe('succeeded');
  const hour = new Date(Math.floor(ts.getTime() / 3_600_000) * 3_600_000);
  return hour.toISOString();
}

describe.each(POSTGRES_ENGINES)('API answer cache on %s', (engine) => {
  let sandbox: SandboxApp;
  let api: Awaited<ReturnType<typeof serverWithClock>>;

  beforeAll(async () => {
    sandbox = await startSandboxApp(engine);
    api = await serverWithClock(sandbox.app);
  }, 180_000);
  afterAll(async () => {
    await api?.server.close();
    await sandbox?.close();
  });

  it('behavior: every GET (and HEAD) of the API carries an ETag and Cache-Control; If-None-Match with it answers 304, no body', async () => {
    const cases = [
      { path: NEWEST_HOUR, control: `public, max-age=${VERSION_CHECK_MS / 1000}` },
      { path: '/api/market?limit=5', control: `public, max-age=${VERSION_CHECK_MS / 1000}` },
      { path: '/api/prices?coin=bitcoin&format=csv', control: `public, max-age=${VERSION_CHECK_MS / 1000}` },
      { path: '/api/chain/daily', control: `public, max-age=${VERSION_CHECK_MS / 1000}` },
      // Runs change with every heartbeat: tagged, never cached.
      { path: '/api/runs?limit=3', control: 'no-cache' },
    ];
    for (const { path, control } of cases) {
      const first = await api.get(path);
      expect(first.status, path).toBe(200);
      const body = await first.text();
      const etag = first.headers.get('etag');
      expect(etag, path).toMatch(/^"[\w-]{27}"$/);
      expect(first.headers.get('cache-control'), path).toBe(control);

      // HEAD answers the same headers, without the body.
      const head = await api.head(path);
      expect(head.status, path).toBe(200);
      expect(head.headers.get('etag'), path).toBe(etag);
      expect(head.headers.get('cache-control'), path).toBe(control);
      expect(await head.text(), path).toBe('');

      const again = await api.get(path, { 'if-none-match': etag as string });
      expect(again.status, path).toBe(304);
      expect(await again.text(), path).toBe('');
      expect(again.headers.get('etag'), path).toBe(etag);
      expect(again.headers.get('cache-control'), path).toBe(control);
      // Security headers stay on a 304 and on an answer from the cache.
      expect(again.headers.get('x-content-type-options'), path).toBe('nosniff');

      // A weak form of the tag, or the tag among others, matches too (RFC 9110 weak comparison); another does not.
      expect((await api.get(path, { 'if-none-match': `"x", W/${etag}` })).status, path).toBe(304);
      const other = await api.get(path, { 'if-none-match': '"not-this-one"' });
      expect(other.status, path).toBe(200);
      expect(await other.text(), path).toBe(body);
      expect(other.headers.get('content-type'), path).toBe(first.headers.get('content-type'));
    }
  });

  it('behavior: an answer is kept from the second time its URL is computed, not the first (one-off requests pass by)', async () => {
    const path = '/api/prices?coin=bitcoin&interval=hourly&limit=7&order=asc';
    const before = await cacheCounts(api.get);
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await (await api.get(path)).text());
    const after = await cacheCounts(api.get);
    expect(new Set(answers).size).toBe(1);
    expect(after.miss - before.miss).toBe(2);
    expect(after.hit - before.hit).toBe(1);
  });

  it('behavior: identical requests make one query; the others are answered from the cache or share it', async () => {
    const path = '/api/prices?coin=ethereum&interval=hourly&limit=50&order=asc';
    // Asked once before: the answer the 20 requests make is kept (the doorkeeper has seen it).
    await api.get(path);
    const before = await cacheCounts(api.get);
    const answers = await Promise.all(Array.from({ length: 20 }, () => api.get(path).then((r) => r.text())));
    const after = await cacheCounts(api.get);
    expect(new Set(answers).size).toBe(1);
    expect(after.miss - before.miss).toBe(1);
    expect(after.hit + after.shared - before.hit - before.shared).toBe(19);
  });

  it('behavior: a load committed by this process changes the answer at once (no wait for the version check)', async () => {
    // Asked twice: kept from the second time.
    await api.get(NEWEST_HOUR);
    const first = await api.get(NEWEST_HOUR);
    const etag = first.headers.get('etag') as string;
    const before = (await first.json()) as { items: { time: string; close: number }[] };
    // Served from the cache from now on…
    const hits = (await cacheCounts(api.get)).hit;
    expect((await api.get(NEWEST_HOUR, { 'if-none-match': etag })).status).toBe(304);
    expect((await cacheCounts(api.get)).hit).toBe(hits + 1);

    const hour = await loadNewPrice(sandbox.app, 123_456.5);
    // …until the load: the same clock, yet the new hour at once, and the old tag no longer matches.
    const after = await api.get(NEWEST_HOUR, { 'if-none-match': etag });
    expect(after.status).toBe(200);
    expect(after.headers.get('etag')).not.toBe(etag);
    const page = (await after.json()) as { items: { time: string; close: number }[] };
    expect(page.items[0]).toMatchObject({ time: hour, close: 123_456.5 });
    expect(page.items[0]?.time).not.toBe(before.items[0]?.time);
  });

  it(`behavior: a change that moves no watermark (a view dropped by hand) shows within CACHE_LIFETIME_MS`, async () => {
    const path = '/api/cow/daily?limit=10';
    // Asked twice: kept from the second time.
    await api.get(path);
    expect(((await (await api.get(path)).json()) as { items: unknown[] }).items.length).toBeGreaterThan(0);
    await sandbox.db.exec('DROP VIEW warehouse.cow_daily');
    try {
      // No load, no refresh: the answer as it was, for as long as the cache keeps an answer.
      api.advance(CACHE_LIFETIME_MS - 1);
      expect(((await (await api.get(path)).json()) as { items: unknown[] }).items.length).toBeGreaterThan(0);
      api.advance(1);
      expect(await (await api.get(path)).json()).toEqual({ items: [], limit: 10, offset: 0, nextOffset: null });
    } finally {
      await applyModels(sandbox.db);
    }
  });
});

// PostgreSQL only: another process sharing the database is what this is about, and PGlite's database belongs to
// one process (its data directory is locked by the process that opened it).
describe('API answer cache on postgres, with a load from another process', () => {
  let sandbox: SandboxApp;
  let api: Awaited<ReturnType<typeof serverWithClock>>;
  let otherDb: Db;
  let other: App;

  beforeAll(async () => {
    sandbox = await startSandboxApp('postgres');
    api = await serverWithClock(sandbox.app);
    // The other process: its own connection and runner, whose commits this server's app does not count.
    otherDb = await createDatabase(sandbox.app.config, silentLogger());
    other = await createApp({ config: sandbox.app.config, log: silentLogger(), db: otherDb, migrate: false });
  }, 180_000);
  afterAll(async () => {
    await other?.close();
    await otherDb?.close();
    await api?.server.close();
    await sandbox?.close();
  });

  it(`behavior: the answer changes once the version is read again, at most ${VERSION_CHECK_MS} ms later`, async () => {
    // Asked twice: kept from the second time.
    await api.get(NEWEST_HOUR);
    const first = await api.get(NEWEST_HOUR);
    const before = (await first.json()) as { items: { time: string }[] };

    const hour = await loadNewPrice(other, 98_765.25);
    // Within VERSION_CHECK_MS of the last check the server does not ask: the cached answer, as the docs say.
    const within = (await (await api.get(NEWEST_HOUR)).json()) as { items: { time: string }[] };
    expect(within.items[0]?.time).toBe(before.items[0]?.time);

    api.advance(VERSION_CHECK_MS);
    const after = await api.get(NEWEST_HOUR, { 'if-none-match': first.headers.get('etag') as string });
    expect(after.status).toBe(200);
    const page = (await after.json()) as { items: { time: string; close: number }[] };
    expect(page.items[0]).toMatchObject({ time: hour, close: 98_765.25 });
  });
});
