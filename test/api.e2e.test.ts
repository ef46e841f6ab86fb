import { spawnSync } from 'node:child_process';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics } from '../src/internal/metrics.ts';
import { createServer } from '../src/server/createServer.ts';
import { openReadOnlyDb } from '../src/server/readOnlyDb.ts';
import { applyModels } from '../src/transforms/applyModels.ts';
import { CLOCK_CASES } from './helpers/clock.ts';
import { POSTGRES_ENGINES } from './helpers/databases.ts';
import { API_TOKEN, type SandboxApp, startSandboxApp } from './helpers/sandboxApp.ts';

type Operation = {
  parameters?: { name: string; in: string; required?: boolean; schema?: object }[];
  responses: Record<string, { description?: string; content?: Record<string, { schema?: object }> }>;
  tags?: string[];
  operationId?: string;
  security?: Record<string, string[]>[];
};
type OpenApi = {
  openapi: string;
  info: { title: string; version: string };
  tags?: { name: string }[];
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, object>; securitySchemes?: Record<string, object> };
};

/** Every GET endpoint of the API with the parameters it needs to answer. */
const ENDPOINTS: Record<string, string> = {
  '/api/coins': '',
  '/api/market': '',
  '/api/prices': 'coin=bitcoin',
  '/api/cow/trades': '',
  '/api/cow/daily': '',
  '/api/chain/daily': '',
  '/api/chain/transfers': '',
  '/api/runs': '',
  '/api/watermarks': '',
  '/api/quality': '',
  '/api/schema-changes': '',
  '/api/jobs': '',
};
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

// Every engine at every clock case: what the sandbox holds depends on the day and hour, what the API answers
// must match it at any of them.
const CASES = POSTGRES_ENGINES.flatMap((engine) => CLOCK_CASES.map((clock) => ({ engine, ...clock })));

describe.each(CASES)('analytics API on $engine at $name', ({ engine, iso }) => {
  let sandbox: SandboxApp;
  let doc: OpenApi;
  const get = (url: string, headers: Record<string, string> = {}) => fetch(`${sandbox.url}${url}`, { headers });
  const json = async (url: string) => {
    const response = await get(url);
    expect(response.status, url).toBe(200);
    return response.json();
  };

  beforeAll(async () => {
    sandbox = await startSandboxApp(engine, {}, { nowMs: Date.parse(iso) });
    doc = await json('/docs/json');
  }, 180_000);
  afterAll(async () => {
    await sandbox?.close();
  });

  it('behavior: the OpenAPI document is valid OpenAPI 3.1 and lists every endpoint', async () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    const tags = new Set((doc.tags ?? []).map((t) => t.name));
    const operationIds = new Set<string>();
    // OpenAPI 3.1 schemas are JSON Schema 2020-12: each must compile.
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    for (const [path, item] of Object.entries(doc.paths)) {
      expect(path.startsWith('/'), path).toBe(true);
      const templated = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      for (const [method, op] of Object.entries(item)) {
        expect(METHODS, `${method} ${path}`).toContain(method);
        const where = `${method.toUpperCase()} ${path}`;
        const codes = Object.keys(op.responses ?? {});
        expect(
          codes.some((c) => /^2\d\d$/.test(c)),
          `${where} has a 2xx response`,
        ).toBe(true);
        for (const [code, response] of Object.entries(op.responses)) {
          expect(/^([1-5]\d\d|[1-5]XX|default)$/.test(code), `${where} response ${code}`).toBe(true);
          expect(typeof response.description, `${where} ${code} description`).toBe('string');
          for (const media of Object.values(response.content ?? {})) ajv.compile(media.schema ?? {});
        }
        for (const p of op.parameters ?? []) {
          expect(['query', 'path', 'header', 'cookie'], `${where} ${p.name}`).toContain(p.in);
          expect(p.schema, `${where} ${p.name} schema`).toBeTypeOf('object');
          ajv.compile(p.schema as object);
          if (p.in === 'path') {
            expect(p.required, `${where} path parameter ${p.name} is required`).toBe(true);
            expect(templated).toContain(p.name);
          }
        }
        for (const name of templated) {
          expect(
            op.parameters?.some((p) => p.in === 'path' && p.name === name),
            `${where} declares {${name}}`,
          ).toBe(true);
        }
        for (const tag of op.tags ?? []) expect(tags, `${where} tag ${tag} is declared`).toContain(tag);
        for (const requirement of op.security ?? []) {
          for (const scheme of Object.keys(requirement)) expect(doc.components?.securitySchemes).toHaveProperty(scheme);
        }
        if (op.operationId) {
          expect(operationIds.has(op.operationId), `${op.operationId} unique`).toBe(false);
          operationIds.add(op.operationId);
        }
      }
    }
    // Every $ref points at something in the document.
    for (const ref of JSON.stringify(doc).matchAll(/"\$ref":"#\/([^"]+)"/g)) {
      const target = (ref[1] as string).split('/').reduce<unknown>((node, key) => (node as never)?.[key], doc);
      expect(target, `$ref #/${ref[1]}`).toBeDefined();
    }
    for (const path of Object.keys(ENDPOINTS)) expect(doc.paths[path]?.get, path).toBeDefined();
    expect(doc.paths['/api/jobs/{name}/run']?.post?.security).toEqual([{ bearerAuth: [] }]);
    expect(doc.paths['/metrics']?.get).toBeDefined();

    const ui = await get('/docs/');
    expect(ui.status).toBe(200);
    expect(await ui.text()).toMatch(/swagger/i);
  });

  it('behavior: every endpoint answers, with data where the sandbox loaded some', async () => {
    for (const [path, query] of Object.entries(ENDPOINTS)) {
      const page = await json(`${path}${query ? `?${query}` : ''}`);
      expect(page, path).toMatchObject({ items: expect.any(Array), limit: 100, offset: 0 });
    }
    for (const path of ['/api/coins', '/api/market', '/api/runs', '/api/watermarks', '/api/jobs', '/api/quality']) {
      expect((await json(path)).items.length, path).toBeGreaterThan(0);
    }
    // A first run loads from the start of the month: on its first day there are few hours, later a page's worth.
    const [hours] = await sandbox.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM warehouse.prices_hourly WHERE coin_id = 'bitcoin'`,
    );
    expect(hours?.n).toBeGreaterThan(0);
    expect((await json('/api/prices?coin=bitcoin&interval=hourly')).items.length).toBe(Math.min(100, hours?.n ?? 0));
    expect(await json('/api/status')).toMatchObject({ sandbox: true, engine, executor: 'inline', triggers: true });
    expect(await json('/health')).toEqual({ ok: true });
    const home = await get('/');
    expect(home.headers.get('content-type')).toMatch(/text\/html/);
    expect(await home.text()).toContain('/vendor/echarts.min.js');
    const echarts = await get('/vendor/echarts.min.js');
    expect(echarts.status).toBe(200);
    expect((await echarts.text()).length).toBeGreaterThan(500_000);
  });

  it('behavior: prices match the warehouse rollups, for one coin or several, daily or hourly', async () => {
    const page = await json('/api/prices?coin=bitcoin&interval=daily&order=asc&limit=1000');
    const rows = await sandbox.db.query<{ day: string; close: number }>(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day, close::float8 AS close FROM warehouse.prices_daily
       WHERE coin_id = 'bitcoin' ORDER BY day`,
    );
    expect(page.items.map((r: { time: string; close: number }) => [r.time.slice(0, 10), r.close])).toEqual(
      rows.map((r) => [r.day, r.close]),
    );
    const both = await json('/api/prices?coin=bitcoin,ethereum&interval=hourly&limit=10000');
    const hourly = await sandbox.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM warehouse.prices_hourly WHERE coin_id IN ('bitcoin', 'ethereum')`,
    );
    expect(both.items.length).toBe(hourly[0]?.n);
    // A window over the middle third of the hours held (on a month's first hour, that one hour).
    const hours: string[] = [...new Set<string>(both.items.map((r: { time: string }) => r.time))].sort();
    const from = hours[Math.floor((hours.length - 1) / 3)] as string;
    const last = hours[Math.floor((2 * (hours.length - 1)) / 3)] as string;
    const to = new Date(Date.parse(last) + 3_600_000).toISOString();
    const window = await json(`/api/prices?coin=ethereum&interval=hourly&from=${from}&to=${to}&limit=10000`);
    expect(window.items.every((r: { time: string }) => r.time >= from && r.time < to)).toBe(true);
    const [inWindow] = await sandbox.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM warehouse.prices_hourly WHERE coin_id = 'ethereum' AND hour >= $1 AND hour < $2`,
      [from, to],
    );
    expect(inWindow?.n).toBeGreaterThan(0);
    expect(window.items.length).toBe(inWindow?.n);
  });

  it.each([
    ['/api/prices', 'coin', /is required/],
    ['/api/prices?coin=Bitcoin!', 'coin', /must match pattern/],
    ['/api/prices?coin=bitcoin&interval=weekly', 'interval', /allowed values/],
    ['/api/prices?coin=bitcoin&from=yesterday', 'from', /"yesterday"/],
    ['/api/prices?coin=bitcoin&from=2026-02-30', 'from', /not a real date/],
    ['/api/prices?coin=bitcoin&from=2026-02-01&to=2026-01-01', 'from', /must be before "to"/],
    ['/api/prices?coin=a,b,c,d,e,f,g,h,i,j,k', 'coin', /at most 10 coins/],
    ['/api/coins?limit=0', 'limit', /must be >= 1/],
    ['/api/coins?limit=abc', 'limit', /"abc"/],
    ['/api/coins?limit=10001', 'limit', /must be <= 10000/],
    ['/api/runs?offset=-1', 'offset', /must be >= 0/],
    ['/api/runs?status=done', 'status', /allowed values/],
    ['/api/market?format=xml', 'format', /allowed values/],
    ['/api/market?vs=USD', 'vs', /must match pattern/],
    ['/api/cow/trades?order=sideways', 'order', /allowed values/],
    ['/api/chain/daily?to=tomorrow', 'to', /"tomorrow"/],
    ['/api/watermarks?colour=blue', 'colour', /not a parameter of this endpoint/],
  ])('args: %s is a 400 naming "%s"', async (url, parameter, reason) => {
    const response = await get(url);
    expect(response.status).toBe(400);
    const body = await response.json();
    expect(body).toMatchObject({ error: 'ETL_INPUT_INVALID', parameter });
    expect(body.message).toContain(`"${parameter}"`);
    expect(body.message).toMatch(reason);
  });

  it('behavior: ?format=csv answers every table endpoint with the same rows as JSON', async () => {
    for (const [path, query] of Object.entries(ENDPOINTS)) {
      const base = `${path}?${query ? `${query}&` : ''}limit=25`;
      const page = await json(base);
      const response = await get(`${base}&format=csv`);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type'), path).toMatch(/^text\/csv/);
      const lines = (await response.text()).split('\r\n').filter(Boolean);
      if (page.items.length === 0) continue;
      const header = (lines[0] as string).split(',');
      expect(header, path).toEqual(Object.keys(page.items[0]));
      expect(lines.length - 1, path).toBe(page.items.length);
      const firstKey = header[0] as string;
      const first = page.items[0][firstKey];
      expect(
        (lines[1] as string).startsWith(first === null ? ',' : String(first).replace(/^(.*[",].*)$/, '"$1')),
        path,
      ).toBe(true);
    }
    const csv = await get('/api/coins?limit=10&format=csv');
    expect(csv.headers.get('x-next-offset')).toBe('10');
  });

  it('behavior: pages follow nextOffset without gaps or repeats, in a stable order', async () => {
    const ids: string[] = [];
    let offset: number | null = 0;
    while (offset !== null) {
      const page: { items: { id: string }[]; nextOffset: number | null; limit: number } = await json(
        `/api/coins?limit=70&offset=${offset}`,
      );
      expect(page.items.length).toBeLessThanOrEqual(70);
      ids.push(...page.items.map((c) => c.id));
      offset = page.nextOffset;
    }
    const db = await sandbox.db.query<{ id: string }>('SELECT id FROM staging.coingecko_coins ORDER BY id');
    expect(ids).toEqual(db.map((r) => r.id));
    const last = await json(`/api/coins?limit=70&offset=${ids.length - 5}`);
    expect(last).toMatchObject({ nextOffset: null, offset: ids.length - 5 });
    expect(last.items).toHaveLength(5);

    // Prices (rendered as JSON by the database) page the same way.
    const times: string[] = [];
    for (let next: number | null = 0; next !== null; ) {
      const page: { items: { time: string }[]; nextOffset: number | null } = await json(
        `/api/prices?coin=ethereum&interval=hourly&order=asc&limit=70&offset=${next}`,
      );
      times.push(...page.items.map((p) => p.time));
      next = page.nextOffset;
    }
    const hours = await sandbox.db.query<{ hour: Date }>(
      `SELECT hour FROM warehouse.prices_hourly WHERE coin_id = 'ethereum' ORDER BY hour`,
    );
    expect(times).toEqual(hours.map((h) => new Date(h.hour).toISOString()));
  });

  it('error: the trigger needs the bearer API_TOKEN; unknown jobs are 404, a running one 409', async () => {
    const run = (name: string, headers: Record<string, string> = {}) =>
      fetch(`${sandbox.url}/api/jobs/${name}/run`, { method: 'POST', headers });
    const bearer = { authorization: `Bearer ${API_TOKEN}` };

    const missing = await run('coingecko-coins');
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    expect(await missing.json()).toMatchObject({ error: 'ETL_API_UNAUTHORIZED' });
    const wrong = await run('coingecko-coins', { authorization: 'Bearer nope-nope-nope-nope' });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).not.toContain(API_TOKEN);
    expect((await run('no-such-job', bearer)).status).toBe(404);
    expect((await run('Bad_Name', bearer)).status).toBe(400);

    // A slow upstream keeps the first run going while the second asks.
    sandbox.emulator.inject({ pathPrefix: '/coins/list', delayMs: 1_500 });
    const before = await sandbox.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM etl.runs WHERE job = 'coingecko-coins' AND trigger = 'api'`,
    );
    const started = await run('coingecko-coins', bearer);
    expect(started.status).toBe(202);
    expect(await started.json()).toMatchObject({ job: 'coingecko-coins', status: 'started' });
    const again = await run('coingecko-coins', bearer);
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ error: 'ETL_JOB_ALREADY_RUNNING' });
    await expect
      .poll(
        async () =>
          (await json('/api/runs?job=coingecko-coins&status=succeeded')).items.filter(
            (r: { trigger: string }) => r.trigger === 'api',
          ).length,
        { timeout: 15_000 },
      )
      .toBe((before[0]?.n ?? 0) + 1);

    // Without API_TOKEN on the server, nothing gets through.
    const closed = await createServer({
      ...sandbox.app,
      config: { ...sandbox.app.config, apiToken: undefined },
      metrics: createMetrics({ processMetrics: false }),
    });
    const refused = await closed.inject({ method: 'POST', url: '/api/jobs/coingecko-coins/run', headers: bearer });
    await closed.close();
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ error: 'ETL_API_DISABLED' });
  });

  it('error: the server reads as a role that cannot write', async () => {
    const reader = await openReadOnlyDb(sandbox.app.config, sandbox.db);
    try {
      const [who] = await reader.db.query<{ user: string }>('SELECT current_user AS user');
      expect(who?.user).toBe('crypto_etl_readonly');
      expect((await reader.db.query('SELECT id FROM staging.coingecko_coins LIMIT 1')).length).toBe(1);
      await expect(reader.db.query(`DELETE FROM etl.runs`)).rejects.toThrow(/permission denied|read-only/);
      await expect(reader.db.query(`INSERT INTO etl.meta (key, value) VALUES ('x', '1')`)).rejects.toThrow(
        /permission denied|read-only/,
      );
    } finally {
      await reader.db.close();
    }
  });

  it('behavior: /metrics counts runs, rows, durations and upstream statuses', async () => {
    const response = await get('/metrics');
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(text).toMatch(
      /crypto_etl_runs_total\{job="coingecko-markets",stream="coingecko.markets",status="succeeded"\} \d+/,
    );
    expect(text).toMatch(/crypto_etl_rows_loaded_total\{job="coingecko-coins",stream="coingecko.coins"\} 300/);
    expect(text).toMatch(/crypto_etl_run_duration_seconds_count\{[^}]*job="coingecko-prices"[^}]*\} \d+/);
    const ok = /crypto_etl_upstream_http_responses_total\{upstream="coingecko",status="200"\} (\d+)/.exec(text);
    expect(Number(ok?.[1])).toBeGreaterThanOrEqual(4);
    expect(text).toMatch(/crypto_etl_runs_recorded\{job="coingecko-prices",status="succeeded"\} 2/);
    expect(text).toContain('# TYPE crypto_etl_queue_jobs gauge');
    // What operators alert on: a stream gone quiet, an upstream sending garbage, a chain falling behind.
    expect(text).toMatch(/crypto_etl_stream_freshness_seconds\{stream="coingecko.prices"\} \d/);
    expect(text).toMatch(/crypto_etl_stream_rejected_share\{stream="coingecko.markets"\} 0\n/);
  });

  it("behavior: /metrics shows an EVM chain's head lag from its watermark, and promtool accepts the exposition", async () => {
    await sandbox.db.query(
      `INSERT INTO etl.watermarks (stream, "cursor", updated_at) VALUES ('evm.5.blocks', '{"next": 101, "head": 110}', now())`,
    );
    try {
      const text = await (await get('/metrics')).text();
      expect(text).toMatch(/crypto_etl_evm_head_lag_blocks\{chain_id="5"\} 10\n/);
      const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      if (check.error) {
        throw new Error(
          'promtool is not installed, so /metrics cannot be checked: apt-get install prometheus (.ci/run does)',
        );
      }
      expect(check.stdout + check.stderr).toBe('');
      expect(check.status).toBe(0);
    } finally {
      await sandbox.db.query(`DELETE FROM etl.watermarks WHERE stream = 'evm.5.blocks'`);
    }
  });

  it('behavior: a success that left rejects is told apart (outcome, last_outcome); drift is listed', async () => {
    const [run] = await sandbox.db.query<{ id: number }>(
      `INSERT INTO etl.runs (job, stream, status, finished_at, rows_extracted, rows_loaded, rows_rejected)
       VALUES ('coingecko-coins', 'coingecko.coins', 'succeeded', now(), 10, 9, 1) RETURNING id`,
    );
    await sandbox.db.query(
      `INSERT INTO etl.schema_changes (stream, field, kind, run_id, sample) VALUES ('coingecko.coins', 'slug', 'added', $1, '"btc"')`,
      [run?.id],
    );
    try {
      const runs = await json('/api/runs?job=coingecko-coins&limit=1');
      expect(runs.items[0]).toMatchObject({ status: 'succeeded', outcome: 'succeeded_with_rejects', rows_rejected: 1 });
      const jobs = await json('/api/jobs');
      const coins = jobs.items.find((j: { name: string }) => j.name === 'coingecko-coins');
      expect(coins).toMatchObject({ last_status: 'succeeded', last_outcome: 'succeeded_with_rejects' });
      expect(jobs.items.find((j: { name: string }) => j.name === 'coingecko-markets')?.last_outcome).toBe('succeeded');
      const drift = await json('/api/schema-changes');
      expect(drift.items).toEqual([
        expect.objectContaining({ stream: 'coingecko.coins', field: 'slug', kind: 'added', sample: 'btc' }),
      ]);
    } finally {
      await sandbox.db.query('DELETE FROM etl.schema_changes');
      await sandbox.db.query('DELETE FROM etl.runs WHERE id = $1', [run?.id]);
    }
  });

  it('behavior: a relation that does not exist (yet) answers an empty list, not an error', async () => {
    // Each step asks a URL not asked before: dropping a view is no load, so an answer already cached would be
    // served as it was until CACHE_LIFETIME_MS (apiCache.e2e.test.ts covers that bound).
    expect((await json('/api/cow/daily?order=desc')).items.length).toBeGreaterThan(0);
    await sandbox.db.exec('DROP VIEW warehouse.cow_daily');
    try {
      expect(await json('/api/cow/daily?order=asc')).toEqual({ items: [], limit: 100, offset: 0, nextOffset: null });
      const csv = await get('/api/cow/daily?format=csv&order=asc');
      expect(csv.status).toBe(200);
    } finally {
      await applyModels(sandbox.db);
    }
    expect((await json('/api/cow/daily?limit=100')).items.length).toBeGreaterThan(0);
  });
});
