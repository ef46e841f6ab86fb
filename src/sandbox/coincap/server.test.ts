import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { priceAt } from '../coingecko/prices.ts';
import { type CoinCapEmulator, startCoinCapEmulator } from './server.ts';

const NOW = Date.UTC(2025, 5, 1, 12, 30, 15);
const KEY = 'emulator-key';
// Keys of samples/coincap_v2_assets.json, in order, plus `explorer` (ByronAP AssetData).
const ASSET_KEYS = [
  'id',
  'rank',
  'symbol',
  'name',
  'supply',
  'maxSupply',
  'marketCapUsd',
  'volumeUsd24Hr',
  'priceUsd',
  'changePercent24Hr',
  'vwap24Hr',
  'explorer',
];

describe('CoinCap emulator', () => {
  let cc: CoinCapEmulator;
  const get = async (path: string, headers: Record<string, string> = { authorization: `Bearer ${KEY}` }) => {
    const response = await fetch(`${cc.url.replace(/\/v3$/, '')}${path}`, { headers });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    cc = await startCoinCapEmulator({ apiKey: KEY, assetCount: 30, now: () => NOW });
  });
  afterAll(() => cc.close());

  it('behavior: the {data, timestamp} envelope, fields in the sample order, every number a 16-decimal string', async () => {
    const { status, body } = await get('/v3/assets?limit=2');
    expect(status).toBe(200);
    expect(body.timestamp).toBe(NOW);
    const [btc] = body.data as Record<string, unknown>[];
    expect(Object.keys(btc ?? {})).toEqual(ASSET_KEYS);
    expect(btc).toMatchObject({ id: 'bitcoin', rank: '1', symbol: 'BTC', maxSupply: '21000000.0000000000000000' });
    expect(btc?.priceUsd).toMatch(/^\d+\.\d{16}$/);
    // Within the ±0.4 % spread of the CoinGecko emulator's price.
    expect(Math.abs(Number(btc?.priceUsd) / priceAt('bitcoin', Math.floor(NOW / 60_000) * 60_000) - 1)).toBeLessThan(
      0.0041,
    );
  });

  it('behavior: history points sit on the interval grid with time (ms), date (ISO) and string prices', async () => {
    const start = Date.UTC(2025, 4, 30);
    const { body } = await get(`/v3/assets/ethereum/history?interval=d1&start=${start}&end=${NOW}`);
    const points = body.data as { time: number; date: string; priceUsd: string }[];
    expect(points.map((p) => p.time)).toEqual([start, start + 86_400_000, start + 2 * 86_400_000]);
    expect(points[0]).toMatchObject({
      date: '2025-05-30T00:00:00.000Z',
      priceUsd: expect.stringMatching(/^\d+\.\d+$/),
    });
  });

  it('error: /v3 needs the key (bearer or apiKey=), /v2 does not; bad parameters get 400 with the upstream text', async () => {
    expect((await get('/v3/assets', {})).status).toBe(401);
    expect((await get('/v3/assets', { authorization: 'Bearer nope' })).body).toEqual({ error: 'Invalid API key' });
    expect((await get(`/v3/assets?limit=1&apiKey=${KEY}`, {})).status).toBe(200);
    expect((await get('/v2/assets?limit=1', {})).status).toBe(200);
    expect(await get('/v3/assets?limit=2001')).toEqual({ status: 400, body: { error: 'limit exceeds 2000' } });
    expect(await get('/v3/assets/bitcoin/history')).toEqual({ status: 400, body: { error: 'missing interval' } });
    expect((await get('/v3/assets/nope/history?interval=d1')).status).toBe(404);
  });

  it('behavior: the request log records every call; injected faults answer first', async () => {
    cc.inject({ pathPrefix: '/exchanges', status: 503 });
    expect((await get('/v3/exchanges')).status).toBe(503);
    expect((await get('/v3/exchanges')).status).toBe(200);
    expect(cc.requests.slice(-2).map((r) => [r.version, r.path, r.status])).toEqual([
      ['v3', '/exchanges', 503],
      ['v3', '/exchanges', 200],
    ]);
  });
});
