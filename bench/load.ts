/**
 * bench/load: the runner's load throughput for 1,000,000 CoinGecko price rows into PostgreSQL, beside a raw
 * COPY of the same rows into the same table, measured side by side in one run (alternating, best of N).
 *
 *   npx tsx bench/load.ts [rows=1000000] [rounds=2]
 *
 * Needs the local PostgreSQL (TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test).
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { copyChunks } from '../src/db/copyText.ts';
import { silentLogger } from '../src/internal/logger.ts';
import { createRunner } from '../src/pipeline/runner.ts';
import { priceRecord } from '../src/sources/coingecko/schemas.ts';
import { defineStream } from '../src/sources/stream.ts';
import { openTestDb } from '../test/helpers/databases.ts';

const ROWS = Number(process.argv[2] ?? 1_000_000);
const ROUNDS = Number(process.argv[3] ?? 2);
const BATCH = 50_000;
const COINS = ['bitcoin', 'ethereum', 'usd-coin', 'tether', 'solana'];
const START = Date.UTC(2020, 0, 1);

/** Raw records as CoinGecko's chart points become them before validation. */
function record(i: number) {
  return {
    coin_id: COINS[i % COINS.length] as string,
    vs_currency: 'usd',
    ts: START + Math.floor(i / COINS.length) * 60_000,
    price: 100 + (i % 1000) / 7,
    market_cap: 1e9 + i,
    total_volume: 1e6 + i,
  };
}

const t = await openTestDb('postgres');
const table = `${t.db.schemas.staging}.coingecko_prices`;
const columns = ['coin_id', 'vs_currency', 'ts', 'price', 'market_cap', 'total_volume'] as const;

async function rawCopy(): Promise<number> {
  const client = new pg.Client({ connectionString: t.url });
  await client.connect();
  const started = performance.now();
  for (let start = 0; start < ROWS; start += BATCH) {
    const rows: unknown[][] = [];
    for (let i = start; i < Math.min(ROWS, start + BATCH); i++) {
      const r = record(i);
      rows.push([r.coin_id, r.vs_currency, new Date(r.ts), r.price, r.market_cap, r.total_volume]);
    }
    const stream = client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`));
    await pipeline(Readable.from(copyChunks(rows)), stream);
  }
  const ms = performance.now() - started;
  await client.end();
  return ms;
}

async function throughRunner(expectLoaded = ROWS): Promise<number> {
  const stream = defineStream({
    name: 'bench.prices',
    table: 'coingecko_prices',
    columns,
    key: ['coin_id', 'vs_currency', 'ts'],
    onConflict: 'update',
    record: priceRecord,
    async *extract() {
      for (let start = 0; start < ROWS; start += BATCH) {
        const records = [];
        for (let i = start; i < Math.min(ROWS, start + BATCH); i++) records.push(record(i));
        yield { records, cursor: { done: start + records.length } };
      }
    },
  });
  const runner = createRunner({ db: t.db, log: silentLogger() });
  const started = performance.now();
  const result = await runner.runStream(stream, { job: 'bench' });
  const ms = performance.now() - started;
  if (result.status !== 'succeeded' || result.rowsLoaded !== expectLoaded)
    throw new Error(`runner run ${result.status}: ${result.error} (${result.rowsLoaded} rows)`);
  return ms;
}

async function reset() {
  await t.db.exec(`TRUNCATE ${table}, ${t.db.schemas.etl}.watermarks`);
  await t.db.exec(`VACUUM ANALYZE ${table}`);
}

const best = { raw: Number.POSITIVE_INFINITY, runner: Number.POSITIVE_INFINITY, rerun: Number.POSITIVE_INFINITY };
try {
  for (let round = 1; round <= ROUNDS; round++) {
    await reset();
    best.raw = Math.min(best.raw, await rawCopy());
    await reset();
    best.runner = Math.min(best.runner, await throughRunner());
    // The same rows again from scratch: every key exists, so every batch takes the merge path and adds 0.
    await t.db.exec(`TRUNCATE ${t.db.schemas.etl}.watermarks`);
    best.rerun = Math.min(best.rerun, await throughRunner(0));
    console.log(
      `round ${round}: raw COPY ${(ROWS / (best.raw / 1000)).toFixed(0)} rows/s, runner ${(ROWS / (best.runner / 1000)).toFixed(0)} rows/s (best so far)`,
    );
  }
  const rawRate = ROWS / (best.raw / 1000);
  const runnerRate = ROWS / (best.runner / 1000);
  console.log(
    `\nbench/load — ${ROWS.toLocaleString('en')} price rows into PostgreSQL (${table}, primary key + 2 indexes), best of ${ROUNDS}`,
  );
  console.log(
    `  raw COPY (pg-copy-streams)        ${rawRate.toFixed(0).padStart(9)} rows/s  ${(best.raw / 1000).toFixed(2)} s`,
  );
  console.log(
    `  runner, new rows (validate + COPY) ${runnerRate.toFixed(0).padStart(8)} rows/s  ${(best.runner / 1000).toFixed(2)} s`,
  );
  console.log(
    `  runner, rerun (temp COPY + merge)  ${(ROWS / (best.rerun / 1000)).toFixed(0).padStart(8)} rows/s  ${(best.rerun / 1000).toFixed(2)} s  (adds 0 rows)`,
  );
  console.log(`  ratio runner / raw COPY           ${(runnerRate / rawRate).toFixed(2)}   (goal ≥ 0.70)`);
} finally {
  await t.close();
}
