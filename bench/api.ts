/**
 * bench/api: latency (p50 / p95 / p99) and requests/s of `GET /api/prices` over a 10,000,000-row hourly price
 * table on PostgreSQL at 100 connections (goal: p95 < 50 ms), served by `crypto-etl serve` in its own process,
 * beside the same queries sent straight to PostgreSQL at the same concurrency, in one run.
 *
 *   npx tsx bench/api.ts [seconds=20] [--keep]
 *
 * The rows are made by generate_series in SQL (1,000 coins × 10,000 hours) in the database crypto_etl_bench_api
 * on the local PostgreSQL (TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test). `--keep` leaves it
 * (1.8 GB) for the next run, which then skips the fill.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import pg from 'pg';
import { migrate } from '../src/db/migrate.ts';
import { openPostgres } from '../src/db/postgres.ts';
import { pricesQuery } from '../src/server/pricesQuery.ts';
import { READONLY_ROLE } from '../src/server/readOnlyDb.ts';
import { applyModels } from '../src/transforms/applyModels.ts';
import { DEFAULT_SCHEMAS, POSTGRES_ADMIN_URL } from '../test/helpers/databases.ts';

const SECONDS = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 20);
const KEEP = process.argv.includes('--keep');
const CONNECTIONS = 100;
const COINS = 1_000;
const HOURS = 10_000;
const ROWS = COINS * HOURS;
const START = Date.UTC(2025, 0, 1);
/** Each request asks a random coin for a random week: one page of the default 100 rows. */
const WINDOW_HOURS = 7 * 24;
const NAME = 'crypto_etl_bench_api';
const url = POSTGRES_ADMIN_URL.replace(/\/[^/]*$/, `/${NAME}`);

function randomQuery() {
  const coin = `coin-${1 + Math.floor(Math.random() * COINS)}`;
  const from = START + Math.floor(Math.random() * (HOURS - WINDOW_HOURS)) * 3_600_000;
  return { coin, from: new Date(from), to: new Date(from + WINDOW_HOURS * 3_600_000) };
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** The bench database with its 10M rows: reused when a kept one is complete, otherwise built. */
async function prepare(): Promise<void> {
  const exists = await admin(
    async (c) => (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [NAME])).rowCount,
  );
  if (exists) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const rows = await client
      .query('SELECT count(*)::int AS n FROM warehouse.prices_hourly')
      .then((r) => r.rows[0].n as number)
      .catch(() => 0);
    await client.end();
    if (rows === ROWS) return console.log(`reusing ${NAME} (${ROWS.toLocaleString()} rows)`);
    await admin((c) => c.query(`DROP DATABASE ${NAME} WITH (FORCE)`));
  }
  await admin((c) => c.query(`CREATE DATABASE ${NAME}`));
  const db = await openPostgres({ url, schemas: DEFAULT_SCHEMAS });
  await migrate(db);
  await applyModels(db);
  await db.close();
  const started = performance.now();
  console.log(`filling warehouse.prices_hourly with ${ROWS.toLocaleString()} rows (generate_series)…`);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  // Indexes are built once after the load: far cheaper than maintaining them row by row.
  await client.query(`ALTER TABLE warehouse.prices_hourly DROP CONSTRAINT prices_hourly_pkey;
    DROP INDEX warehouse.prices_hourly_hour_idx`);
  await client.end();
  // Two halves on two connections: one per core.
  await Promise.all(
    [0, 1].map(async (half) => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(
        `INSERT INTO warehouse.prices_hourly
           (coin_id, vs_currency, hour, open, high, low, close, average, volume, market_cap, points)
         SELECT 'coin-' || c, 'usd', $3::timestamptz + h * interval '1 hour',
           p, p * 1.01, p * 0.99, p * 1.001, p, 1e6 + h, 1e9 + c * h, 12
         FROM generate_series($1::int, $2::int) AS c, generate_series(0, ${HOURS - 1}) AS h,
           LATERAL (SELECT round((100 + c + 10 * sin(h / 24.0))::numeric, 6) AS p) AS price`,
        [1 + (half * COINS) / 2, ((half + 1) * COINS) / 2, new Date(START)],
      );
      await c.end();
    }),
  );
  const index = new pg.Client({ connectionString: url });
  await index.connect();
  await index.query(`SET maintenance_work_mem = '512MB';
    ALTER TABLE warehouse.prices_hourly ADD PRIMARY KEY (coin_id, vs_currency, hour);
    CREATE INDEX prices_hourly_hour_idx ON warehouse.prices_hourly (hour);
    ANALYZE warehouse.prices_hourly`);
  await index.end();
  console.log(`filled in ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `crypto-etl serve` in a process of its own, as in production: the bench's load generator does not share its loop. */
async function startServe(port: number) {
  const child = spawn(
    process.execPath,
    ['bin/crypto-etl.mjs', 'serve', '--port', String(port), '--host', '127.0.0.1'],
    {
      // One client address making every request: the per-client rate limit would measure itself.
      env: {
        ...process.env,
        DATABASE_URL: url,
        LOG_LEVEL: 'warn',
        LOG_DIR: '',
        API_TOKEN: '',
        API_RATE_LIMIT_PER_MIN: '0',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  for (let i = 0; i < 300; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return child;
    if (child.exitCode !== null) throw new Error(`crypto-etl serve exited with ${child.exitCode}`);
    await sleep(100);
  }
  child.kill();
  throw new Error('crypto-etl serve did not answer /health within 30 s');
}

interface Figures {
  p50: number;
  p95: number;
  p99: number;
  perSecond: number;
  errors: number;
}

async function benchApi(port: number, seconds: number): Promise<Figures> {
  const latencies: number[] = [];
  const run = autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [
      {
        setupRequest: (request) => {
          const q = randomQuery();
          const qs = new URLSearchParams({
            coin: q.coin,
            interval: 'hourly',
            from: q.from.toISOString(),
            to: q.to.toISOString(),
          });
          return { ...request, method: 'GET', path: `/api/prices?${qs}` };
        },
      },
    ],
  });
  // Every response's time, for exact percentiles (autocannon's summary has p97.5 but no p95).
  run.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => latencies.push(ms));
  const result = await run;
  return {
    ...percentiles(latencies),
    perSecond: result.requests.total / seconds,
    errors: result.errors + result.non2xx + result.timeouts,
  };
}

function percentiles(latencies: number[]): Pick<Figures, 'p50' | 'p95' | 'p99'> {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
  return { p50: at(50), p95: at(95), p99: at(99) };
}

/** The API's statement straight to PostgreSQL, as its read-only role, 100 at a time over 10 connections (as the API). */
async function benchSql(seconds: number): Promise<Figures> {
  const pool = new pg.Pool({ connectionString: url, max: 10, options: `-c role=${READONLY_ROLE}` });
  const latencies: number[] = [];
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < end) {
        const q = randomQuery();
        const started = performance.now();
        try {
          // The API's own statement (the page rendered as JSON), named (prepared) as its read-only pool sends it.
          const { text, values } = pricesQuery({
            warehouse: 'warehouse',
            interval: 'hourly',
            coins: [q.coin],
            vs: 'usd',
            from: q.from,
            to: q.to,
            order: 'desc',
            limit: 100,
            offset: 0,
            format: 'json',
            jsonInSql: true,
          });
          await pool.query({ name: 'bench_prices', text, values });
          latencies.push(performance.now() - started);
        } catch {
          errors++;
        }
      }
    }),
  );
  await pool.end();
  return { ...percentiles(latencies), perSecond: latencies.length / seconds, errors };
}

await prepare();
const port = await freePort();
const serve = await startServe(port);
try {
  console.log(`warming up (3 s), then ${SECONDS} s at ${CONNECTIONS} connections each…`);
  await benchApi(port, 3);
  const api = await benchApi(port, SECONDS);
  const sql = await benchSql(SECONDS);
  const row = (name: string, f: Figures) =>
    `${name.padEnd(28)} ${f.p50.toFixed(1).padStart(8)} ${f.p95.toFixed(1).padStart(8)} ${f.p99.toFixed(1).padStart(8)} ${f.perSecond.toFixed(0).padStart(9)} ${String(f.errors).padStart(7)}`;
  console.log(`\nGET /api/prices (hourly, one coin, one week = 100 rows) over ${ROWS.toLocaleString()} rows`);
  console.log(
    `${''.padEnd(28)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'req/s'.padStart(9)} ${'errors'.padStart(7)}`,
  );
  console.log(row('API (crypto-etl serve)', api));
  console.log(row('SQL alone (same statement)', sql));
  console.log(`\nAPI / SQL throughput: ${(api.perSecond / sql.perSecond).toFixed(2)}×`);
  console.log(
    `p95 ${api.p95.toFixed(1)} ms vs goal 50 ms: ${api.p95 < 50 ? 'met' : 'MISSED'} (${(api.p95 / 50).toFixed(2)}× the goal)`,
  );
} finally {
  serve.kill('SIGTERM');
  if (!KEEP) await admin((c) => c.query(`DROP DATABASE IF EXISTS ${NAME} WITH (FORCE)`));
}
