import Coingecko from '@coingecko/coingecko-typescript';
import { afterEach, describe, expect, it } from 'vitest';
import { coinAt } from './coins.ts';
import { marketCapAt, priceAt } from './prices.ts';
import { type CoinGeckoEmulator, type CoinGeckoEmulatorOptions, startCoinGeckoEmulator } from './server.ts';

const NOW = Date.UTC(2025, 5, 1, 12, 30, 15);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
// Keys of samples/coingecko_coins_markets.json, in order.
const SAMPLE_MARKET_KEYS = [
  'id',
  'symbol',
  'name',
  'image',
  'current_price',
  'market_cap',
  'market_cap_rank',
  'fully_diluted_valuation',
  'total_volume',
  'high_24h',
  'low_24h',
  'price_change_24h',
  'price_change_percentage_24h',
  'market_cap_change_24h',
  'market_cap_change_percentage_24h',
  'circulating_supply',
  'total_supply',
  'max_supply',
  'ath',
  'ath_change_percentage',
  'ath_date',
  'atl',
  'atl_change_percentage',
  'atl_date',
  'roi',
  'last_updated',
];
const RATE_LIMIT_BODY =
  '{"status":{"error_code":429,"error_message":"You\'ve exceeded the Rate Limit. Please visit https://www.coingecko.com/en/api/pricing to subscribe to our API plans for higher rate limits."}}';

type Point = [number, number];
interface Chart {
  prices: Point[];
  market_caps: Point[];
  total_volumes: Point[];
}
interface MarketItem {
  id: string;
  market_cap: number;
  market_cap_rank: number;
  last_updated: string;
  [field: string]: unknown;
}

const running: CoinGeckoEmulator[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((emulator) => emulator.close()));
});

async function start(opts: CoinGeckoEmulatorOptions = {}): Promise<CoinGeckoEmulator> {
  const emulator = await startCoinGeckoEmulator({ now: () => NOW, ...opts });
  running.push(emulator);
  return emulator;
}

async function getJson<T>(emulator: CoinGeckoEmulator, path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${emulator.url}${path}`, { headers });
  return { status: res.status, headers: res.headers, body: (await res.json()) as T };
}

function assertGrid(points: Point[], stepMs: number, fromMs: number, toMs: number): void {
  expect(points.length).toBeGreaterThan(1);
  for (const [i, [ts]] of points.entries()) {
    expect(ts % stepMs).toBe(0);
    expect(ts).toBeGreaterThanOrEqual(fromMs);
    expect(ts).toBeLessThanOrEqual(toMs);
    if (i > 0) expect(ts - (points[i - 1]?.[0] ?? 0)).toBe(stepMs);
  }
}

describe('coingecko emulator', () => {
  it('behavior: /ping answers like the real API, marked synthetic', async () => {
    const cg = await start();
    const res = await getJson(cg, '/ping');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ gecko_says: '(V3) To the Moon!' });
    expect(res.headers.get('x-sandbox')).toBe('synthetic');
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(cg.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/v3$/);
  });

  it('behavior: /coins/list starts with the named coins, then synthetic ones', async () => {
    const cg = await start();
    const plain = await getJson<Array<Record<string, unknown>>>(cg, '/coins/list');
    expect(plain.body).toHaveLength(800);
    expect(plain.body.slice(0, 3)).toEqual([
      { id: 'bitcoin', symbol: 'btc', name: 'Bitcoin' },
      { id: 'ethereum', symbol: 'eth', name: 'Ethereum' },
      { id: 'usd-coin', symbol: 'usdc', name: 'USDC' },
    ]);
    expect(plain.body.slice(3, 6).map((coin) => coin.id)).toEqual(['tether', 'weth', 'synth-coin-0005']);
    expect(plain.body[5]).toEqual({ id: 'synth-coin-0005', symbol: 'sc5', name: 'Synthetic Coin 5' });
    const withPlatforms = await getJson<Array<{ platforms: Record<string, string> }>>(
      cg,
      '/coins/list?include_platform=true',
    );
    expect(withPlatforms.body[2]?.platforms).toEqual({ ethereum: '0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48' });
    expect(withPlatforms.body.every((coin) => typeof coin.platforms === 'object')).toBe(true);
  });

  it('behavior: /coins/markets pages 800 coins as 250, 250, 250, 50, then []', async () => {
    const cg = await start();
    const pages: MarketItem[][] = [];
    for (let page = 1; page <= 5; page++) {
      pages.push((await getJson<MarketItem[]>(cg, `/coins/markets?vs_currency=usd&per_page=250&page=${page}`)).body);
    }
    expect(pages.map((page) => page.length)).toEqual([250, 250, 250, 50, 0]);
    const all = pages.flat();
    expect(new Set(all.map((coin) => coin.id)).size).toBe(800);
    expect(all.map((coin) => coin.market_cap_rank)).toEqual(all.map((_, i) => i + 1));
    for (let i = 1; i < all.length; i++) {
      expect(all[i]?.market_cap).toBeLessThanOrEqual(all[i - 1]?.market_cap ?? 0);
    }
    expect(all.slice(0, 5).map((coin) => coin.id)).toEqual(['bitcoin', 'ethereum', 'tether', 'usd-coin', 'weth']);
    const byDefault = await getJson<MarketItem[]>(cg, '/coins/markets?vs_currency=usd');
    expect(byDefault.body).toHaveLength(100);
  });

  it('behavior: market items carry every field of the sample, in order, some nullable ones null', async () => {
    const cg = await start();
    const { body } = await getJson<MarketItem[]>(cg, '/coins/markets?vs_currency=usd&per_page=250');
    for (const item of body) expect(Object.keys(item)).toEqual(SAMPLE_MARKET_KEYS);
    const bitcoin = body[0];
    expect(bitcoin).toMatchObject({ id: 'bitcoin', symbol: 'btc', name: 'Bitcoin', max_supply: 21_000_000, roi: null });
    expect(bitcoin?.current_price).toBeGreaterThan(50_000);
    expect(bitcoin?.last_updated).toBe('2025-06-01T12:30:00.000Z');
    expect(bitcoin?.ath_date).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(body.some((item) => item.max_supply === null)).toBe(true);
    expect(body.some((item) => item.fully_diluted_valuation === null)).toBe(true);
    expect(body.some((item) => item.roi === null)).toBe(true);
    expect(body.find((item) => item.roi !== null)?.roi).toMatchObject({ currency: 'usd' });
    for (const item of body) {
      expect(item.high_24h as number).toBeGreaterThanOrEqual(item.low_24h as number);
      expect(item.ath as number).toBeGreaterThanOrEqual(item.current_price as number);
    }
  });

  it('behavior: calls within one minute agree, the next minute moves on', async () => {
    let clock = NOW;
    const cg = await start({ now: () => clock });
    const path = '/coins/markets?vs_currency=usd&per_page=3';
    const first = await getJson<MarketItem[]>(cg, path);
    clock = NOW + 40_000;
    const sameMinute = await getJson<MarketItem[]>(cg, path);
    clock = NOW + 60_000;
    const nextMinute = await getJson<MarketItem[]>(cg, path);
    expect(sameMinute.body).toEqual(first.body);
    expect(nextMinute.body[0]?.last_updated).toBe('2025-06-01T12:31:00.000Z');
    expect(nextMinute.body[0]?.current_price).not.toBe(first.body[0]?.current_price);
  });

  it('behavior: market-cap ranks never change over time, so pages never skip or repeat a coin', () => {
    const order = Array.from({ length: 800 }, (_, i) => coinAt(i).id).sort(
      (a, b) => marketCapAt(b, NOW) - marketCapAt(a, NOW),
    );
    for (let ts = Date.UTC(2019, 0, 1); ts < Date.UTC(2031, 0, 1); ts += 97 * DAY + 7 * HOUR) {
      const caps = order.map((id) => marketCapAt(id, ts));
      expect(caps.every((cap, i) => i === 0 || cap < (caps[i - 1] ?? 0))).toBe(true);
    }
  });

  it('behavior: ids filter keeps global ranks', async () => {
    const cg = await start();
    const { body } = await getJson<MarketItem[]>(cg, '/coins/markets?vs_currency=usd&ids=weth,bitcoin,nope');
    expect(body.map((coin) => [coin.id, coin.market_cap_rank])).toEqual([
      ['bitcoin', 1],
      ['weth', 5],
    ]);
  });

  it('error: per_page above 250 or missing vs_currency is a 400', async () => {
    const cg = await start();
    const tooBig = await getJson<{ error: string }>(cg, '/coins/markets?vs_currency=usd&per_page=251');
    expect(tooBig.status).toBe(400);
    expect(tooBig.body.error).toContain('per_page');
    expect((await getJson(cg, '/coins/markets?vs_currency=usd&per_page=0')).status).toBe(400);
    const missing = await getJson(cg, '/coins/markets?per_page=10');
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({ error: 'Missing parameter vs_currency' });
  });

  it('error: a demo host wants its key by header or query, and refuses a pro key with 10010', async () => {
    const cg = await start({ apiKey: 'demo-key' });
    expect((await getJson(cg, '/ping', { 'x-cg-demo-api-key': 'demo-key' })).status).toBe(200);
    expect((await getJson(cg, '/ping?x_cg_demo_api_key=demo-key')).status).toBe(200);
    const missing = await getJson(cg, '/ping');
    expect(missing.status).toBe(401);
    expect(missing.body).toMatchObject({ status: { error_code: 10002 } });
    expect((await getJson(cg, '/ping', { 'x-cg-demo-api-key': 'other' })).status).toBe(401);
    const wrongPlan = await getJson(cg, '/ping', { 'x-cg-pro-api-key': 'demo-key' });
    expect(wrongPlan.status).toBe(401);
    expect(wrongPlan.body).toMatchObject({ status: { error_code: 10010 } });
    expect((await getJson(cg, '/ping?x_cg_pro_api_key=demo-key')).status).toBe(401);
  });

  it('error: a pro host wants the pro key and refuses a demo key with 10011', async () => {
    const cg = await start({ apiKey: 'pro-key', plan: 'pro' });
    expect((await getJson(cg, '/ping', { 'x-cg-pro-api-key': 'pro-key' })).status).toBe(200);
    expect((await getJson(cg, '/ping?x_cg_pro_api_key=pro-key')).status).toBe(200);
    const wrongPlan = await getJson(cg, '/ping', { 'x-cg-demo-api-key': 'pro-key' });
    expect(wrongPlan.status).toBe(401);
    expect(wrongPlan.body).toMatchObject({ status: { error_code: 10011 } });
  });

  it('behavior: without apiKey, keyless and any demo key are served', async () => {
    const cg = await start();
    expect((await getJson(cg, '/ping')).status).toBe(200);
    expect((await getJson(cg, '/ping', { 'x-cg-demo-api-key': 'anything' })).status).toBe(200);
  });

  it('error: 429 after ratePerMin calls in a rolling minute, with retry-after, per key', async () => {
    let clock = NOW;
    const cg = await start({ now: () => clock, ratePerMin: 3, retryAfterSeconds: 7 });
    for (let i = 0; i < 3; i++) expect((await getJson(cg, '/ping')).status).toBe(200);
    const res = await fetch(`${cg.url}/ping`);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(res.headers.get('x-sandbox')).toBe('synthetic');
    expect(await res.text()).toBe(RATE_LIMIT_BODY);
    expect((await getJson(cg, '/ping', { 'x-cg-demo-api-key': 'another' })).status).toBe(200);
    clock = NOW + 60_001;
    expect((await getJson(cg, '/ping')).status).toBe(200);
  });

  it('behavior: injected faults answer the next matching requests, then service resumes', async () => {
    const cg = await start();
    cg.inject({ pathPrefix: '/coins/markets', times: 2, status: 503 });
    const markets = '/coins/markets?vs_currency=usd&per_page=1';
    expect((await getJson(cg, '/ping')).status).toBe(200);
    expect((await fetch(`${cg.url}${markets}`)).status).toBe(503);
    expect((await fetch(`${cg.url}${markets}`)).status).toBe(503);
    expect((await getJson(cg, markets)).status).toBe(200);

    cg.inject({ pathPrefix: '/coins', status: 429, body: '<html>Cloudflare</html>', headers: { 'Retry-After': '3' } });
    const html = await fetch(`${cg.url}/coins/list`);
    expect(html.status).toBe(429);
    expect(html.headers.get('content-type')).toContain('text/html');
    expect(html.headers.get('retry-after')).toBe('3');
    expect(await html.text()).toBe('<html>Cloudflare</html>');

    cg.inject({ pathPrefix: '/simple/price', status: 429 });
    const limited = await fetch(`${cg.url}/simple/price?ids=bitcoin&vs_currencies=usd`);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(await limited.text()).toBe(RATE_LIMIT_BODY);

    cg.inject({ pathPrefix: '/ping', delayMs: 150 });
    const started = performance.now();
    expect((await getJson(cg, '/ping')).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('behavior: range granularity is 5-minutely in the last day, hourly to 90 days, daily beyond', async () => {
    const cg = await start();
    const range = async (fromMs: number, toMs: number) =>
      (
        await getJson<Chart>(
          cg,
          `/coins/bitcoin/market_chart/range?vs_currency=usd&from=${fromMs / 1000}&to=${toMs / 1000}`,
        )
      ).body;
    const recent = await range(NOW - 12 * HOUR, NOW);
    assertGrid(recent.prices, 300_000, NOW - 12 * HOUR, NOW);
    expect(recent.market_caps.map(([ts]) => ts)).toEqual(recent.prices.map(([ts]) => ts));
    expect(recent.total_volumes).toHaveLength(recent.prices.length);
    const weekAgoDay = await range(NOW - 8 * DAY, NOW - 7 * DAY);
    assertGrid(weekAgoDay.prices, HOUR, NOW - 8 * DAY, NOW - 7 * DAY);
    const month = await range(NOW - 30 * DAY, NOW - 1000);
    assertGrid(month.prices, HOUR, NOW - 30 * DAY, NOW - 1000);
    expect(month.prices).toHaveLength(30 * 24);
    const long = await range(NOW - 200 * DAY, NOW);
    assertGrid(long.prices, DAY, NOW - 200 * DAY, NOW);
  });

  it('behavior: the price at an hour is the same whatever range asked for it', async () => {
    const cg = await start();
    const hour = Date.UTC(2025, 4, 10, 7);
    const path = (from: string | number, to: string | number) =>
      `/coins/ethereum/market_chart/range?vs_currency=usd&from=${from}&to=${to}`;
    const a = (await getJson<Chart>(cg, path(hour / 1000 - 3 * 86_400, hour / 1000 + 3600))).body;
    const b = (await getJson<Chart>(cg, path('2025-05-10T07:00', '2025-05-30'))).body;
    const atHour = (chart: Chart) => chart.prices.find(([ts]) => ts === hour)?.[1];
    expect(atHour(a)).toBeDefined();
    expect(atHour(a)).toBe(atHour(b));
    expect(atHour(a)).toBe(priceAt('ethereum', hour));
    expect(b.prices[0]?.[0]).toBe(hour);
    expect(b.prices.at(-1)?.[0]).toBe(Date.UTC(2025, 4, 30));
  });

  it('behavior: market_chart?days picks granularity and ends at now', async () => {
    const cg = await start();
    const chart = async (days: string) =>
      (await getJson<Chart>(cg, `/coins/bitcoin/market_chart?vs_currency=usd&days=${days}`)).body;
    const day = await chart('1');
    assertGrid(day.prices.slice(0, -1), 300_000, NOW - DAY, NOW);
    expect(day.prices.at(-1)).toEqual([NOW, priceAt('bitcoin', NOW)]);
    assertGrid((await chart('30')).prices.slice(0, -1), HOUR, NOW - 30 * DAY, NOW);
    const year = await chart('365');
    assertGrid(year.prices.slice(0, -1), DAY, NOW - 365 * DAY, NOW);
    expect(year.prices[0]?.[1]).toBe(priceAt('bitcoin', year.prices[0]?.[0] ?? 0));
  });

  it('error: unknown coin and unknown path are JSON 404s', async () => {
    const cg = await start();
    const coin = await getJson(cg, '/coins/nope/market_chart/range?vs_currency=usd&from=1&to=2');
    expect(coin.status).toBe(404);
    expect(coin.body).toEqual({ error: 'coin not found' });
    const path = await getJson<{ error: string }>(cg, '/nothing/here');
    expect(path.status).toBe(404);
    expect(path.headers.get('content-type')).toContain('application/json');
    expect(typeof path.body.error).toBe('string');
  });

  it('behavior: /simple/price returns the requested fields, last_updated_at in seconds', async () => {
    const cg = await start();
    const flags = 'include_market_cap=true&include_24hr_vol=true&include_24hr_change=true&include_last_updated_at=true';
    const { body } = await getJson<Record<string, Record<string, number>>>(
      cg,
      `/simple/price?ids=bitcoin,usd-coin,nope&vs_currencies=usd&${flags}`,
    );
    expect(Object.keys(body)).toEqual(['bitcoin', 'usd-coin']);
    expect(Object.keys(body.bitcoin ?? {})).toEqual([
      'usd',
      'usd_market_cap',
      'usd_24h_vol',
      'usd_24h_change',
      'last_updated_at',
    ]);
    expect(body.bitcoin?.last_updated_at).toBe(Date.UTC(2025, 5, 1, 12, 30) / 1000);
    const plain = await getJson(cg, '/simple/price?ids=ethereum,weth&vs_currencies=usd');
    expect(plain.body).toEqual({
      ethereum: { usd: priceAt('ethereum', Date.UTC(2025, 5, 1, 12, 30)) },
      weth: { usd: priceAt('ethereum', Date.UTC(2025, 5, 1, 12, 30)) },
    });
  });

  it('behavior: prices are deterministic per seed; weth follows ethereum, stablecoins stay near 1', () => {
    for (let ts = Date.UTC(2020, 0, 1); ts < Date.UTC(2030, 0, 1); ts += 13 * DAY + 5 * HOUR) {
      expect(priceAt('weth', ts)).toBe(priceAt('ethereum', ts));
      expect(Math.abs(priceAt('usd-coin', ts) - 1)).toBeLessThan(0.001);
      expect(Math.abs(priceAt('tether', ts) - 1)).toBeLessThan(0.001);
      expect(priceAt('bitcoin', ts)).toBeGreaterThan(50_000);
      expect(priceAt('bitcoin', ts)).toBeLessThan(150_000);
    }
    expect(priceAt('bitcoin', NOW, 7)).toBe(priceAt('bitcoin', NOW, 7));
    expect(priceAt('bitcoin', NOW, 7)).not.toBe(priceAt('bitcoin', NOW, 8));
    const synthetic = Array.from({ length: 795 }, (_, i) => priceAt(coinAt(i + 5).id, NOW));
    expect(Math.min(...synthetic)).toBeGreaterThan(1e-4 * 0.6);
    expect(Math.max(...synthetic)).toBeLessThan(500 * 1.5);
  });

  it('behavior: every request is logged with its path, query and status', async () => {
    const cg = await start({ apiKey: 'k' });
    await fetch(`${cg.url}/coins/markets?vs_currency=usd&per_page=1`, { headers: { 'x-cg-demo-api-key': 'k' } });
    await fetch(`${cg.url}/ping`);
    expect(cg.requests.map(({ method, path, status, at }) => ({ method, path, status, at }))).toEqual([
      { method: 'GET', path: '/coins/markets', status: 200, at: NOW },
      { method: 'GET', path: '/ping', status: 401, at: NOW },
    ]);
    expect(cg.requests[0]?.query).toEqual({ vs_currency: 'usd', per_page: '1' });
    expect(cg.requests[0]?.headers['x-cg-demo-api-key']).toBe('k');
  });

  it('behavior: the official SDK reads pages and honours an injected 429 through Retry-After', async () => {
    const cg = await start({ apiKey: 'k', now: Date.now });
    const client = new Coingecko({ baseURL: cg.url, demoAPIKey: 'k', maxRetries: 1 });
    const lastPage = await client.coins.markets.get({ vs_currency: 'usd', per_page: 250, page: 4 });
    expect(lastPage).toHaveLength(50);
    cg.inject({ pathPrefix: '/simple/price', status: 429 });
    const price = await client.simple.price.get({ ids: 'bitcoin', vs_currencies: 'usd' });
    expect(price.bitcoin?.usd).toBeGreaterThan(0);
    expect(cg.requests.filter((r) => r.path === '/simple/price').map((r) => r.status)).toEqual([429, 200]);
  });
});
