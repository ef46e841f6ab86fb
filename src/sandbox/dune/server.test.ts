import { afterEach, describe, expect, it } from 'vitest';
import { priceAt } from '../coingecko/prices.ts';
import { type DuneEmulator, type DuneEmulatorOptions, startDuneEmulator } from './server.ts';

const NOW = Date.UTC(2026, 5, 17, 10, 30);
const clock = { ms: NOW };
const running: DuneEmulator[] = [];
afterEach(async () => {
  clock.ms = NOW;
  await Promise.all(running.splice(0).map((e) => e.close()));
});

async function start(opts: DuneEmulatorOptions = {}): Promise<DuneEmulator> {
  const emulator = await startDuneEmulator({ now: () => clock.ms, pendingMs: 100, executingMs: 200, ...opts });
  running.push(emulator);
  return emulator;
}

type Json = Record<string, unknown> & {
  result?: { rows: Record<string, unknown>[]; metadata: Record<string, unknown> };
};

async function call(emulator: DuneEmulator, method: string, path: string, body?: unknown, key = emulator.apiKey) {
  const res = await fetch(`${emulator.url}${path}`, {
    method,
    headers: { 'X-Dune-API-Key': key, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Json };
}

describe('Dune emulator', () => {
  it('behavior: an execution goes PENDING → EXECUTING → COMPLETED with the configured delays', async () => {
    const dune = await start();
    const started = await call(dune, 'POST', `/query/${dune.queries.cowUpdate}/execute`, { query_parameters: {} });
    expect(started.body).toEqual({
      execution_id: expect.stringMatching(/^[0-9A-Z]{26}$/),
      state: 'QUERY_STATE_PENDING',
    });
    const path = `/execution/${started.body.execution_id}/status`;
    const states: unknown[] = [];
    for (const at of [0, 99, 100, 299, 300]) {
      clock.ms = NOW + at;
      states.push((await call(dune, 'GET', path)).body.state);
    }
    expect(states).toEqual([
      'QUERY_STATE_PENDING',
      'QUERY_STATE_PENDING',
      'QUERY_STATE_EXECUTING',
      'QUERY_STATE_EXECUTING',
      'QUERY_STATE_COMPLETED',
    ]);
    const done = (await call(dune, 'GET', path)).body;
    expect(done).toMatchObject({ is_execution_finished: true, result_metadata: { total_row_count: 48 } });
  });

  it('behavior: results page with next_offset / next_uri, which are absent on the last page', async () => {
    const dune = await start({ pendingMs: 0, executingMs: 0 });
    const { body } = await call(dune, 'POST', `/query/${dune.queries.cowUpdate}/execute`, {});
    let next: string | undefined = `${dune.url}/execution/${body.execution_id}/results?limit=20`;
    const pages: Json[] = [];
    while (next) {
      const res = await fetch(next, { headers: { 'x-dune-api-key': dune.apiKey } });
      const page = (await res.json()) as Json;
      pages.push(page);
      next = page.next_uri as string | undefined;
    }
    expect(pages.map((p) => [p.next_offset, p.result?.metadata.row_count])).toEqual([
      [20, 20],
      [40, 20],
      [undefined, 8],
    ]);
    expect(pages.every((p) => p.result?.metadata.total_row_count === 48)).toBe(true);
    expect('next_uri' in (pages[2] ?? {})).toBe(false);
  });

  it('behavior: the results of an unfinished execution carry its state and no result', async () => {
    const dune = await start();
    const { body } = await call(dune, 'POST', `/query/${dune.queries.cowUpdate}/execute`, {});
    const res = await call(dune, 'GET', `/execution/${body.execution_id}/results`);
    expect(res.body).toMatchObject({ state: 'QUERY_STATE_PENDING', is_execution_finished: false });
    expect(res.body.result).toBeUndefined();
  });

  it("behavior: trades of yesterday execute within ±25 bps of the CoinGecko emulator's ethereum price", async () => {
    const dune = await start({ pendingMs: 0, executingMs: 0 });
    const { body } = await call(dune, 'POST', `/query/${dune.queries.cowUpdate}/execute`, {});
    const { rows } = (await call(dune, 'GET', `/execution/${body.execution_id}/results`)).body.result ?? { rows: [] };
    expect(rows).toHaveLength(48);
    for (const row of rows) {
      expect(row.block_date).toBe('2026-06-16');
      const at = Date.parse(String(row.block_time).replace(' UTC', 'Z').replace(' ', 'T'));
      const price = Number(row.units_sold) / Number(row.units_bought);
      expect(Math.abs(price / priceAt('ethereum', at) - 1)).toBeLessThan(0.0026);
      expect(BigInt(String(row.atoms_sold))).toBe(BigInt(Math.round(Number(row.units_sold) * 1e6)));
    }
  });

  it('behavior: the init query covers this month up to yesterday; other token pairs have no trades', async () => {
    const dune = await start({ pendingMs: 0, executingMs: 0, cowTradesPerDay: 2 });
    const run = async (params: Record<string, string>) => {
      const { body } = await call(dune, 'POST', `/query/${dune.queries.cowInit}/execute`, { query_parameters: params });
      return (await call(dune, 'GET', `/execution/${body.execution_id}/results`)).body.result?.rows ?? [];
    };
    const rows = await run({});
    expect(new Set(rows.map((r) => r.block_date)).size).toBe(16);
    expect(rows[0]?.block_date).toBe('2026-06-01');
    expect(await run({ target_buy_token: '0x6b175474e89094c44da98b954eedeac495271d0f' })).toEqual([]);
  });

  it('behavior: latest results come from the last completed run, with no execution', async () => {
    const dune = await start();
    const res = await call(dune, 'GET', `/query/${dune.queries.cowUpdate}/results?limit=5`);
    expect(res.body).toMatchObject({ state: 'QUERY_STATE_COMPLETED', next_offset: 5 });
    expect(String(res.body.next_uri)).toContain(`/query/${dune.queries.cowUpdate}/results?`);
    expect(dune.requests.filter((r) => r.path.endsWith('/execute'))).toEqual([]);
  });

  it('behavior: a scripted FAILED run carries the error object; cancel stops a running one', async () => {
    const dune = await start({ pendingMs: 0, executingMs: 50 });
    const error = { type: 'FAILED_TYPE_EXECUTION_FAILED', message: 'line 1:1: boom', metadata: { line: 1, column: 1 } };
    dune.script({ state: 'QUERY_STATE_FAILED', error });
    const failed = await call(dune, 'POST', `/query/${dune.queries.cowUpdate}/execute`, {});
    const cancelled = await call(dune, 'POST', `/query/${dune.queries.cowUpdate}/execute`, {});
    expect((await call(dune, 'POST', `/execution/${cancelled.body.execution_id}/cancel`)).body).toEqual({
      success: true,
    });
    clock.ms = NOW + 50;
    expect((await call(dune, 'GET', `/execution/${failed.body.execution_id}/status`)).body).toMatchObject({
      state: 'QUERY_STATE_FAILED',
      error,
    });
    expect((await call(dune, 'GET', `/execution/${cancelled.body.execution_id}/status`)).body.state).toBe(
      'QUERY_STATE_CANCELLED',
    );
  });

  it('error: a wrong key is 401, spent credits 402, an unknown query 404, a free plan 403 on query management', async () => {
    const dune = await start({ credits: 10, plan: 'free' });
    const execute = `/query/${dune.queries.cowUpdate}/execute`;
    expect(await call(dune, 'POST', execute, {}, 'wrong')).toMatchObject({
      status: 401,
      body: { error: 'invalid API Key' },
    });
    expect((await call(dune, 'POST', execute, {})).status).toBe(200);
    const broke = await call(dune, 'POST', execute, {});
    expect(broke.status).toBe(402);
    expect(String(broke.body.error)).toContain('exceed your configured limits per billing cycle');
    expect((await call(dune, 'POST', '/query/1/execute', {})).body).toEqual({
      error: 'not found: Query not found or private',
    });
    expect((await call(dune, 'POST', '/query', { name: 'q', query_sql: 'SELECT 1' })).status).toBe(403);
  });

  it('error: a rate limit and injected faults answer 429 with retry-after, and every request is logged', async () => {
    const dune = await start({ highRatePerMin: 1, retryAfterSeconds: 2 });
    const path = `/query/${dune.queries.cowUpdate}/results`;
    expect((await call(dune, 'GET', path)).status).toBe(200);
    const limited = await call(dune, 'GET', path);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('2');
    dune.inject({ pathPrefix: '/query/', method: 'POST', status: 503, times: 1 });
    expect((await call(dune, 'POST', `/query/${dune.queries.cowUpdate}/execute`, {})).status).toBe(503);
    expect(dune.requests.map((r) => [r.method, r.status])).toEqual([
      ['GET', 200],
      ['GET', 429],
      ['POST', 503],
    ]);
  });
});
