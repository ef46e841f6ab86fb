/**
 * bench/api: latency (p50 / p95 / p99) and requests/s of `GET /api/prices` over a 10,000,000-row hourly price
 * table on PostgreSQL at 100 connections, served by `crypto-etl serve` in its own process, beside the same
 * statements sent straight to PostgreSQL at the same concurrency, in one run, for two mixes of requests:
 *
 * - random: a random coin of 1,000 and a random week (one page of 100 rows): nearly every request is new, so
 *   this measures the server's own cost (goals: ≥ 0.9× the requests/s of SQL alone, p95 ≤ 1.15× its p95);
 * - zipf: what dashboards ask: 50 coins × 4 ranges (7, 30, 90, 365 days up to the data's last day) × daily or
 *   hourly, all rows of the range in time order (as the Prices page asks), drawn Zipf-distributed (s = 1) so a
 *   few are asked most; the API's answer cache serves repeats (goal: p95 below SQL alone's; hit rate printed).
 *
 *   npx tsx bench/api.ts [seconds=20] [--keep]
 *
 * The rows are made by generate_series in SQL (1,000 coins × 10,000 hours, and 417 days of daily rows) in the
 * database crypto_etl_bench_api on the local PostgreSQL (TEST_POSTGRES_URL, default
 * postgres://postgres@127.0.0.1:5432/test). `--keep` leaves it (1.9 GB) for the next run, which then skips the fill.
 *
 * Beside the figures, the CPU each side spent per request, by process (Linux's /proc, PostgreSQL on this machine):
 * the bench's own (autocannon on the API side, the pg client on the SQL side), crypto-etl serve's and PostgreSQL's
 * backends of the bench database. When the machine's cores are what bounds both sides, API / SQL throughput can be
 * at most SQL's CPU per request over the API's: printed as the ceiling the server's own CPU leaves. The random mix
 * also runs against bench/bareServer.ts (Fastify + pg, the one route, nothing else) as a third side taking turns:
 * what any Node server in front of the same statement reaches here, measured in the same run.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import pg from 'pg';
import { migrate } from '../src/db/migrate.ts';
import { openPostgres } from '../src/db/postgres.ts';
import { READONLY_ROLE } from '../src/server/readOnlyDb.ts';
import { applyModels } from '../src/transforms/applyModels.ts';
import { DEFAULT_SCHEMAS, POSTGRES_ADMIN_URL } from '../test/helpers/databases.ts';
import { type PriceRequest, statementOf } from './pricesStatement.ts';

const SECONDS = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 20);
/** Each side's SECONDS are measured in this many slices, the sides taking turns. */
const ROUNDS = 5;
const KEEP = process.argv.includes('--keep');
const CONNECTIONS = 100;
const COINS = 1_000;
const HOURS = 10_000;
const ROWS = COINS * HOURS;
const DAYS = Math.ceil(HOURS / 24);
const START = Date.UTC(2025, 0, 1);
/** The day after the last hour of data: the dashboard's "now". */
const END_DAY = START + DAYS * 86_400_000;
/** Each random request asks a random coin for a random week: one page of the default 100 rows. */
const WINDOW_HOURS = 7 * 24;
const NAME = 'crypto_etl_bench_api';
const url = POSTGRES_ADMIN_URL.replace(/\/[^/]*$/, `/${NAME}`);

interface Scenario {
  name: string;
  title: string;
  /** A new draw sequence: the API's run and the SQL's draw the same requests in the same order. */
  draws(): () => PriceRequest;
}

const RANDOM: Scenario = {
  name: 'random',
  title: 'random coin of 1,000, random week, hourly, one page of 100 rows (nearly every request new)',
  draws: () => () => {
    const from = START + Math.floor(Math.random() * (HOURS - WINDOW_HOURS)) * 3_600_000;
    return {
      coin: `coin-${1 + Math.floor(Math.random() * COINS)}`,
      interval: 'hourly',
      from: new Date(from).toISOString(),
      to: new Date(from + WINDOW_HOURS * 3_600_000).toISOString(),
      order: 'desc',
      limit: 100,
    };
  },
};

/** A deterministic generator in [0, 1) (mulberry32): the same mix of requests in every run. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** 50 coins × 4 ranges × 2 intervals, in a fixed shuffled order of popularity: rank r is asked with weight 1/r. */
const ZIPF_KEYS = (() => {
  const keys: PriceRequest[] = [];
  for (let c = 1; c <= 50; c++) {
    for (const days of [7, 30, 90, 365]) {
      for (const interval of ['daily', 'hourly'] as const) {
        const from = new Date(END_DAY - days * 86_400_000).toISOString().slice(0, 10);
        keys.push({ coin: `coin-${c * 7}`, interval, from, order: 'asc', limit: 10_000 });
      }
    }
  }
  const random = seeded(7);
  for (let i = keys.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [keys[i], keys[j]] = [keys[j] as PriceRequest, keys[i] as PriceRequest];
  }
  return keys;
})();
const ZIPF_CUMULATIVE = (() => {
  let sum = 0;
  const weights = ZIPF_KEYS.map((_, rank) => (sum += 1 / (rank + 1)));
  return weights.map((w) => w / sum);
})();

const ZIPF: Scenario = {
  name: 'zipf',
  title: `dashboard mix: 50 coins × 4 ranges × daily/hourly, whole range in time order, Zipf (s = 1) over ${ZIPF_KEYS.length}`,
  draws: () => {
    const random = seeded(42);
    return () => {
      const u = random();
      let lo = 0;
      let hi = ZIPF_CUMULATIVE.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if ((ZIPF_CUMULATIVE[mid] as number) < u) lo = mid + 1;
        else hi = mid;
      }
      return ZIPF_KEYS[lo] as PriceRequest;
    };
  },
};

const pathOf = (r: PriceRequest) => {
  const qs = new URLSearchParams({ coin: r.coin, interval: r.interval, from: r.from, order: r.order });
  if (r.to) qs.set('to', r.to);
  qs.set('limit', String(r.limit));
  return `/api/prices?${qs}`;
};

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
    if (rows === ROWS) {
      console.log(`reusing ${NAME} (${ROWS.toLocaleString()} rows)`);
      return fillDaily();
    }
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
  await fillDaily();
}

/** The daily rows (1,000 coins × 417 days) the dashboard mix asks for too, unless a kept database has them. */
async function fillDaily(): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query('SELECT count(*)::int AS n FROM warehouse.prices_daily');
    if (rows[0].n === COINS * DAYS) return;
    await client.query(`TRUNCATE warehouse.prices_daily`);
    await client.query(
      `INSERT INTO warehouse.prices_daily
         (coin_id, vs_currency, day, open, high, low, close, average, volume, market_cap, points)
       SELECT 'coin-' || c, 'usd', ($1::timestamptz + d * interval '1 day')::date,
         p, p * 1.02, p * 0.98, p * 1.003, p, 24e6 + d, 1e9 + c * d, 288
       FROM generate_series(1, ${COINS}) AS c, generate_series(0, ${DAYS - 1}) AS d,
         LATERAL (SELECT round((100 + c + 10 * sin(d))::numeric, 6) AS p) AS price`,
      [new Date(START)],
    );
    await client.query('ANALYZE warehouse.prices_daily');
  } finally {
    await client.end();
  }
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
        // The sources as they are: a dist/ built before the last change would measure older code.
        CRYPTO_ETL_FROM_SOURCE: '1',
        DATABASE_URL: url,
        LOG_LEVEL: 'warn',
        LOG_DIR: '',
        API_TOKEN: '',
        API_RATE_LIMIT_PER_MIN: '0',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  return answering(child, port, 'crypto-etl serve');
}

/** bench/bareServer.ts: Fastify + pg and the one route, nothing else (the floor of any Node server here). */
async function startBare(port: number) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/bareServer.ts', String(port), url], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return answering(child, port, 'bench/bareServer.ts');
}

/** Waits for a server's /health; kills it if it does not answer within 30 s. */
async function answering(child: ChildProcess, port: number, what: string): Promise<ChildProcess> {
  for (let i = 0; i < 300; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return child;
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`);
    await sleep(100);
  }
  child.kill();
  throw new Error(`${what} did not answer /health within 30 s`);
}

interface Figures {
  p50: number;
  p95: number;
  p99: number;
  perSecond: number;
  errors: number;
}

/** What one side measured over one or more slices of time. */
interface Sample {
  latencies: number[];
  seconds: number;
  errors: number;
  cpu: Cpu;
}

/** CPU seconds spent: by this process (the load generator or the SQL client), the server, PostgreSQL's backends. */
interface Cpu {
  bench: number;
  server: number;
  postgres: number | undefined;
}

/** Linux's USER_HZ, the unit of /proc/<pid>/stat's times: 100 on every common build. */
const CLOCK_TICKS = 100;

/** CPU seconds (user + system) a process has used, from /proc; undefined when it cannot be read. */
function cpuSecondsOf(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** CPU seconds of PostgreSQL's backends of the bench database, by process (their titles name the database). */
function backendCpu(): Map<number, number> | undefined {
  const backends = new Map<number, number>();
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let title: string;
      try {
        title = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      } catch {
        continue;
      }
      if (!title.startsWith('postgres:') || !title.includes(` ${NAME} `)) continue;
      const seconds = cpuSecondsOf(Number(entry));
      if (seconds !== undefined) backends.set(Number(entry), seconds);
    }
  } catch {
    return undefined;
  }
  return backends;
}

interface CpuMark {
  bench: number;
  server: number;
  backends: Map<number, number> | undefined;
}

function cpuMark(serverPid: number | undefined): CpuMark {
  const { user, system } = process.cpuUsage();
  return {
    bench: (user + system) / 1e6,
    server: serverPid === undefined ? 0 : (cpuSecondsOf(serverPid) ?? 0),
    backends: backendCpu(),
  };
}

/**
 * CPU spent between two marks. A backend that began after the first mark counts whole (the SQL side opens its
 * pool for each slice); one gone before the second is missing its last moments (PostgreSQL on another machine:
 * undefined).
 */
function cpuBetween(from: CpuMark, to: CpuMark): Cpu {
  let postgres: number | undefined;
  if (from.backends && to.backends && to.backends.size > 0) {
    postgres = 0;
    for (const [pid, seconds] of to.backends) postgres += seconds - (from.backends.get(pid) ?? 0);
  }
  return { bench: to.bench - from.bench, server: to.server - from.server, postgres };
}

const figuresOf = (samples: readonly Sample[]): Figures => {
  const latencies = samples.flatMap((s) => s.latencies);
  const seconds = samples.reduce((sum, s) => sum + s.seconds, 0);
  const errors = samples.reduce((sum, s) => sum + s.errors, 0);
  return { ...percentiles(latencies), perSecond: latencies.length / seconds, errors };
};

/** Each process's CPU per request of one side, µs (PostgreSQL's undefined when its backends cannot be seen). */
const cpuPerRequest = (samples: readonly Sample[]) => {
  const requests = samples.reduce((sum, s) => sum + s.latencies.length, 0);
  const total = (pick: (cpu: Cpu) => number | undefined) => {
    let sum = 0;
    for (const s of samples) {
      const seconds = pick(s.cpu);
      if (seconds === undefined) return undefined;
      sum += seconds;
    }
    return (sum * 1e6) / requests;
  };
  return { bench: total((c) => c.bench) ?? 0, server: total((c) => c.server) ?? 0, postgres: total((c) => c.postgres) };
};

async function benchApi(port: number, seconds: number, next: () => PriceRequest, serverPid?: number): Promise<Sample> {
  const latencies: number[] = [];
  const started = cpuMark(serverPid);
  const run = autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [{ setupRequest: (request) => ({ ...request, method: 'GET', path: pathOf(next()) }) }],
  });
  // Every response's time, for exact percentiles (autocannon's summary has p97.5 but no p95).
  run.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => latencies.push(ms));
  const result = await run;
  const cpu = cpuBetween(started, cpuMark(serverPid));
  return { latencies, seconds, errors: result.errors + result.non2xx + result.timeouts, cpu };
}

function percentiles(latencies: number[]): Pick<Figures, 'p50' | 'p95' | 'p99'> {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
  return { p50: at(50), p95: at(95), p99: at(99) };
}

/** The API's statements straight to PostgreSQL, as its read-only role, 100 at a time over 10 connections (as the API). */
async function benchSql(seconds: number, next: () => PriceRequest): Promise<Sample> {
  const names = new Map<string, string>();
  const nameOf = (text: string) => {
    if (!names.has(text)) names.set(text, `bench_${names.size}`);
    return names.get(text);
  };
  const started = cpuMark(undefined);
  const pool = new pg.Pool({ connectionString: url, max: 10, options: `-c role=${READONLY_ROLE}` });
  const latencies: number[] = [];
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < end) {
        const { text, values } = statementOf(next());
        const started = performance.now();
        try {
          // Named (prepared), as the API's read-only pool sends it: one name per statement text.
          await pool.query({ name: nameOf(text), text, values });
          latencies.push(performance.now() - started);
        } catch {
          errors++;
        }
      }
    }),
  );
  // Before the pool ends: its backends' CPU is read from their processes.
  const cpu = cpuBetween(started, cpuMark(undefined));
  await pool.end();
  return { latencies, seconds, errors, cpu };
}

/** The answer cache's counts (hit, shared, miss) from the server's /metrics. */
async function cacheCounts(port: number): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const counts: Record<string, number> = { hit: 0, shared: 0, miss: 0 };
  for (const m of text.matchAll(/^crypto_etl_api_cache_requests_total\{result="(\w+)"\} (\d+)/gm)) {
    counts[m[1] as string] = Number(m[2]);
  }
  return counts;
}

/** The API answers what its statement returns (checked once per scenario, on its most asked request). */
async function checkSameAnswer(port: number, scenario: Scenario): Promise<void> {
  const request = scenario.draws()();
  const api = (await (await fetch(`http://127.0.0.1:${port}${pathOf(request)}`)).json()) as { items: unknown[] };
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const { text, values } = statementOf(request);
  const { rows } = await client.query(text, values);
  await client.end();
  if (JSON.stringify(api.items) !== JSON.stringify(JSON.parse(rows[0].items))) {
    throw new Error(`the API and its statement disagree on ${pathOf(request)}`);
  }
}

const row = (name: string, f: Figures) =>
  `${name.padEnd(28)} ${f.p50.toFixed(1).padStart(8)} ${f.p95.toFixed(1).padStart(8)} ${f.p99.toFixed(1).padStart(8)} ${f.perSecond.toFixed(0).padStart(9)} ${String(f.errors).padStart(7)}`;

/** The bare server's port and pid, run as a third side of a scenario. */
interface Bare {
  port: number;
  pid: number | undefined;
}

async function scenario(port: number, s: Scenario, serverPid: number | undefined, bare?: Bare): Promise<void> {
  await checkSameAnswer(port, s);
  if (bare) await checkSameAnswer(bare.port, s);
  // The two sides take turns, ROUNDS slices each, so that a change in the machine's other load (a shared machine)
  // falls on both alike; each side draws from its own sequence, the same for both.
  const apiDraws = s.draws();
  const sqlDraws = s.draws();
  const apiSamples: Sample[] = [];
  const sqlSamples: Sample[] = [];
  const bareDraws = s.draws();
  const bareSamples: Sample[] = [];
  const before = await cacheCounts(port);
  for (let round = 0; round < ROUNDS; round++) {
    apiSamples.push(await benchApi(port, SECONDS / ROUNDS, apiDraws, serverPid));
    sqlSamples.push(await benchSql(SECONDS / ROUNDS, sqlDraws));
    if (bare) bareSamples.push(await benchApi(bare.port, SECONDS / ROUNDS, bareDraws, bare.pid));
  }
  const after = await cacheCounts(port);
  const api = figuresOf(apiSamples);
  const sql = figuresOf(sqlSamples);
  const served = (k: string) => (after[k] ?? 0) - (before[k] ?? 0);
  const answered = served('hit') + served('shared') + served('miss');
  const hitRate = answered > 0 ? (served('hit') + served('shared')) / answered : 0;
  console.log(`\n${s.name}: ${s.title}, over ${ROWS.toLocaleString()} hourly rows`);
  console.log(
    `${''.padEnd(28)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'req/s'.padStart(9)} ${'errors'.padStart(7)}`,
  );
  console.log(row('API (crypto-etl serve)', api));
  console.log(row('SQL alone (same statements)', sql));
  const bareFigures = bare ? figuresOf(bareSamples) : undefined;
  if (bareFigures) console.log(row('Fastify + pg, nothing else', bareFigures));
  const throughput = api.perSecond / sql.perSecond;
  const p95 = api.p95 / sql.p95;
  console.log(
    `API / SQL: throughput ${throughput.toFixed(2)}× (goal ≥ 0.90: ${throughput >= 0.9 ? 'met' : 'MISSED'}), ` +
      `p95 ${p95.toFixed(2)}× (goal ≤ 1.15: ${p95 <= 1.15 ? 'met' : 'MISSED'}); ` +
      `answer cache: ${(hitRate * 100).toFixed(1)} % from the cache (${served('hit')} hit, ${served('shared')} shared, ${served('miss')} miss)`,
  );
  if (bareFigures) {
    console.log(
      `Fastify + pg, nothing else / SQL: throughput ${(bareFigures.perSecond / sql.perSecond).toFixed(2)}×, ` +
        `p95 ${(bareFigures.p95 / sql.p95).toFixed(2)}× (the floor of a Node server on this machine; the API is ` +
        `${(api.perSecond / bareFigures.perSecond).toFixed(2)}× its throughput)`,
    );
  }
  const apiCpu = cpuPerRequest(apiSamples);
  const sqlCpu = cpuPerRequest(sqlSamples);
  const us = (n: number | undefined) => (n === undefined ? 'n/a' : `${n.toFixed(0)} µs`);
  if (bare) {
    const bareCpu = cpuPerRequest(bareSamples);
    console.log(
      `CPU per request, Fastify + pg side: autocannon ${us(bareCpu.bench)}, the bare server ${us(bareCpu.server)}, PostgreSQL ${us(bareCpu.postgres)}`,
    );
  }
  console.log(
    `CPU per request: API side: autocannon ${us(apiCpu.bench)}, crypto-etl serve ${us(apiCpu.server)}, PostgreSQL ${us(apiCpu.postgres)}; ` +
      `SQL side: pg client ${us(sqlCpu.bench)}, PostgreSQL ${us(sqlCpu.postgres)}`,
  );
  if (apiCpu.postgres !== undefined && sqlCpu.postgres !== undefined) {
    const apiTotal = apiCpu.bench + apiCpu.server + apiCpu.postgres;
    const sqlTotal = sqlCpu.bench + sqlCpu.postgres;
    console.log(
      `CPU-bound ceiling of API / SQL throughput (SQL's CPU per request over the API's): ${(sqlTotal / apiTotal).toFixed(2)}× ` +
        `(${sqlTotal.toFixed(0)} / ${apiTotal.toFixed(0)} µs); load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
    );
  }
}

await prepare();
const port = await freePort();
const serve = await startServe(port);
const barePort = await freePort();
const bareServer = await startBare(barePort);
try {
  console.log(
    `warming up (3 s), then ${SECONDS} s at ${CONNECTIONS} connections for each side of each scenario, in ${ROUNDS} turns…`,
  );
  await benchApi(port, 3, RANDOM.draws());
  await benchApi(barePort, 3, RANDOM.draws());
  await scenario(port, RANDOM, serve.pid, { port: barePort, pid: bareServer.pid });
  await scenario(port, ZIPF, serve.pid);
} finally {
  serve.kill('SIGTERM');
  bareServer.kill('SIGTERM');
  if (!KEEP) await admin((c) => c.query(`DROP DATABASE IF EXISTS ${NAME} WITH (FORCE)`));
}
