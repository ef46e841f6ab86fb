import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { closedPortUrl, type ScriptedUpstream, startScriptedUpstream } from '../../../test/helpers/scriptedUpstream.ts';
import { type EtlError, isEtlError } from '../../internal/errors.ts';
import { silentLogger } from '../../internal/logger.ts';
import { createHttpClient } from './httpClient.ts';

let upstream: ScriptedUpstream;
beforeAll(async () => {
  upstream = await startScriptedUpstream({ status: 200, body: '{"ok":true}' });
});
afterAll(() => upstream.close());
beforeEach(() => upstream.play([]));

const client = (extra: Partial<Parameters<typeof createHttpClient>[0]> = {}) =>
  createHttpClient({
    name: 'Upstream',
    baseUrl: upstream.url,
    urlSetting: 'UPSTREAM_URL',
    log: silentLogger(),
    backoffBaseMs: 10,
    maxRetries: 2,
    ...extra,
  });

describe('createHttpClient', () => {
  it('error: 429 waits Retry-After, then succeeds', async () => {
    upstream.play([{ status: 429, body: '{}', headers: { 'retry-after': '1' } }]);
    expect(await client().get('/x')).toEqual({ ok: true });
    expect(upstream.hits).toHaveLength(2);
    expect((upstream.hits[1] as number) - (upstream.hits[0] as number)).toBeGreaterThanOrEqual(990);
  });

  it('error: 5xx is retried with backoff, then fails with a clear retryable error', async () => {
    upstream.play([500, 502, 503].map((status) => ({ status, body: '{"error":"down"}' })));
    const error = (await client()
      .get('/x')
      .catch((e: unknown) => e)) as EtlError;
    expect(isEtlError(error, 'ETL_UPSTREAM_HTTP')).toBe(true);
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/Upstream answered HTTP 503 .* after 3 attempt\(s\): the upstream is failing/);
    expect(upstream.hits).toHaveLength(3);
  });

  it('error: a body that is not JSON, or not the expected shape, is ETL_UPSTREAM_MALFORMED', async () => {
    upstream.play([{ status: 200, body: '<html>oops</html>' }]);
    await expect(client().get('/x')).rejects.toThrow(/Malformed response .*not JSON/);
    upstream.play([{ status: 200, body: '{"items":"nope"}' }]);
    await expect(client().get('/x', { schema: z.object({ items: z.array(z.number()) }) })).rejects.toThrow(
      /Malformed response .*items: Invalid input: expected array, received string/,
    );
  });

  it('error: 401 is not retried and keys never appear in the message', async () => {
    upstream.play([{ status: 401, body: '{"error":"invalid key sk-live-123456"}' }]);
    const error = (await client({ secrets: ['sk-live-123456'] })
      .get('/x', { query: { api_key: 'sk-live-123456' } })
      .catch((e: unknown) => e)) as EtlError;
    expect(isEtlError(error, 'ETL_UPSTREAM_AUTH')).toBe(true);
    expect(upstream.hits).toHaveLength(1);
    expect(error.message).not.toContain('sk-live-123456');
    expect(error.message).toContain('api_key=***');
  });

  it('error: an unreachable host names the setting to fix', async () => {
    const error = (await client({ baseUrl: await closedPortUrl(), maxRetries: 1 })
      .get('/x')
      .catch((e: unknown) => e)) as EtlError;
    expect(isEtlError(error, 'ETL_UPSTREAM_UNREACHABLE')).toBe(true);
    expect(error.message).toMatch(
      /Upstream is unreachable at .*\(ECONNREFUSED\) after 2 attempt\(s\): check the network, or set UPSTREAM_URL/,
    );
  });

  it('behavior: the rate limiter spaces calls evenly', async () => {
    const c = client({ ratePerMin: 600 });
    // A first call opens the connection: on a loaded machine that delays its arrival, not the spacing measured.
    await c.get('/warm');
    await Promise.all([c.get('/a'), c.get('/b'), c.get('/c')]);
    expect(upstream.hits).toHaveLength(4);
    // Two 100 ms intervals; arrivals are seen by the server, whose clock a loaded machine jitters by tens of ms.
    // Without the limiter the three would arrive within a few ms of each other.
    expect((upstream.hits[3] as number) - (upstream.hits[1] as number)).toBeGreaterThanOrEqual(150);
  });

  it('error: a body that stalls after its headers fails within timeoutMs, as ETL_UPSTREAM_TIMEOUT', {
    timeout: 10_000,
  }, async () => {
    upstream.play([0, 1].map(() => ({ status: 200, body: '{"items":[1,2,3,4,5,6]}', cut: 'stall' as const })));
    // Garbage collection while the body stalls: a timeout that only a collectable signal holds never fires.
    setFlagsFromString('--expose_gc');
    const gc = runInNewContext('gc') as () => void;
    const collecting = setInterval(gc, 20);
    // Long enough for the headers to come on a loaded machine; the body never does.
    const error = (await client({ timeoutMs: 600, maxRetries: 1 })
      .get('/x')
      .catch((e: unknown) => e)
      .finally(() => clearInterval(collecting))) as EtlError;
    expect(isEtlError(error, 'ETL_UPSTREAM_TIMEOUT')).toBe(true);
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(
      /Upstream did not finish its answer at .* within 600 ms after 2 attempt\(s\): .*HTTP_TIMEOUT_MS/,
    );
    expect(upstream.hits).toHaveLength(2);
  });

  it('error: a connection reset or closed mid-body is retried like a 5xx', async () => {
    upstream.play([
      { status: 200, body: '{"items":[1,2,3,4,5,6]}', cut: 'reset' },
      { status: 200, body: '{"items":[1,2,3,4,5,6]}', cut: 'close' },
      { status: 200, body: '{"items":[1,2,3,4,5,6]}' },
    ]);
    expect(await client().get('/x')).toEqual({ items: [1, 2, 3, 4, 5, 6] });
    expect(upstream.hits).toHaveLength(3);
  });

  it('error: a body cut on every attempt fails as ETL_UPSTREAM_UNREACHABLE, retryable, saying so', async () => {
    upstream.play([0, 1, 2].map(() => ({ status: 200, body: '{"items":[1,2,3,4,5,6]}', cut: 'reset' as const })));
    const error = (await client()
      .get('/x')
      .catch((e: unknown) => e)) as EtlError;
    expect(isEtlError(error, 'ETL_UPSTREAM_UNREACHABLE')).toBe(true);
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/Upstream dropped the connection mid-answer at .* after 3 attempt\(s\)/);
    expect(upstream.hits).toHaveLength(3);
  });

  it('error: truncated JSON in a complete answer is ETL_UPSTREAM_MALFORMED, also on an error status', async () => {
    upstream.play([{ status: 200, body: '{"items":[1,2,3' }]);
    const error = (await client()
      .get('/x')
      .catch((e: unknown) => e)) as EtlError;
    expect(isEtlError(error, 'ETL_UPSTREAM_MALFORMED')).toBe(true);
    expect(error.message).toMatch(/Malformed response .*not JSON \(cut short\?\)/);
    upstream.play([{ status: 404, body: '{"error":"no resul' }]);
    await expect(client().request('/x', { passStatuses: [404] })).rejects.toMatchObject({
      code: 'ETL_UPSTREAM_MALFORMED',
    });
  });
});
