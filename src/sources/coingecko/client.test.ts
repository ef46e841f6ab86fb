import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { testConfig } from '../../../test/helpers/config.ts';
import { type EtlError, isEtlError } from '../../internal/errors.ts';
import { silentLogger } from '../../internal/logger.ts';
import { createCoinGeckoClient } from './client.ts';

const COINS = '[{"id":"bitcoin","symbol":"btc","name":"Bitcoin"},{"id":"ethereum","symbol":"eth","name":"Ethereum"}]';

/**
 * One scripted answer. `cut` sends the headers (the whole body's length declared) and half the body, then
 * stalls or resets the connection (RST).
 */
interface Scripted {
  status?: number;
  body: string;
  cut?: 'stall' | 'reset';
}

/** A local CoinGecko answering from a script, recording each request's path. */
let server: Server;
let base: string;
let script: Scripted[] = [];
let paths: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    paths.push(new URL(req.url ?? '/', 'http://x').pathname);
    const next = script.shift() ?? { body: COINS };
    res.writeHead(next.status ?? 200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(next.body),
    });
    if (!next.cut) {
      res.end(next.body);
      return;
    }
    res.write(next.body.slice(0, next.body.length / 2), () => {
      if (next.cut === 'reset') req.socket.resetAndDestroy();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  return new Promise<void>((r) => server.close(() => r()));
});
beforeEach(() => {
  script = [];
  paths = [];
});

const client = (settings: Record<string, string> = {}) =>
  createCoinGeckoClient({
    config: testConfig({
      COINGECKO_API_URL: base,
      COINGECKO_RATE_PER_MIN: '6000',
      HTTP_MAX_RETRIES: '1',
      ...settings,
    }),
    log: silentLogger(),
  });
const failure = (promise: Promise<unknown>) => promise.catch((e: unknown) => e) as Promise<EtlError>;

describe('createCoinGeckoClient', () => {
  it('error: a body that stalls after its headers fails within HTTP_TIMEOUT_MS as ETL_UPSTREAM_TIMEOUT', {
    timeout: 10_000,
  }, async () => {
    script = [0, 1].map(() => ({ body: COINS, cut: 'stall' as const }));
    // Garbage collection while the body stalls: a timeout that only a collectable signal holds never fires.
    setFlagsFromString('--expose_gc');
    const gc = runInNewContext('gc') as () => void;
    const collecting = setInterval(gc, 20);
    const error = await failure(client({ HTTP_TIMEOUT_MS: '150' }).listCoins()).finally(() =>
      clearInterval(collecting),
    );
    expect(isEtlError(error, 'ETL_UPSTREAM_TIMEOUT')).toBe(true);
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(
      /CoinGecko did not finish its answer at .*\/coins\/list.* within 150 ms after 2 attempt\(s\): .*HTTP_TIMEOUT_MS/,
    );
    expect(paths).toEqual(['/coins/list', '/coins/list']);
  });

  it('behavior: a body that stalled once is asked again, and the next whole answer is used', async () => {
    script = [{ body: COINS, cut: 'stall' }];
    const coins = await client({ HTTP_TIMEOUT_MS: '150' }).listCoins();
    expect(coins.map((c) => c.id)).toEqual(['bitcoin', 'ethereum']);
    expect(paths).toHaveLength(2);
  });

  it('behavior: a connection reset mid-body is retried like a 5xx, and the next answer is used', async () => {
    script = [{ body: COINS, cut: 'reset' }];
    const coins = await client().listCoins();
    expect(coins.map((c) => c.id)).toEqual(['bitcoin', 'ethereum']);
    expect(paths).toHaveLength(2);
  });

  it('error: resets on every attempt fail as ETL_UPSTREAM_UNREACHABLE after HTTP_MAX_RETRIES + 1 attempts, as 5xx do', async () => {
    script = [0, 1].map(() => ({ body: COINS, cut: 'reset' as const }));
    const reset = await failure(client().listCoins());
    expect(isEtlError(reset, 'ETL_UPSTREAM_UNREACHABLE')).toBe(true);
    expect(reset.retryable).toBe(true);
    expect(reset.message).toMatch(
      /CoinGecko dropped the connection mid-answer at .*\/coins\/list.* after 2 attempt\(s\): .*cut the body/,
    );
    expect(paths).toHaveLength(2);

    paths = [];
    script = [0, 1].map(() => ({ status: 503, body: '{"error":"down"}' }));
    const down = await failure(client().listCoins());
    expect(isEtlError(down, 'ETL_UPSTREAM_HTTP')).toBe(true);
    expect(down.retryable).toBe(true);
    expect(down.message).toMatch(/CoinGecko answered HTTP 503 at .* after 2 attempt\(s\)/);
    expect(paths).toHaveLength(2);
  });

  it('error: JSON cut short in a complete answer is ETL_UPSTREAM_MALFORMED, not retried', async () => {
    script = [{ body: COINS.slice(0, 30) }];
    const error = await failure(client().listCoins());
    expect(isEtlError(error, 'ETL_UPSTREAM_MALFORMED')).toBe(true);
    expect(error.message).toMatch(/Malformed CoinGecko response at .*\/coins\/list.*: not JSON \(cut short\?\)/);
    expect(paths).toHaveLength(1);

    script = [{ body: '<html>captive portal</html>' }];
    await expect(client().marketsPage(1, 250)).rejects.toMatchObject({
      code: 'ETL_UPSTREAM_MALFORMED',
      message: expect.stringMatching(/\/coins\/markets page 1\): not JSON: <html>/),
    });
  });

  it('error: an unreachable host is ETL_UPSTREAM_UNREACHABLE naming COINGECKO_API_URL', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const error = await failure(
      client({ COINGECKO_API_URL: `http://127.0.0.1:${port}`, HTTP_MAX_RETRIES: '0' }).listCoins(),
    );
    expect(isEtlError(error, 'ETL_UPSTREAM_UNREACHABLE')).toBe(true);
    expect(error.message).toMatch(/unreachable at .* \(ECONNREFUSED\) after 1 attempt\(s\): .*COINGECKO_API_URL/);
  });
});
