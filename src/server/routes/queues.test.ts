import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDb, type TestDb } from '../../../test/helpers/databases.ts';
import { assertRedis, dropPrefix, queueConfig, uniquePrefix } from '../../../test/helpers/queue.ts';
import { type App, createApp } from '../../app.ts';
import { silentLogger } from '../../internal/logger.ts';
import { createServer } from '../createServer.ts';

const TOKEN = 'queue-monitor-token-0123456789';
const basic = (password: string) => `Basic ${Buffer.from(`ops:${password}`).toString('base64')}`;

describe('Bull Board at /jobs/queues', () => {
  let testDb: TestDb;
  const prefix = uniquePrefix();
  const servers: { app: App; server: FastifyInstance }[] = [];

  async function serve(settings: Record<string, string>) {
    // DATABASE_URL too: the server reads through its own read-only pool on it.
    const config = queueConfig(prefix, { DATABASE_URL: testDb.url as string, ...settings });
    const app = await createApp({ config, log: silentLogger(), db: testDb.db });
    const server = await createServer(app);
    servers.push({ app, server });
    return { app, server };
  }

  beforeAll(async () => {
    await assertRedis();
    testDb = await openTestDb('postgres');
  });

  afterAll(async () => {
    try {
      for (const { app, server } of servers) {
        await server.close();
        await app.close();
      }
    } finally {
      await dropPrefix(prefix);
      await testDb?.close();
    }
  });

  it('behavior: the board and its API answer with the bearer token, or Basic with the token as password', async () => {
    const { app, server } = await serve({ API_TOKEN: TOKEN });
    await app.executor.trigger('quality');

    const page = await server.inject({ url: '/jobs/queues', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    // The board is under the server's CSP (its bundles are its own; Google's font stylesheet is not loaded).
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    // The page's assets resolve against its <base href>, under the same token.
    const base = /<base href="([^"]+)"/.exec(page.body)?.[1] ?? '';
    const css = /href="(static\/css\/[^"]+\.css)"/.exec(page.body)?.[1] ?? 'missing.css';
    const asset = await server.inject({
      url: new URL(css, `http://host${base}`).pathname,
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(asset.statusCode).toBe(200);

    const api = await server.inject({ url: '/jobs/queues/api/queues', headers: { authorization: basic(TOKEN) } });
    expect(api.statusCode).toBe(200);
    const [queue] = api.json().queues;
    expect(queue).toMatchObject({ name: 'jobs', counts: { waiting: 1 }, allowRetries: false });
  });

  it('error: retrying from the board is refused (a retried run would escape the one-run-per-job guarantee)', async () => {
    const { server } = await serve({ API_TOKEN: TOKEN });
    const headers = { authorization: `Bearer ${TOKEN}` };
    // Matched on the route the router resolved: an encoded path (%72 is "r") reaches the same route, and is refused.
    for (const [method, url] of [
      ['PUT', '/jobs/queues/api/queues/jobs/retry/failed'],
      ['PUT', '/jobs/queues/api/queues/jobs/some-run/retry'],
      ['PUT', '/jobs/queues/api/queues/jobs/%72etry/failed'],
      ['PUT', '/jobs/queues/api/queues/jobs/some-run/%72%65try'],
      ['PUT', '/jobs/queues/api/queues/%6aobs/retry/completed?x=1'],
      ['POST', '/jobs/queues/api/queues/jobs/%61dd'],
    ] as const) {
      const res = await server.inject({ method, url, headers, ...(method === 'POST' ? { payload: {} } : {}) });
      expect(res.statusCode, url).toBe(403);
      expect(res.json()).toMatchObject({
        error: 'ETL_QUEUE_RETRY_DISABLED',
        message: expect.stringContaining('crypto-etl run'),
      });
    }
    // The rest of the board's actions still work.
    const clean = await server.inject({ method: 'PUT', url: '/jobs/queues/api/queues/jobs/clean/completed', headers });
    expect(clean.statusCode).toBeLessThan(300);
  });

  it('error: no or wrong credentials get 401 with a Basic challenge a browser answers', async () => {
    const { server } = await serve({ API_TOKEN: TOKEN });
    for (const authorization of [undefined, 'Bearer wrong-token-0123456789', basic('wrong')]) {
      const res = await server.inject({
        url: '/jobs/queues/api/queues',
        headers: authorization ? { authorization } : {},
      });
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toContain('Basic');
      expect(res.json().error).toBe('ETL_API_UNAUTHORIZED');
    }
  });

  it('error: without API_TOKEN the board is closed (403)', async () => {
    const { server } = await serve({});
    const res = await server.inject({ url: '/jobs/queues', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.statusCode).toBe(403);
    expect(res.json().error).toBe('ETL_API_DISABLED');
  });

  it('error: without REDIS_URL there is no queue to show (404 naming the setting)', async () => {
    const { server } = await serve({ REDIS_URL: '', API_TOKEN: TOKEN });
    const res = await server.inject({ url: '/jobs/queues', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: 'ETL_QUEUE_DISABLED', message: expect.stringContaining('REDIS_URL') });
  });

  it('behavior: the board stays out of the OpenAPI document', async () => {
    const { server } = await serve({ API_TOKEN: TOKEN });
    const spec = await server.inject({ url: '/docs/json' });
    expect(spec.statusCode).toBe(200);
    expect(Object.keys(spec.json().paths).filter((p) => p.startsWith('/jobs/queues'))).toEqual([]);
  });
});
