import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type EtlError, isEtlError } from '../../internal/errors.ts';
import { silentLogger } from '../../internal/logger.ts';
import { createHttpClient } from './httpClient.ts';

/**
 * One scripted response. `cut` sends the headers (the whole body's length declared) and half the body, then
 * stalls, resets the connection (RST) or closes it cleanly (FIN).
 */
interface Scripted {
  status: number;
  body: string;
  headers?: Record<string, string>;
  cut?: 'stall' | 'reset' | 'close';
}

/** A local upstream answering from a script of responses, recording when each request came. */
let server: Server;
let base: string;
let script: Scripted[] = [];
let hits: number[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    hits.push(Date.now());
    const next = script.shift() ?? { status: 200, body: '{"ok":true}' };
    const headers = { 'content-type': 'application/json', ...next.headers };
    if (!next.cut) {
      res.writeHead(next.status, headers);
      res.end(next.body);
      return;
    }
    res.writeHead(next.status, { ...headers, 'content-length': Buffer.byteLength(next.body) });
    res.write(next.body.slice(0, next.body.length / 2), () => {
      if (next.cut === 'reset') req.socket.resetAndDestroy();
      if (next.cut === 'close') req.socket.end();
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
  hits = [];
});

const client = (extra: Partial<Parameters<typeof createHttpClient>[0]> = {}) =>
  createHttpClient({
    name: 'Upstream',
    baseUrl: base,
    urlSetting: 'UPSTREAM_URL',
    log: silentLogger(),
    backoffBaseMs: 10,
    maxRetries: 2,
    ...extra,
  });

describe('createHttpClient', () => {
  it('error: 429 waits Retry-After, then succeeds', async () => {
    script = [{ status: 429, body: '{}', headers: { 'retry-after': '1' } }];
    expect(await client().get('/x')).toEqual({ ok: true });
    expect(hits).toHaveLength(2);
    expect((hits[1] as number) - (hits[0] as number)).toBeGreaterThanOrEqual(990);
  });

  it('error: 5xx is retried with backoff, then fails with a clear retryable error', async () => {
    script = [500, 502, 503].map((status) => ({ status, body: '{"error":"down"}' }));
    const error = (await client()
      .get('/x')
      .catch((e: unknown) => e)) as EtlError;
    expect(isEtlError(error, 'ETL_UPSTREAM_HTTP')).toBe(true);
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/Upstream answered HTTP 503 .* after 3 attempt\(s\): the upstream is failing/);
    expect(hits).toHaveLength(3);
  });

  it('error: a body that is not JSON, or not the expected shape, is ETL_UPSTREAM_MALFORMED', async () => {
    script = [{ status: 200, body: '<html>oops</html>' }];
    await expect(client().get('/x')).rejects.toThrow(/Malformed response .*not JSON/);
    script = [{ status: 200, body: '{"items":"nope"}' }];
    await expect(client().get('/x', { schema: z.object({ items: z.array(z.number()) }) })).rejects.toThrow(
      /Malformed response .*items: Invalid input: expected array, received string/,
    );
  });

  it('error: 401 is not retried and keys never appear in the message', async () => {
    script = [{ status: 401, body: '{"error":"invalid key sk-live-123456"}' }];
    const error = (await client({ secrets: ['sk-live-123456'] })
      .get('/x', { query: { api_key: 'sk-live-123456' } })
      .catch((e: unknown) => e)) as EtlError;
    expect(isEtlError(error, 'ETL_UPSTREAM_AUTH')).toBe(true);
    expect(hits).toHaveLength(1);
    expect(error.message).not.toContain('sk-live-123456');
    expect(error.message).toContain('api_key=***');
  });

  it('error: an unreachable host names the setting to fix', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const error = (await client({ baseUrl: `http://127.0.0.1:${port}`, maxRetries: 1 })
      .get('/x')
      .catch((e: unknown) => e)) as EtlError;
    expect(isEtlError(error, 'ETL_UPSTREAM_UNREACHABLE')).toBe(true);
    expect(error.message).toMatch(
      /Upstream is unreachable at .*\(ECONNREFUSED\) after 2 attempt\(s\): check the network, or set UPSTREAM_URL/,
    );
  });

  it('behavior: the rate limiter spaces calls evenly', async () => {
    const c = client({ ratePerMin: 600 });
    await Promise.all([c.get('/a'), c.get('/b'), c.get('/c')]);
    expect((hits[2] as number) - (hits[0] as number)).toBeGreaterThanOrEqual(190);
  });

  it('error: a body that stalls after its headers fails within timeoutMs, as ETL_UPSTREAM_TIMEOUT', {
    timeout: 10_000,
  }, async () => {
    script = [0, 1].map(() => ({ status: 200, body: '{"items":[1,2,3,4,5,6]}', cut: 'stall' as const }));
    // Garbage collection while the body stalls: a timeout that only a collectable signal holds never fires.
    setFlagsFromString('--expose_gc');
    const gc = runInNewContext('gc') as () => void;
    const collecting = setInterval(gc, 20);
    const error = (await client({ timeoutMs: 150, maxRetries: 1 })
      .get('/x')
      .catch((e: unknown) => e)
      .finally(() => clearInterval(collecting))) as EtlError;
    expect(isEtlError(error, 'ETL_UPSTREAM_TIMEOUT')).toBe(true);
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(
      /Upstream did not finish its answer at .* within 150 ms after 2 attempt\(s\): .*HTTP_TIMEOUT_MS/,
    );
    expect(hits).toHaveLength(2);
  });

  it('error: a connection reset or closed mid-body is retried like a 5xx', async () => {
    script = [
      { status: 200, body: '{"items":[1,2,3,4,5,6]}', cut: 'reset' },
      { status: 200, body: '{"items":[1,2,3,4,5,6]}', cut: 'close' },
      { status: 200, body: '{"items":[1,2,3,4,5,6]}' },
    ];
    expect(await client().get('/x')).toEqual({ items: [1, 2, 3, 4, 5, 6] });
    expect(hits).toHaveLength(3);
  });

  it('error: a body cut on every attempt fails as ETL_UPSTREAM_UNREACHABLE, retryable, saying so', async () => {
    script = [0, 1, 2].map(() => ({ status: 200, body: '{"items":[1,2,3,4,5,6]}', cut: 'reset' as const }));
    const error = (await client()
      .get('/x')
      .catch((e: unknown) => e)) as EtlError;
    expect(isEtlError(error, 'ETL_UPSTREAM_UNREACHABLE')).toBe(true);
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/Upstream dropped the connection mid-answer at .* after 3 attempt\(s\)/);
    expect(hits).toHaveLength(3);
  });

  it('error: truncated JSON in a complete answer is ETL_UPSTREAM_MALFORMED, also on an error status', async () => {
    script = [{ status: 200, body: '{"items":[1,2,3' }];
    const error = (await client()
      .get('/x')
      .catch((e: unknown) => e)) as EtlError;
    expect(isEtlError(error, 'ETL_UPSTREAM_MALFORMED')).toBe(true);
    expect(error.message).toMatch(/Malformed response .*not JSON \(cut short\?\)/);
    script = [{ status: 404, body: '{"error":"no resul' }];
    await expect(client().request('/x', { passStatuses: [404] })).rejects.toMatchObject({
      code: 'ETL_UPSTREAM_MALFORMED',
    });
  });
});
