import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.ts';
import { configSecrets } from '../src/config.ts';
import { readColumnTypes } from '../src/db/columnTypes.ts';
import { engineOf } from '../src/db/engines.ts';
import { readWatermark, writeWatermark } from '../src/db/watermarks.ts';
import { createLogger, silentLogger } from '../src/internal/logger.ts';
import type { JobResult } from '../src/jobs/defineJob.ts';
import { pushQueries } from '../src/pipeline/dune/pushQueries.ts';
import { queryRegistry } from '../src/pipeline/dune/queryRegistry.ts';
import { backfill } from '../src/pipeline/files/backfill.ts';
import { DEFAULT_SEED } from '../src/sandbox/coingecko/prices.ts';
import { COW_COLUMNS, cowTradesOfDay, USDC, WETH } from '../src/sandbox/dune/cowTrades.ts';
import { type DuneEmulator, startDuneEmulator } from '../src/sandbox/dune/server.ts';
import { createServer } from '../src/server/createServer.ts';
import { createDuneClient } from '../src/sources/dune/client.ts';
import { COW_STREAM, type CowCursor, dayBefore } from '../src/sources/dune/cowTradesStream.ts';
import { CLOCK_CASES, runningClock } from './helpers/clock.ts';
import { duneSettings, testConfig } from './helpers/config.ts';
import { count, type EngineName, openTestDb, type TestDb } from './helpers/databases.ts';
import { readLogOnce } from './helpers/logFile.ts';

const log = silentLogger();
const TRADES_PER_DAY = 25;
const PAGE_SIZE = 10;
const FAILED_TEXT = 'line 24:13: Binary literal can only contain hexadecimal digits';

/** One clock for the emulator and the jobs: "yesterday" is the same day on both sides whenever CI runs. */
const clock = runningClock(CLOCK_CASES[2].iso);
const now = () => new Date(clock());

const ENGINES: EngineName[] = ['pglite', 'postgres', 'mysql'];

describe.each(ENGINES)('Dune end to end on %s', (engine) => {
  let t: TestDb;
  /** The schemas: MariaDB's are databases of their own, named per test run. */
  let s: { etl: string; staging: string; warehouse: string };
  let dune: DuneEmulator;
  const settings = (extra: Record<string, string> = {}) => ({
    ...duneSettings(dune),
    DUNE_PAGE_SIZE: String(PAGE_SIZE),
    HTTP_MAX_RETRIES: '2',
    ...extra,
  });

  async function runJob(name: string, extra: Record<string, string> = {}, args?: Record<string, unknown>) {
    const app = await createApp({ config: testConfig(settings(extra)), log, db: t.db, migrate: false, now });
    try {
      return await (await app.executor.trigger(name, { retries: 0, args })).done;
    } finally {
      await app.close();
    }
  }
  const since = (mark: number) => dune.requests.slice(mark).map((r) => `${r.method} ${r.path}`);
  const loaded = (result: JobResult) => result.runs.reduce((n, r) => n + r.rowsLoaded, 0);

  beforeAll(async () => {
    dune = await startDuneEmulator({ pendingMs: 200, executingMs: 500, cowTradesPerDay: TRADES_PER_DAY, now: clock });
    t = await openTestDb(engine);
    s = t.db.schemas;
  });
  afterAll(async () => {
    await t.close();
    await dune.close();
  });

  it('behavior: dune-update executes, polls, pages ≥ 3 result pages and the rows land typed', async () => {
    const mark = dune.requests.length;
    const result = await runJob('dune-update');
    expect(result).toMatchObject({ status: 'succeeded' });
    expect(result.runs[0]).toMatchObject({ rowsExtracted: TRADES_PER_DAY, rowsLoaded: TRADES_PER_DAY });
    const calls = since(mark);
    expect(calls.filter((c) => c.endsWith('/execute'))).toHaveLength(1);
    expect(calls.filter((c) => c.endsWith('/status')).length).toBeGreaterThanOrEqual(2);
    expect(calls.filter((c) => c.endsWith('/results')).length).toBe(Math.ceil(TRADES_PER_DAY / PAGE_SIZE));
    expect(await count(t.db, `${s.staging}.dune_cow_trades`)).toBe(TRADES_PER_DAY);

    const yesterday = dayBefore(now());
    const [row] = await t.db.query<Record<string, unknown>>(
      `SELECT ${engineOf(t.db).dateText('block_date')} AS day, block_time, atoms_bought AS atoms, units_bought AS units,
              buy_token_address, evt_index FROM ${s.staging}.dune_cow_trades ORDER BY block_time LIMIT 1`,
    );
    expect(row?.day).toBe(yesterday);
    expect(row?.block_time).toBeInstanceOf(Date);
    expect(row?.buy_token_address).toBe('0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2');
    // uint256 amounts stay exact: 18-decimal atoms are the units times 10^18, to the last digit.
    expect(BigInt(String(row?.atoms))).toBe(BigInt(Math.round(Number(row?.units) * 1e6)) * 10n ** 12n);
    expect((await readWatermark<CowCursor>(t.db, t.db.schemas, COW_STREAM))?.through).toBe(yesterday);
  });

  it('behavior: a rerun adds 0 rows', async () => {
    const result = await runJob('dune-update');
    expect(result.status).toBe('succeeded');
    expect(result.runs[0]).toMatchObject({ rowsExtracted: TRADES_PER_DAY, rowsLoaded: 0 });
    expect(await count(t.db, `${s.staging}.dune_cow_trades`)).toBe(TRADES_PER_DAY);
  });

  it('behavior: dune-init is skipped when the watermark already covers yesterday, and calls nothing', async () => {
    const mark = dune.requests.length;
    const result = await runJob('dune-init');
    expect(result).toEqual({ job: 'dune-init', status: 'succeeded', runs: [] });
    expect(since(mark)).toEqual([]);
  });

  it('behavior: dune-init is skipped as not configured, not failed, without a key or a query id', async () => {
    const mark = dune.requests.length;
    expect(await runJob('dune-init', { DUNE_API_KEY: '' })).toEqual({
      job: 'dune-init',
      status: 'succeeded',
      runs: [],
    });
    await t.db.exec(`DELETE FROM ${s.etl}.dune_queries`);
    const noId = await runJob('dune-init', { DUNE_INIT_QUERY_ID: '' });
    expect(noId).toEqual({ job: 'dune-init', status: 'succeeded', runs: [] });
    expect(since(mark)).toEqual([]);
  });

  it('behavior: latest-results mode reads the latest result and makes no execute call', async () => {
    const mark = dune.requests.length;
    const result = await runJob('dune-update', { DUNE_RESULTS_MODE: 'latest' });
    expect(result.status).toBe('succeeded');
    expect(result.runs[0]).toMatchObject({ rowsExtracted: TRADES_PER_DAY, rowsLoaded: 0 });
    const calls = since(mark);
    expect(calls.some((c) => c.includes('/execute'))).toBe(false);
    expect(calls.filter((c) => c === `GET /query/${dune.queries.cowUpdate}/results`)).toHaveLength(3);
  });

  it("error: a FAILED execution fails the run with Dune's error text and writes nothing", async () => {
    await t.db.exec(`TRUNCATE ${s.staging}.dune_cow_trades`);
    dune.script({
      queryId: dune.queries.cowUpdate,
      state: 'QUERY_STATE_FAILED',
      error: { type: 'FAILED_TYPE_EXECUTION_FAILED', message: FAILED_TEXT, metadata: { line: 24, column: 13 } },
    });
    const result = await runJob('dune-update');
    expect(result.status).toBe('failed');
    expect(result.error).toContain(FAILED_TEXT);
    expect(result.error).toContain('ETL_UPSTREAM_QUERY_FAILED');
    const [run] = await t.db.query<{ status: string; error: string }>(
      `SELECT status, error FROM ${s.etl}.runs ORDER BY id DESC LIMIT 1`,
    );
    expect(run?.status).toBe('failed');
    expect(run?.error).toContain(FAILED_TEXT);
    expect(await count(t.db, `${s.staging}.dune_cow_trades`)).toBe(0);
  });

  it('behavior: a run that stops between pages resumes its execution instead of running the query again', async () => {
    await t.db.exec(`TRUNCATE ${s.staging}.dune_cow_trades`);
    // The second page fails on every attempt (HTTP_MAX_RETRIES=2): the first one is committed with its watermark.
    dune.inject({ pathPrefix: '/execution/', query: { offset: String(PAGE_SIZE) }, status: 500, times: 3 });
    const broken = await runJob('dune-update');
    expect(broken.status).toBe('failed');
    expect(broken.error).toContain('HTTP 500');
    expect(await count(t.db, `${s.staging}.dune_cow_trades`)).toBe(PAGE_SIZE);
    const cursor = await readWatermark<CowCursor>(t.db, t.db.schemas, COW_STREAM);
    expect(cursor?.pending).toMatchObject({ queryId: dune.queries.cowUpdate, offset: PAGE_SIZE });

    const mark = dune.requests.length;
    const resumed = await runJob('dune-update');
    expect(resumed.status).toBe('succeeded');
    expect(resumed.runs[0]).toMatchObject({ rowsExtracted: TRADES_PER_DAY - PAGE_SIZE });
    expect(since(mark).some((c) => c.endsWith('/execute'))).toBe(false);
    expect(await count(t.db, `${s.staging}.dune_cow_trades`)).toBe(TRADES_PER_DAY);
    expect(await readWatermark<CowCursor>(t.db, t.db.schemas, COW_STREAM)).toEqual({ through: dayBefore(now()) });
  });

  it('behavior: an arbitrary query creates its table from the result metadata, then widens it', async () => {
    const queryId = dune.defineQuery({
      name: 'wallets',
      result: {
        columns: [
          ['Wallet', 'varbinary'],
          ['txs', 'integer'],
          ['first_seen', 'date'],
          ['labels', 'array(varchar)'],
        ],
        rows: [
          { Wallet: '0xAB', txs: 3, first_seen: '2026-01-02', labels: ['dex'] },
          { Wallet: '0xcd', txs: 7, first_seen: '2026-02-03', labels: [] },
          { Wallet: '0xAB', txs: 3, first_seen: '2026-01-02', labels: ['dex'] },
        ],
      },
    });
    const args = { queryId, table: 'dune_wallets' };
    /** The columns' types as the pipeline reads them back, and as the engine's catalogue names them. */
    const types = async () =>
      Object.fromEntries(await t.db.transaction((tx) => readColumnTypes(tx, t.db, s.staging, 'dune_wallets')));
    const catalog = async () =>
      Object.fromEntries(
        (
          await t.db.query<{ name: string; type: string }>(
            'SELECT column_name AS name, data_type AS type FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2',
            [s.staging, 'dune_wallets'],
          )
        ).map((c) => [c.name, c.type]),
      );

    const first = await runJob('dune-query', {}, args);
    expect(first.status).toBe('succeeded');
    expect(loaded(first)).toBe(2); // the repeated row has the same content key
    expect(await types()).toEqual({
      row_key: 'uuid',
      wallet: 'text',
      txs: 'integer',
      first_seen: 'date',
      labels: 'jsonb',
      loaded_at: 'timestamptz',
    });
    expect(await catalog()).toEqual(
      engine === 'mysql'
        ? // MariaDB's JSON is longtext underneath; the column comment keeps the type.
          {
            row_key: 'char',
            wallet: 'longtext',
            txs: 'int',
            first_seen: 'date',
            labels: 'longtext',
            loaded_at: 'datetime',
          }
        : {
            row_key: 'uuid',
            wallet: 'text',
            txs: 'integer',
            first_seen: 'date',
            labels: 'jsonb',
            loaded_at: 'timestamp with time zone',
          },
    );
    expect(loaded(await runJob('dune-query', {}, args))).toBe(0);

    dune.setResult(queryId, {
      columns: [
        ['Wallet', 'varbinary'],
        ['txs', 'uint256'],
        ['first_seen', 'timestamp(3) with time zone'],
        ['labels', 'array(varchar)'],
        ['balance_usd', 'double'],
        ['is_contract', 'boolean'],
      ],
      rows: [
        {
          Wallet: '0xef',
          txs: '115792089237316195423570985008687907853269984665640564039457584007913129639935',
          first_seen: '2026-03-04 05:06:07.890 UTC',
          labels: ['nft', 'dex'],
          balance_usd: 1234.5,
          is_contract: true,
        },
      ],
    });
    const widened = await runJob('dune-query', {}, args);
    expect(widened.status).toBe('succeeded');
    expect(loaded(widened)).toBe(1);
    expect(await types()).toMatchObject({
      txs: 'numeric',
      first_seen: 'timestamptz',
      balance_usd: 'double precision',
      is_contract: 'boolean',
    });
    const rows = await t.db.query<{ wallet: string; txs: unknown; balance_usd: number | null; first: Date }>(
      `SELECT wallet, txs, balance_usd, first_seen AS first FROM ${s.staging}.dune_wallets ORDER BY wallet`,
    );
    // uint256 stays exact on every engine: PostgreSQL's numeric, MariaDB's decimal text (docs/mysql.md).
    expect(rows.map((r) => [r.wallet, String(r.txs), r.balance_usd])).toEqual([
      ['0xAB', '3', null],
      ['0xcd', '7', null],
      ['0xef', '115792089237316195423570985008687907853269984665640564039457584007913129639935', 1234.5],
    ]);
    expect(rows[2]?.first.toISOString()).toBe('2026-03-04T05:06:07.890Z');
  });

  it('behavior: cow_trades_priced and cow_daily match a hand-computed case to the basis point', async () => {
    const at = (iso: string) => new Date(iso);
    await t.db.query(
      `INSERT INTO ${s.staging}.coingecko_prices (coin_id, vs_currency, ts, price) VALUES
        ('ethereum', 'usd', $1, 3000), ('ethereum', 'usd', $2, 3100), ('ethereum', 'usd', $3, 5000),
        ('bitcoin', 'usd', $4, 90000)`,
      [at('2026-01-10T11:00:00Z'), at('2026-01-10T11:50:00Z'), at('2026-01-10T12:05:00Z'), at('2026-01-10T11:55:00Z')],
    );
    await t.db.query(
      `INSERT INTO ${s.staging}.dune_cow_trades (tx_hash, order_uid, evt_index, block_date, block_time, block_number,
        sell_token_address, buy_token_address, units_sold, atoms_sold, units_bought, atoms_bought) VALUES
        ('0x01', '0xa1', 1, '2026-01-10', $1, 1,
         '0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48', '0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2',
         6169, '6169000000', 2, '2000000000000000000'),
        ('0x02', '0xa2', 1, '2026-01-10', $2, 1,
         '0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2', '0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48',
         1, '1000000000000000000', 3115.5, '3115500000')`,
      [at('2026-01-10T12:00:00Z'), at('2026-01-10T12:01:00Z')],
    );
    // Buy: 6169 USDC for 2 WETH = 3084.5 per WETH against 3100 (11:50, the last price at or before 12:00; the
    // 12:05 price comes after and the bitcoin one is another coin): (3084.5 − 3100) / 3100 = −50 bps, which is
    // +50 bps of improvement for a buyer; USD value 2 × 3100 = 6200.
    // Sell: 3115.5 USDC for 1 WETH against 3100 = +50 bps, +50 bps of improvement for a seller; USD value 3100.
    const numbers = (row: Record<string, unknown> | undefined) =>
      Object.fromEntries(
        Object.entries(row ?? {}).map(([k, v]) => [k, typeof v === 'string' && k !== 'side' ? Number(v) : v]),
      );
    const priced = (
      await t.db.query<Record<string, unknown>>(
        `SELECT side, execution_price AS exec, market_price AS market, deviation_bps AS dev, improvement_bps AS imp,
              usd_value AS usd
       FROM ${s.warehouse}.cow_trades_priced WHERE block_date = '2026-01-10' ORDER BY block_time`,
      )
    ).map(numbers);
    expect(priced).toHaveLength(2);
    const [buy, sell] = priced;
    expect(buy).toMatchObject({ side: 'buy', exec: 3084.5, market: 3100, usd: 6200 });
    expect(Number(buy?.dev)).toBeCloseTo(-50, 4);
    expect(Number(buy?.imp)).toBeCloseTo(50, 4);
    expect(sell).toMatchObject({ side: 'sell', exec: 3115.5, market: 3100, usd: 3100 });
    expect(Number(sell?.dev)).toBeCloseTo(50, 4);
    expect(Number(sell?.imp)).toBeCloseTo(50, 4);

    // The day: VWAP (6169 + 3115.5) / 3 WETH; the market's average of its three ethereum prices is 3700;
    // deviations −50 and +50 → median 0, p90 −50 + 0.9 × 100 = 40, p90 of |deviation| 50.
    const day = numbers(
      (
        await t.db.query<Record<string, unknown>>(
          `SELECT trades, weth_volume AS weth, usdc_volume AS usdc, usd_volume AS usd, vwap, market_avg_price AS market,
              median_deviation_bps AS median, p90_deviation_bps AS p90, p90_abs_deviation_bps AS p90abs
       FROM ${s.warehouse}.cow_daily WHERE day = '2026-01-10'`,
        )
      )[0],
    );
    expect(day).toMatchObject({ trades: 2, weth: 3, usdc: 9284.5, usd: 9300, market: 3700 });
    expect(day?.vwap).toBeCloseTo(9284.5 / 3, 6);
    expect(day?.median).toBeCloseTo(0, 4);
    expect(day?.p90).toBeCloseTo(40, 4);
    expect(day?.p90abs).toBeCloseTo(50, 4);
  });

  it('behavior: dune push creates the repo queries, records them, and leaves unchanged ones alone', async () => {
    await t.db.exec(`DELETE FROM ${s.etl}.dune_queries`);
    const config = testConfig(settings({ DUNE_INIT_QUERY_ID: '', DUNE_UPDATE_QUERY_ID: '' }));
    const client = createDuneClient({ config, log });
    const registry = queryRegistry(t.db);
    const first = await pushQueries(client, registry, config);
    expect(first.map((o) => [o.key, o.action, o.setting])).toEqual([
      ['cow_trades_init', 'created', 'DUNE_INIT_QUERY_ID'],
      ['cow_trades_update', 'created', 'DUNE_UPDATE_QUERY_ID'],
    ]);
    const created = dune.requests.filter((r) => r.method === 'POST' && r.path === '/query').slice(-2);
    expect(created[0]?.body).toMatchObject({
      query_sql: expect.stringContaining('cow_protocol_ethereum.trades'),
      parameters: [
        { key: 'target_buy_token', type: 'text', value: '0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2' },
        { key: 'target_sell_token', type: 'text', value: '0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48' },
      ],
    });
    expect((await registry.list()).map((r) => [r.name, r.query_id])).toEqual(first.map((o) => [o.key, o.queryId]));
    const second = await pushQueries(client, registry, config);
    expect(second.map((o) => o.action)).toEqual(['unchanged', 'unchanged']);

    // A job with no id setting uses the pushed one.
    const mark = dune.requests.length;
    await t.db.exec(`DELETE FROM ${s.etl}.watermarks WHERE stream = 'dune.cow_trades'`);
    const init = await runJob('dune-init', { DUNE_INIT_QUERY_ID: '', DUNE_PAGE_SIZE: '500' });
    expect(init.status).toBe('succeeded');
    expect(since(mark)).toContain(`POST /query/${first[0]?.queryId}/execute`);
  });

  it('error: a plan without query management says to paste the SQL in Dune and set the id', async () => {
    const free = await startDuneEmulator({ plan: 'free' });
    try {
      const config = testConfig(settings({ DUNE_API_URL: free.url, DUNE_INIT_QUERY_ID: '', DUNE_UPDATE_QUERY_ID: '' }));
      await t.db.exec(`DELETE FROM ${s.etl}.dune_queries`);
      const push = pushQueries(createDuneClient({ config, log }), queryRegistry(t.db), config);
      await expect(push).rejects.toMatchObject({ code: 'ETL_UPSTREAM_PLAN' });
      await expect(push).rejects.toThrow(
        /HTTP 403.*paste src\/sources\/dune\/queries\/cow_trades_init\.sql .*set DUNE_INIT_QUERY_ID/,
      );
      expect(await count(t.db, `${s.etl}.dune_queries`)).toBe(0);
    } finally {
      await free.close();
    }
  });
});

describe.each(CLOCK_CASES)('dune-init at $name', ({ iso }) => {
  const at = runningClock(iso);
  let t: TestDb;
  let dune: DuneEmulator;

  beforeAll(async () => {
    dune = await startDuneEmulator({ pendingMs: 50, executingMs: 100, cowTradesPerDay: 4, now: at });
    t = await openTestDb('pglite');
  });
  afterAll(async () => {
    await t?.close();
    await dune?.close();
  });

  it('behavior: loads the month of yesterday up to yesterday (on the 1st, all of last month), then is skipped', async () => {
    const config = testConfig({
      DUNE_API_URL: dune.url,
      DUNE_API_KEY: dune.apiKey,
      DUNE_INIT_QUERY_ID: String(dune.queries.cowInit),
      DUNE_POLL_INTERVAL_MS: '50',
      DUNE_PAGE_SIZE: '1000',
    });
    const app = await createApp({ config, log, db: t.db, migrate: false, now: () => new Date(at()) });
    try {
      const result = await (await app.executor.trigger('dune-init', { retries: 0 })).done;
      expect(result.status).toBe('succeeded');
      const yesterday = dayBefore(new Date(at()));
      const monthStart = `${yesterday.slice(0, 8)}01`;
      const days = (Date.parse(yesterday) - Date.parse(monthStart)) / 86_400_000 + 1;
      const [span] = await t.db.query<{ first: string; last: string; n: number }>(
        `SELECT min(block_date)::text AS first, max(block_date)::text AS last, count(*)::int AS n
         FROM staging.dune_cow_trades`,
      );
      expect(span).toEqual({ first: monthStart, last: yesterday, n: days * 4 });
      expect(await readWatermark<CowCursor>(t.db, t.db.schemas, COW_STREAM)).toEqual({ through: yesterday });
      const again = await (await app.executor.trigger('dune-init', { retries: 0 })).done;
      expect(again).toEqual({ job: 'dune-init', status: 'succeeded', runs: [] });
    } finally {
      await app.close();
    }
  });
});

/** Runs dune-update once at the clock `at`: its result, the span of CoW trades stored and the watermark. */
async function runDuneUpdate(t: TestDb, dune: DuneEmulator, at: () => number, extra: Record<string, string>) {
  const config = testConfig({ ...duneSettings(dune), ...extra });
  const app = await createApp({ config, log, db: t.db, migrate: false, now: () => new Date(at()) });
  try {
    const result = await (await app.executor.trigger('dune-update', { retries: 0 })).done;
    const [span] = await t.db.query<{ first: string; last: string; n: number }>(
      `SELECT min(block_date)::text AS first, max(block_date)::text AS last, count(*)::int AS n
       FROM staging.dune_cow_trades`,
    );
    return { result, span, cursor: await readWatermark<CowCursor>(t.db, t.db.schemas, COW_STREAM) };
  } finally {
    await app.close();
  }
}

describe('dune-update in latest-results mode after a missed day (pglite)', () => {
  // A running clock whose date the test moves: the queries' first runs on Dune are made at the emulator's start.
  let offset = Date.parse('2026-06-02T12:00:00.000Z') - Date.now();
  const at = () => Date.now() + offset;
  let t: TestDb;
  let dune: DuneEmulator;

  beforeAll(async () => {
    dune = await startDuneEmulator({ pendingMs: 20, executingMs: 20, cowTradesPerDay: 4, now: at });
    t = await openTestDb('pglite');
  });
  afterAll(async () => {
    await t?.close();
    await dune?.close();
  });

  /** Runs a query on Dune (its schedule, or a person on dune.com) and waits until its result is complete. */
  async function runOnDune(queryId: number): Promise<void> {
    const headers = { 'X-Dune-API-Key': dune.apiKey, 'content-type': 'application/json' };
    const started = await fetch(`${dune.url}/query/${queryId}/execute`, { method: 'POST', headers, body: '{}' });
    const { execution_id: id } = (await started.json()) as { execution_id: string };
    for (let i = 0; i < 100; i++) {
      const status = await fetch(`${dune.url}/execution/${id}/status`, { headers });
      if (((await status.json()) as { state: string }).state === 'QUERY_STATE_COMPLETED') return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`execution ${id} did not complete`);
  }
  const update = () => runDuneUpdate(t, dune, at, { DUNE_RESULTS_MODE: 'latest' });

  it('error: a latest result run before today fails the run (ETL_UPSTREAM_STALE), not a green run every day; once run on Dune, the rerun loads', async () => {
    // Loaded through June 13th; on the 17th Dune's schedule has run the update query, but the days missed send
    // the job to the month-to-date query, whose latest result is from June 2nd (it holds June 1st only).
    offset = Date.parse('2026-06-17T12:00:00.000Z') - Date.now();
    await writeWatermark(t.db, t.db.schemas, COW_STREAM, { through: '2026-06-13' }, null);
    await runOnDune(dune.queries.cowUpdate);
    const stale = await update();
    expect(stale.result.status).toBe('failed');
    expect(stale.result.retryable).toBe(true);
    expect(stale.result.error).toMatch(
      new RegExp(
        `^ETL_UPSTREAM_STALE: The latest result of Dune query ${dune.queries.cowInit} was run at 2026-06-02T.* holds trades through 2026-06-01 only; yesterday \\(2026-06-16\\) is not in it`,
      ),
    );
    expect(stale.span).toEqual({ first: '2026-06-01', last: '2026-06-01', n: 4 });
    expect(stale.cursor).toEqual({ through: '2026-06-13' });

    // The month-to-date query run on dune.com: the rerun loads June 1st-16th and moves the watermark.
    await runOnDune(dune.queries.cowInit);
    const { result, span, cursor } = await update();
    expect(result.status).toBe('succeeded');
    expect(span).toEqual({ first: '2026-06-01', last: '2026-06-16', n: 16 * 4 });
    expect(cursor).toEqual({ through: '2026-06-16' });
  });
});

describe.each(['pglite', 'postgres'] as const)('dune-update after missed days on %s', (engine) => {
  const at = runningClock(CLOCK_CASES[2].iso);
  let t: TestDb;
  let dune: DuneEmulator;

  beforeAll(async () => {
    dune = await startDuneEmulator({ pendingMs: 50, executingMs: 50, cowTradesPerDay: 4, now: at });
    t = await openTestDb(engine);
  });
  afterAll(async () => {
    await t?.close();
    await dune?.close();
  });
  afterEach(async () => {
    await t.db.exec('TRUNCATE staging.dune_cow_trades, etl.watermarks');
  });

  async function updateAfter(through: string, extra: Record<string, string> = {}) {
    await writeWatermark(t.db, t.db.schemas, COW_STREAM, { through }, null);
    return runDuneUpdate(t, dune, at, { DUNE_PAGE_SIZE: '1000', ...extra });
  }

  it('behavior: days missed in yesterday’s month are loaded by the month-to-date query before the watermark moves', async () => {
    // Loaded through the 13th; the runs of the 15th and 16th failed: the 14th and 15th are not loaded.
    const { result, span, cursor } = await updateAfter('2026-06-13');
    expect(result.status).toBe('succeeded');
    expect(span).toEqual({ first: '2026-06-01', last: '2026-06-16', n: 16 * 4 });
    expect(cursor).toEqual({ through: '2026-06-16' });
  });

  /** A CSV of the CoW rows of `days` as Dune exports them (the repo query's columns), for `crypto-etl backfill`. */
  function duneCsv(days: string[]): string {
    const dir = mkdtempSync(join(tmpdir(), 'cow-backfill-'));
    const rows = days.flatMap((d) =>
      cowTradesOfDay(Date.parse(`${d}T00:00:00Z`), { seed: DEFAULT_SEED, perDay: 4, buyToken: WETH, sellToken: USDC }),
    );
    const columns = COW_COLUMNS.map(([name]) => name);
    const cell = (v: unknown) => (v === null || v === undefined ? '' : String(v));
    const text = [columns.join(','), ...rows.map((r) => columns.map((c) => cell(r[c])).join(','))].join('\n');
    const file = join(dir, 'cow.csv');
    writeFileSync(file, `${text}\n`);
    return file;
  }
  const backfillDays = (days: string[]) =>
    backfill({ db: t.db, config: testConfig(), log, table: 'dune_cow_trades', location: duneCsv(days) });
  const mayGap = Array.from({ length: 11 }, (_, i) => `2026-05-${String(21 + i).padStart(2, '0')}`);

  it('behavior: days before yesterday’s month fail the run, naming them and the backfill, until a backfill loads them', async () => {
    // Loaded through May 20th; on June 17th the queries reach back to June 1st at most: May 21st-31st are missing.
    const failed = await updateAfter('2026-05-20');
    expect(failed.result.status).toBe('failed');
    const error = failed.result.error ?? '';
    expect(error).toContain('ETL_DATA_GAP');
    expect(error).toContain('2026-05-21 … 2026-05-31 (11 days)');
    expect(error).toContain("block_date BETWEEN DATE '2026-05-21' AND DATE '2026-05-31'");
    expect(error).toContain('crypto-etl backfill dune_cow_trades <file.csv>');
    // Recorded in etl.runs as its own step, not retried (the same days would be missing again).
    expect(failed.result.runs.map((r) => [r.stream, r.status])).toEqual([['dune.cow_trades.gap', 'failed']]);
    expect(failed.result.retryable).toBe(false);
    expect(failed.span?.n).toBe(0);
    expect(failed.cursor).toEqual({ through: '2026-05-20' });

    // A backfill of all but the 31st: the run still fails, naming the 31st alone.
    await backfillDays(mayGap.slice(0, 10));
    const partial = await updateAfter('2026-05-20');
    expect(partial.result.status).toBe('failed');
    expect(partial.result.error).toContain('CoW trades of 2026-05-31 are not loaded');
    expect(partial.cursor).toEqual({ through: '2026-05-20' });

    // The 31st backfilled too: the month-to-date query loads June 1st-16th and the watermark moves to the 16th.
    await backfillDays(['2026-05-31']);
    const { result, span, cursor } = await updateAfter('2026-05-20');
    expect(result.status).toBe('succeeded');
    expect(span).toEqual({ first: '2026-05-21', last: '2026-06-16', n: (11 + 16) * 4 });
    expect(cursor).toEqual({ through: '2026-06-16' });
  });

  it('behavior: with no month-to-date query, yesterday’s rows load but the days missed in the month fail the run', async () => {
    const { result, span, cursor } = await updateAfter('2026-06-13', { DUNE_INIT_QUERY_ID: '' });
    expect(result.status).toBe('failed');
    expect(result.error).toContain('ETL_DATA_GAP');
    expect(result.error).toContain('after 2026-06-13 and before 2026-06-16');
    expect(span).toEqual({ first: '2026-06-16', last: '2026-06-16', n: 4 });
    expect(cursor).toEqual({ through: '2026-06-13' });
  });
});

describe('Dune CoW trades contract', () => {
  let t: TestDb;
  let dune: DuneEmulator;
  const day = Date.UTC(2026, 5, 16);
  const trades = cowTradesOfDay(day, { seed: 7, perDay: 40, buyToken: WETH, sellToken: USDC });

  /** A query whose result is the day's trades with `edit` applied: the CoW update job reads it. */
  async function runUpdateOn(
    columns: ReadonlyArray<readonly [string, string]>,
    rows: Record<string, unknown>[],
  ): Promise<JobResult> {
    const queryId = dune.defineQuery({ name: 'cow drift', result: { columns: columns.map((c) => [...c]), rows } });
    const config = testConfig({
      DUNE_API_URL: dune.url,
      DUNE_API_KEY: dune.apiKey,
      DUNE_UPDATE_QUERY_ID: String(queryId),
      DUNE_POLL_INTERVAL_MS: '50',
      DUNE_PAGE_SIZE: '1000',
    });
    const app = await createApp({ config, log, db: t.db, migrate: false, now });
    try {
      return await (await app.executor.trigger('dune-update', { retries: 0 })).done;
    } finally {
      await app.close();
    }
  }
  const without = (name: string) => ({
    columns: COW_COLUMNS.filter(([c]) => c !== name),
    rows: trades.map(({ [name]: _gone, ...row }) => row),
  });
  const drift = () => t.db.query<{ field: string; kind: string }>('SELECT field, kind FROM etl.schema_changes');

  beforeAll(async () => {
    dune = await startDuneEmulator({ pendingMs: 50, executingMs: 50, now: clock });
    t = await openTestDb('pglite');
  });
  afterAll(async () => {
    await t?.close();
    await dune?.close();
  });
  afterEach(async () => {
    await t.db.exec('TRUNCATE staging.dune_cow_trades, etl.rejects, etl.watermarks, etl.schema_changes');
  });

  it('behavior: an optional column gone (surplus_usd) loads every row with NULL and records the drift once', async () => {
    const { columns, rows } = without('surplus_usd');
    const result = await runUpdateOn(columns, rows);
    expect(result.status).toBe('succeeded');
    expect(result.runs[0]).toMatchObject({ rowsLoaded: 40, rowsRejected: 0 });
    expect(await count(t.db, 'staging.dune_cow_trades', 'WHERE surplus_usd IS NULL')).toBe(40);
    expect(await drift()).toEqual([{ field: 'surplus_usd', kind: 'missing' }]);
  });

  it('error: a required column gone fails the run naming it, loads nothing and leaves the watermark', async () => {
    const { columns, rows } = without('atoms_bought');
    const result = await runUpdateOn(columns, rows);
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(/ETL_SCHEMA_DRIFT: required field "atoms_bought" absent from all 40 records/);
    expect(await count(t.db, 'staging.dune_cow_trades')).toBe(0);
    expect(await readWatermark(t.db, t.db.schemas, COW_STREAM)).toBeUndefined();
    expect(await drift()).toEqual([{ field: 'atoms_bought', kind: 'missing' }]);
  });

  it('error: 10 % of the rows malformed fails the run with ETL_REJECTS_EXCEEDED and writes nothing', async () => {
    const rows = trades.map((row, i) => (i % 10 === 0 ? { ...row, block_time: 'yesterday' } : row));
    const result = await runUpdateOn(COW_COLUMNS, rows);
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(/ETL_REJECTS_EXCEEDED: 4 of 40 records \(10 %\).*block_time/);
    expect(await count(t.db, 'staging.dune_cow_trades')).toBe(0);
    expect(await count(t.db, 'etl.rejects')).toBe(0);
    expect(await readWatermark(t.db, t.db.schemas, COW_STREAM)).toBeUndefined();
  });

  it('error: an empty result fails the run as ETL_UPSTREAM_EMPTY (retryable), writing nothing and leaving the watermark', async () => {
    const result = await runUpdateOn(COW_COLUMNS, []);
    expect(result.status).toBe('failed');
    expect(result.retryable).toBe(true);
    expect(result.error).toMatch(/^ETL_UPSTREAM_EMPTY: The result of Dune query \d+ holds no CoW trades/);
    expect(await count(t.db, 'staging.dune_cow_trades')).toBe(0);
    expect(await readWatermark<CowCursor>(t.db, t.db.schemas, COW_STREAM)).toBeUndefined();
  });
});

describe('Dune secrets', () => {
  it('error: a 4xx body that echoes the key stores and serves the error without it, and logs none of it', async () => {
    const key = 'dune-live-0123456789abcdefSECRET';
    const dune = await startDuneEmulator({ apiKey: key, now: clock });
    const t = await openTestDb('pglite');
    const logDir = mkdtempSync(join(tmpdir(), 'crypto-etl-secrets-'));
    const config = testConfig({
      DUNE_API_URL: dune.url,
      DUNE_API_KEY: key,
      DUNE_UPDATE_QUERY_ID: String(dune.queries.cowUpdate),
      DUNE_POLL_INTERVAL_MS: '50',
      HTTP_MAX_RETRIES: '0',
      API_TOKEN: 'test-token-0123456789abcdef',
    });
    const log = createLogger({ level: 'debug', secrets: configSecrets(config), logDir });
    const app = await createApp({ config, log, db: t.db, migrate: false, now });
    try {
      // Some gateways answer a bad request with the request they received, headers included.
      dune.inject({
        pathPrefix: '/query/',
        status: 400,
        body: { error: `Bad request: {"headers":{"x-dune-api-key":"${key}"}}` },
      });
      const result = await (await app.executor.trigger('dune-update', { retries: 0 })).done;
      expect(result.status).toBe('failed');
      expect(result.runs[0]?.error).toContain('"x-dune-api-key":"***"');

      const stored = await t.db.query<Record<string, unknown>>(
        `SELECT (SELECT string_agg(coalesce(error, ''), ' ') FROM etl.runs) AS runs,
                (SELECT string_agg(reason || payload::text, ' ') FROM etl.rejects) AS rejects,
                (SELECT string_agg(sample::text, ' ') FROM etl.schema_changes) AS drift`,
      );
      expect(JSON.stringify(stored)).toContain('***');
      expect(JSON.stringify(stored)).not.toContain(key);

      const server = await createServer(app);
      try {
        for (const url of ['/api/runs', '/api/jobs', '/api/status', '/status']) {
          const answer = await server.inject({ method: 'GET', url });
          expect(answer.statusCode, url).toBe(200);
          expect(answer.body, url).not.toContain(key);
        }
      } finally {
        await server.close();
      }
      log.info('done');
      const text = await readLogOnce(join(logDir, 'crypto-etl.log'), '"done"');
      expect(text).toContain('run failed');
      expect(text).not.toContain(key);
    } finally {
      await app.close();
      await t.close();
      await dune.close();
    }
  });
});
