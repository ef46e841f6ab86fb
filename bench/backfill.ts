/**
 * bench/backfill: a 5,000,000-row price CSV through `crypto-etl backfill` into PostgreSQL, beside `psql \copy` of
 * the same file into the same table, beside row-by-row INSERTs (one autocommitted statement per row, as the
 * seeds loaded) of a 50,000-row slice; prints rows/s, the ratios and the backfill's peak memory, in one run.
 *
 *   npx tsx bench/backfill.ts [rows=5000000] [rounds=2]
 *
 * Needs the local PostgreSQL and psql (TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test).
 * The CSV (about 90 bytes a row) is generated once under the OS temp folder and reused.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { openTestDb } from '../test/helpers/databases.ts';

const ROWS = Number(process.argv[2] ?? 5_000_000);
const ROUNDS = Number(process.argv[3] ?? 2);
const SLICE = 50_000;
const COINS = 1_000;
const COLUMNS = 'coin_id, vs_currency, ts, price, market_cap, total_volume';
const BIN = join(import.meta.dirname, '..', 'bin', 'crypto-etl.mjs');
const GOAL_RATIO = 0.7;
const GOAL_MB = 300;

/** Hourly prices of 1,000 coins, time-major as an exporter writes them. */
async function generate(path: string): Promise<void> {
  const part = `${path}.${process.pid}`;
  const out = createWriteStream(part);
  out.write('coin_id,vs_currency,ts,price,market_cap,total_volume\n');
  const start = Date.UTC(2020, 0, 1);
  let buffer = '';
  for (let i = 0; i < ROWS; i++) {
    const coin = `coin-${String(i % COINS).padStart(4, '0')}`;
    const ts = new Date(start + Math.floor(i / COINS) * 3_600_000).toISOString();
    const price = (100 + (i % 9_973) / 7).toFixed(8);
    buffer += `${coin},usd,${ts},${price},${(1e9 + i * 13.5).toFixed(2)},${(1e7 + i * 3.25).toFixed(2)}\n`;
    if (buffer.length > 1 << 20) {
      if (!out.write(buffer)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      buffer = '';
    }
  }
  await new Promise<void>((resolve) => out.end(buffer, () => resolve()));
  renameSync(part, path);
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  return new Promise<{ ms: number; stdout: string; stderr: string }>((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => {
      const ms = performance.now() - started;
      if (code === 0) resolve({ ms, stdout, stderr });
      else reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${stdout}${stderr}`));
    });
  });
}

async function rowByRow(url: string, table: string, file: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const lines = createInterface({ input: createReadStream(file) });
  let n = -1;
  const started = performance.now();
  for await (const line of lines) {
    if (n++ < 0) continue;
    if (n > SLICE) break;
    const [coin, vs, ts, price, cap, volume] = line.split(',');
    await client.query(`INSERT INTO ${table} (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`, [
      coin,
      vs,
      ts,
      price,
      cap,
      volume,
    ]);
  }
  const ms = performance.now() - started;
  lines.close();
  await client.end();
  return ms;
}

const folder = join(tmpdir(), 'crypto-etl-bench');
mkdirSync(folder, { recursive: true });
const file = join(folder, `prices-${ROWS}.csv`);
if (!existsSync(file)) {
  process.stderr.write(`generating ${file} (${ROWS.toLocaleString('en-US')} rows)…\n`);
  await generate(file);
}
if (spawnSync('psql', ['--version']).status !== 0)
  throw new Error('psql is not installed: apt-get install postgresql-client');

const t = await openTestDb('postgres');
const url = t.url as string;
const table = `${t.db.schemas.staging}.coingecko_prices`;
const truncate = () => t.db.exec(`TRUNCATE ${table}, ${t.db.schemas.etl}.loaded_files, ${t.db.schemas.etl}.rejects`);
const rowCount = async () => Number((await t.db.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`))[0]?.n);
const cliEnv = (extra: Record<string, string> = {}) => ({
  PATH: process.env.PATH,
  DATABASE_URL: url,
  LOG_DIR: '',
  LOG_LEVEL: 'warn',
  ...extra,
});
const peakOf = (stdout: string) => Number(/peak memory (\d+) MB/.exec(stdout)?.[1]);

/** `psql \copy` of the file into the empty table. */
async function psqlCopy(): Promise<number> {
  await truncate();
  const { ms } = await run('psql', [url, '-q', '-c', `\\copy ${table} (${COLUMNS}) FROM '${file}' CSV HEADER`]);
  if ((await rowCount()) !== ROWS) throw new Error('\\copy did not load every row');
  return ms;
}

/** `crypto-etl backfill` of the file into the empty table, end to end (process start to exit). */
async function cliBackfill(extra: Record<string, string> = {}): Promise<{ ms: number; peakMb: number }> {
  await truncate();
  const { ms, stdout } = await run(process.execPath, [BIN, 'backfill', 'coingecko_prices', file], cliEnv(extra));
  if ((await rowCount()) !== ROWS) throw new Error(`backfill did not load every row:\n${stdout}`);
  return { ms, peakMb: peakOf(stdout) };
}

try {
  // Alternating rounds, best of each: the machine is shared, so single timings are noisy.
  const copyMs: number[] = [];
  const loads: { ms: number; peakMb: number }[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    process.stderr.write(`round ${round}: psql \\copy…\n`);
    copyMs.push(await psqlCopy());
    process.stderr.write(`round ${round}: crypto-etl backfill…\n`);
    loads.push(await cliBackfill());
  }
  // The same command on the file it has just loaded skips it: its peak is the CLI's own footprint.
  const idle = await run(process.execPath, [BIN, 'backfill', 'coingecko_prices', file], cliEnv());
  process.stderr.write('crypto-etl backfill with NODE_OPTIONS=--max-old-space-size=128…\n');
  const capped = await cliBackfill({ NODE_OPTIONS: '--max-old-space-size=128' });
  await truncate();
  process.stderr.write(`row-by-row INSERTs of ${SLICE.toLocaleString('en-US')} rows…\n`);
  const slowMs = await rowByRow(url, table, file);

  const rate = (rows: number, ms: number) => Math.round(rows / (ms / 1000));
  const copyRate = rate(ROWS, Math.min(...copyMs));
  const backfillRate = rate(ROWS, Math.min(...loads.map((l) => l.ms)));
  const slowRate = rate(SLICE, slowMs);
  const peakMb = Math.max(...loads.map((l) => l.peakMb));
  const f = (n: number) => n.toLocaleString('en-US').padStart(10);
  const secs = (ms: number[]) => ms.map((m) => (m / 1000).toFixed(1)).join(', ');
  const lines = [
    `bench/backfill: ${ROWS.toLocaleString('en-US')} price rows into ${table} (PK + 2 indexes), PostgreSQL, best of ${ROUNDS}`,
    `  psql \\copy                      ${f(copyRate)} rows/s  (${secs(copyMs)} s)`,
    `  crypto-etl backfill              ${f(backfillRate)} rows/s  (${secs(loads.map((l) => l.ms))} s, process start to exit)`,
    `  row-by-row INSERT (${SLICE / 1000}k slice)  ${f(slowRate)} rows/s  (${(slowMs / 1000).toFixed(1)} s, one autocommitted INSERT a row)`,
    `  backfill / \\copy               ${(backfillRate / copyRate).toFixed(2)}  (goal ≥ ${GOAL_RATIO}) ${backfillRate / copyRate >= GOAL_RATIO ? 'ok' : 'MISSED'}`,
    `  backfill / row-by-row           ${(backfillRate / slowRate).toFixed(0)}×`,
    `  backfill peak memory            ${peakMb} MB  (goal < ${GOAL_MB}) ${peakMb < GOAL_MB ? 'ok' : 'MISSED'}`,
    `    the CLI alone (file skipped)  ${peakOf(idle.stdout)} MB`,
    `    with --max-old-space-size=128 ${capped.peakMb} MB  (${rate(ROWS, capped.ms).toLocaleString('en-US')} rows/s)`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  await t.close();
}
