import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { testConfig } from '../../../test/helpers/config.ts';
import { closedPortUrl, type ScriptedUpstream, startScriptedUpstream } from '../../../test/helpers/scriptedUpstream.ts';
import { type EtlError, isEtlError } from '../../internal/errors.ts';
import { silentLogger } from '../../internal/logger.ts';
import { createCoinGeckoClient } from './client.ts';

const COINS = '[{"id":"bitcoin","symbol":"btc","name":"Bitcoin"},{"id":"ethereum","symbol":"eth","name":"Ethereum"}]';

let upstream: ScriptedUpstream;
beforeAll(async () => {
  upstream = await startScriptedUpstream({ body: COINS });
});
afterAll(() => upstream.close());
beforeEach(() => upstream.play([]));

const client = (settings: Record<string, string> = {}) =>
  createCoinGeckoClient({
    config: testConfig({
      COINGECKO_API_URL: upstream.url,
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
    upstream.play([0, 1].map(() => ({ body: COINS, cut: 'stall' as const })));
    // Garbage collection while the body stalls: a timeout that only a collectable signal holds never fires.
    setFlagsFromString('--expose_gc');
    const gc = runInNewContext('gc') as () => void;
    const collecting = setInterval(gc, 20);
    const error = await failure(client({ HTTP_TIMEOUT_MS: '600' }).listCoins()).finally(() =>
      clearInterval(collecting),
    );
    expect(isEtlError(error, 'ETL_UPSTREAM_TIMEOUT')).toBe(true);
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(
      /CoinGecko did not finish its answer at .*\/coins\/list.* within 600 ms after 2 attempt\(s\): .*HTTP_TIMEOUT_MS/,
    );
    expect(upstream.paths).toEqual(['/coins/list', '/coins/list']);
  });

  it('behavior: a body that stalled once is asked again, and the next whole answer is used', async () => {
    upstream.play([{ body: COINS, cut: 'stall' }]);
    const coins = await client({ HTTP_TIMEOUT_MS: '600' }).listCoins();
    expect(coins.map((c) => c.id)).toEqual(['bitcoin', 'ethereum']);
    expect(upstream.paths).toHaveLength(2);
  });

  it('behavior: a connection reset mid-body is retried like a 5xx, and the next answer is used', async () => {
    upstream.play([{ body: COINS, cut: 'reset' }]);
    const coins = await client().listCoins();
    expect(coins.map((c) => c.id)).toEqual(['bitcoin', 'ethereum']);
    expect(upstream.paths).toHaveLength(2);
  });

  it('error: resets on every attempt fail as ETL_UPSTREAM_UNREACHABLE after HTTP_MAX_RETRIES + 1 attempts, as 5xx do', async () => {
    upstream.play([0, 1].map(() => ({ body: COINS, cut: 'reset' as const })));
    const reset = await failure(client().listCoins());
    expect(isEtlError(reset, 'ETL_UPSTREAM_UNREACHABLE')).toBe(true);
    expect(reset.retryable).toBe(true);
    expect(reset.message).toMatch(
      /CoinGecko dropped the connection mid-answer at .*\/coins\/list.* after 2 attempt\(s\): .*cut the body/,
    );
    expect(upstream.paths).toHaveLength(2);

    upstream.play([0, 1].map(() => ({ status: 503, body: '{"error":"down"}' })));
    const down = await failure(client().listCoins());
    expect(isEtlError(down, 'ETL_UPSTREAM_HTTP')).toBe(true);
    expect(down.retryable).toBe(true);
    expect(down.message).toMatch(/CoinGecko answered HTTP 503 at .* after 2 attempt\(s\)/);
    expect(upstream.paths).toHaveLength(2);
  });

  it('error: JSON cut short in a complete answer is ETL_UPSTREAM_MALFORMED, not retried', async () => {
    upstream.play([{ body: COINS.slice(0, 30) }]);
    const error = await failure(client().listCoins());
    expect(isEtlError(error, 'ETL_UPSTREAM_MALFORMED')).toBe(true);
    expect(error.message).toMatch(/Malformed CoinGecko response at .*\/coins\/list.*: not JSON \(cut short\?\)/);
    expect(upstream.paths).toHaveLength(1);

    upstream.play([{ body: '<html>captive portal</html>' }]);
    await expect(client().marketsPage(1, 250)).rejects.toMatchObject({
      code: 'ETL_UPSTREAM_MALFORMED',
      message: expect.stringMatching(/\/coins\/markets page 1\): not JSON: <html>/),
    });
  });

  it('error: an unreachable host is ETL_UPSTREAM_UNREACHABLE naming COINGECKO_API_URL', async () => {
    const error = await failure(
      client({ COINGECKO_API_URL: await closedPortUrl(), HTTP_MAX_RETRIES: '0' }).listCoins(),
    );
    expect(isEtlError(error, 'ETL_UPSTREAM_UNREACHABLE')).toBe(true);
    expect(error.message).toMatch(/unreachable at .* \(ECONNREFUSED\) after 1 attempt\(s\): .*COINGECKO_API_URL/);
  });
});
