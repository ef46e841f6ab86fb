/**
 * Lake export throughput beside the read limit, on PostgreSQL (TEST_POSTGRES_URL, default 127.0.0.1:5432/test):
 * `COPY (SELECT …) TO STDOUT` of the same rows drained, then `exportToLake` (COPY → CSV file → DuckDB → zstd
 * Parquet), with peak RSS and Parquet size beside CSV size. The issue's target is 10M prices and 1M logs:
 *   npx tsx bench/export.ts [prices=1000000] [logs=200000] [rounds=3]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../src/internal/logger.ts';
import { lakeColumns } from '../src/lake/columns.ts';
import { localDestination } from '../src/lake/destination.ts';
import { exportToLake } from '../src/lake/exportToLake.ts';
import { LAKE_TABLES } from '../src/lake/tables.ts';
import { openTestDb } from '../test/helpers/databases.ts';

const prices = Number(process.argv[2] ?? 1_000_000);
const logs = Number(process.argv[3] ?? 200_000);
const rounds = Number(process.argv[4] ?? 3);
const t = await openTestDb('postgres');
const { db } = t;
const s = db.schemas.staging;
const started = Date.now();
// Prices: 50 coins, one row per coin per 5 minutes (288 a day); logs: 100 per block.
await db.exec(`
  INSERT INTO ${s}.coingecko_prices (coin_id, vs_currency, ts, price, market_cap, total_volume)
  SELECT 'coin' || (n % 50), 'usd', TIMESTAMPTZ '2024-01-01T00:00:00Z' + (n / 50) * INTERVAL '5 minutes',
    (n % 100000) * 1.000123456789, n * 1000.5, n * 10.25
  FROM generate_series(0, ${prices - 1}) AS n;
  INSERT INTO ${s}.evm_blocks (chain_id, number, hash, parent_hash, block_time, miner, gas_limit, gas_used,
    extra_data, sha3_uncles, state_root, transactions_root, receipts_root, logs_bloom, uncles, transaction_count)
  SELECT 1, n, '0x' || md5(n::text), '0x', TIMESTAMPTZ '2024-01-01T00:00:00Z' + n * INTERVAL '12 seconds', '0xm', 1, 1,
    '0x', '0x', '0x', '0x', '0x', '0x', '[]'::jsonb, 100 FROM generate_series(0, ${Math.ceil(logs / 100) - 1}) AS n;
  INSERT INTO ${s}.evm_logs (chain_id, transaction_hash, log_index, block_number, block_hash, block_time,
    transaction_index, address, topic0, topic1, topic2, data)
  SELECT 1, '0x' || md5((n / 100)::text || 'tx'), n % 100, n / 100, '0x' || md5((n / 100)::text),
    TIMESTAMPTZ '2024-01-01T00:00:00Z' + (n / 100) * INTERVAL '12 seconds', n % 100,
    '0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48', '0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef',
    '0x000000000000000000000000' || substr(md5(n::text), 1, 40), '0x000000000000000000000000' || substr(md5((n + 1)::text), 1, 40),
    '0x' || lpad(to_hex(n), 64, '0')
  FROM generate_series(0, ${logs - 1}) AS n;
  ANALYZE;`);
console.log(`seeded ${prices} prices and ${logs} logs in ${((Date.now() - started) / 1000).toFixed(1)} s`);

const tables = LAKE_TABLES.filter((x) => x.name === 'coingecko_prices' || x.name === 'evm_logs');
// The read limit: the same rows, the same typed text, one COPY per table, drained.
const selects: string[] = [];
for (const table of tables) {
  const columns = await lakeColumns(db, s, table.name);
  selects.push(
    `SELECT ${columns.map((c) => c.select).join(', ')} FROM ${s}.${table.name} ORDER BY ${table.orderBy.join(', ')}`,
  );
}
const rssBeforeMb = process.resourceUsage().maxRSS / 1024;
// NOTE: rounds alternate COPY and export, so a neighbour's load on the shared machine weighs on both alike;
// medians are printed.
const copyRuns: number[] = [];
const exportRuns: number[] = [];
let csvBytes = 0;
let results: Awaited<ReturnType<typeof exportToLake>> = [];
for (let round = 0; round < rounds; round++) {
  csvBytes = 0;
  const t1 = performance.now();
  for (const select of selects) for await (const chunk of db.copyOut?.(select) ?? []) csvBytes += chunk.length;
  copyRuns.push(performance.now() - t1);
  const root = mkdtempSync(join(tmpdir(), 'crypto-etl-bench-lake-'));
  const t0 = performance.now();
  results = await exportToLake({
    db,
    destination: localDestination(root),
    tables,
    log: silentLogger(),
    blockRange: 100_000,
    rowGroupBytes: 128 * 1024 * 1024,
    overlapSeconds: 0,
  });
  exportRuns.push(performance.now() - t0);
  rmSync(root, { recursive: true, force: true });
}
const peakRssMb = process.resourceUsage().maxRSS / 1024;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const copyMs = median(copyRuns);
const exportMs = median(exportRuns);
const runs = (xs: number[]) => xs.map((x) => (x / 1000).toFixed(2)).join(', ');

const rows = results.reduce((n, r) => n + r.rowsWritten, 0);
const parquetBytes = results.reduce((n, r) => n + r.bytesWritten, 0);
const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MB`;
console.log(
  `rows exported              ${rows} (${results.map((r) => `${r.table} ${r.rowsWritten} in ${r.partitions} files`).join(', ')})`,
);
console.log(
  `COPY … TO STDOUT (drained) ${(copyMs / 1000).toFixed(2)} s, ${Math.round(rows / (copyMs / 1000))} rows/s (median of ${runs(copyRuns)} s)`,
);
console.log(
  `export to Parquet          ${(exportMs / 1000).toFixed(2)} s, ${Math.round(rows / (exportMs / 1000))} rows/s (median of ${runs(exportRuns)} s)`,
);
console.log(`ratio export / COPY        ${(copyMs / exportMs).toFixed(2)}× (goal ≥ 0.5×)`);
console.log(
  `peak RSS (export)          ${peakRssMb.toFixed(0)} MB (goal < 300 MB; ${rssBeforeMb.toFixed(0)} MB before the export began)`,
);
console.log(
  `size                       Parquet ${mb(parquetBytes)} · CSV ${mb(csvBytes)} (${(csvBytes / parquetBytes).toFixed(1)}× smaller)`,
);
await t.close();
