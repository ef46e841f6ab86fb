import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDb, POSTGRES_ENGINES, type TestDb } from '../../test/helpers/databases.ts';
import { seedEvm, seedPrices } from '../../test/helpers/lakeSeed.ts';
import { startLocalS3 } from '../../test/helpers/s3rver.ts';
import { readWatermark } from '../db/watermarks.ts';
import { createLogger } from '../internal/logger.ts';
import { localDestination } from './destination.ts';
import { openDuckDb } from './duckdb.ts';
import { exportStream, exportToLake } from './exportToLake.ts';
import { MANIFEST_PATH, type Manifest } from './manifest.ts';
import { openDestination } from './openDestination.ts';
import { queryLake } from './queryLake.ts';
import { LAKE_TABLES } from './tables.ts';

const log = createLogger({ level: 'silent', secrets: [] });
const tables = LAKE_TABLES.filter((t) =>
  ['evm_blocks', 'evm_transactions', 'evm_logs', 'coingecko_prices'].includes(t.name),
);
const options = { log, tables, blockRange: 1_000, rowGroupBytes: 1024 * 1024, overlapSeconds: 0 };
/** What the database holds, in the figures the lake must match. */
async function sourceFigures(db: TestDb['db']) {
  const s = db.schemas.staging;
  const [tx] = await db.query<{ n: string; sum: string; us: string }>(
    `SELECT count(*)::text AS n, sum(value)::text AS sum,
            sum((extract(epoch FROM block_time) * 1000000)::bigint)::text AS us FROM ${s}.evm_transactions`,
  );
  const [blocks] = await db.query<{ n: string; us: string }>(
    `SELECT count(*)::text AS n, sum((extract(epoch FROM block_time) * 1000000)::bigint)::text AS us FROM ${s}.evm_blocks`,
  );
  const [logs] = await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${s}.evm_logs`);
  const [prices] = await db.query<{ n: string; sum: string; us: string }>(
    `SELECT count(*)::text AS n, sum(price)::text AS sum,
            sum((extract(epoch FROM ts) * 1000000)::bigint)::text AS us FROM ${s}.coingecko_prices`,
  );
  return { tx, blocks, logs: logs?.n, prices };
}

/** The same figures read by DuckDB from the Parquet files (uint256 summed exactly from its strings). */
async function lakeFigures(root: string) {
  const one = async (sql: string) => (await queryLake(root, sql)).rows[0] as unknown[];
  const values = (await queryLake(root, 'SELECT value FROM evm_transactions')).rows.map((r) => BigInt(r[0] as string));
  const [txN, txUs] = await one('SELECT count(*), sum(epoch_us(block_time)) FROM evm_transactions');
  const [blocksN, blocksUs] = await one('SELECT count(*), sum(epoch_us(block_time)) FROM evm_blocks');
  const [logsN] = await one('SELECT count(*) FROM evm_logs');
  const [pN, pSum, pUs] = await one(
    'SELECT count(*), sum(price::DECIMAL(38,27))::VARCHAR, sum(epoch_us(ts)) FROM coingecko_prices',
  );
  return {
    tx: { n: String(txN), sum: String(values.reduce((a, b) => a + b, 0n)), us: String(txUs) },
    blocks: { n: String(blocksN), us: String(blocksUs) },
    logs: String(logsN),
    prices: { n: String(pN), sum: String(pSum), us: String(pUs) },
  };
}

const readManifest = (root: string) => JSON.parse(readFileSync(join(root, MANIFEST_PATH), 'utf8')) as Manifest;

describe.each(POSTGRES_ENGINES)('lake export on %s', (engine) => {
  let t: TestDb;
  let root: string;
  beforeAll(async () => {
    t = await openTestDb(engine);
    await seedEvm(t.db, 0, 2_499);
    await seedPrices(t.db);
    root = mkdtempSync(join(tmpdir(), 'crypto-etl-lake-'));
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('behavior: DuckDB reads back the same row counts, exact sums (uint256 too) and timestamps', async () => {
    const results = await exportToLake({ ...options, db: t.db, destination: localDestination(root) });
    expect(results.map((r) => [r.table, r.partitions])).toEqual([
      ['evm_blocks', 3],
      ['evm_transactions', 3],
      ['evm_logs', 3],
      ['coingecko_prices', 5],
    ]);
    const source = await sourceFigures(t.db);
    const lake = await lakeFigures(root);
    expect(lake.tx).toEqual(source.tx);
    expect(lake.blocks).toEqual(source.blocks);
    expect(lake.logs).toEqual(source.logs);
    expect(lake.prices.n).toBe(source.prices?.n);
    expect(lake.prices.us).toBe(source.prices?.us);
    expect(Number(lake.prices.sum)).toBeCloseTo(Number(source.prices?.sum), 12);
    // Exact text of every price: the unconstrained numeric is written as its decimal string.
    const [pgPrices] = await t.db.query<{ all: string }>(
      `SELECT string_agg(price::text, ',' ORDER BY coin_id, ts) AS "all" FROM ${t.db.schemas.staging}.coingecko_prices`,
    );
    const lakePrices = await queryLake(
      root,
      "SELECT string_agg(price, ',' ORDER BY coin_id, ts) FROM coingecko_prices",
    );
    expect(lakePrices.rows[0]?.[0]).toBe(pgPrices?.all);

    const manifest = readManifest(root);
    const blocks = manifest.tables.evm_blocks;
    expect(Object.keys(blocks?.partitions ?? {})).toEqual([
      'chain_id=1/block_range=0-999',
      'chain_id=1/block_range=1000-1999',
      'chain_id=1/block_range=2000-2999',
    ]);
    expect(blocks?.columns.find((c) => c.name === 'base_fee_per_gas')?.type).toBe('VARCHAR');
    expect(blocks?.columns.find((c) => c.name === 'block_time')?.type).toBe('TIMESTAMPTZ');
    expect(Object.keys(manifest.tables.coingecko_prices?.partitions ?? {})[0]).toBe('date=2024-03-01');
    expect(readdirSync(root).sort()).toEqual([
      '_manifest.json',
      'coingecko_prices',
      'evm_blocks',
      'evm_logs',
      'evm_transactions',
    ]);

    // Parquet types as the issue asks: uint256 as string, timestamps UTC microseconds, zstd.
    const duck = await openDuckDb();
    const file = join(root, blocks?.partitions['chain_id=1/block_range=0-999']?.file as string);
    const schema = await duck.rows(`SELECT name, type, logical_type::VARCHAR AS lt FROM parquet_schema('${file}')`);
    const meta = await duck.rows(`SELECT DISTINCT compression FROM parquet_metadata('${file}')`);
    duck.close();
    expect(schema.find((c) => c.name === 'block_time')?.lt).toMatch(/isAdjustedToUTC=1.*MICROS/i);
    expect(schema.find((c) => c.name === 'number')?.type).toBe('INT64');
    expect(schema.find((c) => c.name === 'withdrawals')?.type).toBe('BYTE_ARRAY');
    expect(meta.map((m) => m.compression)).toEqual(['ZSTD']);
    const [watermark] = Object.values(
      (await readWatermark<Record<string, string>>(t.db, t.db.schemas, exportStream('evm_blocks'))) ?? {},
    );
    expect(watermark).toBe(blocks?.watermark);
  });

  it('behavior: a rerun rewrites nothing; a reorg of a range rewrites that range only', async () => {
    const before = readManifest(root);
    const again = await exportToLake({ ...options, db: t.db, destination: localDestination(root) });
    expect(again.map((r) => r.partitions)).toEqual([0, 0, 0, 0]);
    expect(readManifest(root)).toEqual(before);

    const s = t.db.schemas.staging;
    // A reorg of blocks 1500…1509: the old ones go with their transactions and logs, new ones (new hashes) come.
    for (const table of ['evm_logs', 'evm_transactions']) {
      await t.db.exec(`DELETE FROM ${s}.${table} WHERE block_number BETWEEN 1500 AND 1509`);
    }
    await t.db.exec(`DELETE FROM ${s}.evm_blocks WHERE number BETWEEN 1500 AND 1509`);
    await seedEvm(t.db, 1500, 1509, 'b');
    const after = await exportToLake({ ...options, db: t.db, destination: localDestination(root) });
    expect(after.map((r) => r.partitions)).toEqual([1, 1, 1, 0]);
    const manifest = readManifest(root);
    const range = 'chain_id=1/block_range=1000-1999';
    expect(manifest.tables.evm_transactions?.partitions[range]?.sha256).not.toBe(
      before.tables.evm_transactions?.partitions[range]?.sha256,
    );
    expect(manifest.tables.evm_transactions?.partitions['chain_id=1/block_range=0-999']).toEqual(
      before.tables.evm_transactions?.partitions['chain_id=1/block_range=0-999'],
    );
    const hashes = await queryLake(root, "SELECT count(*) FROM evm_blocks WHERE hash LIKE '0xb%'");
    expect(Number(hashes.rows[0]?.[0])).toBe(10);
    expect(await lakeFigures(root)).toMatchObject({ tx: (await sourceFigures(t.db)).tx });
  });
});

describe('lake export to S3 (s3rver)', () => {
  it('behavior: files and the manifest land in the bucket by multipart upload and read back the same', async () => {
    const s3 = await startLocalS3(['lake']);
    const t = await openTestDb('pglite');
    const local = mkdtempSync(join(tmpdir(), 'crypto-etl-lake-s3-'));
    try {
      await seedEvm(t.db, 0, 1_499);
      const config = {
        s3: {
          endpoint: s3.settings.S3_ENDPOINT,
          region: 'us-east-1',
          accessKeyId: 'S3RVER',
          secretAccessKey: 'S3RVER',
          forcePathStyle: true,
        },
      };
      const destination = openDestination(config, 's3://lake/exports/v1');
      const results = await exportToLake({ ...options, tables: tables.slice(0, 2), db: t.db, destination });
      expect(results.map((r) => r.rowsInLake)).toEqual([1_500, 3_000]);
      const manifest = JSON.parse((await destination.readText(MANIFEST_PATH)) as string) as Manifest;
      // Mirror the bucket locally (the bundled DuckDB has no httpfs) and read it back.
      const { GetObjectCommand, S3Client } = await import('@aws-sdk/client-s3');
      const client = new S3Client({ ...config.s3, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
      const { mkdirSync, writeFileSync } = await import('node:fs');
      const { createHash } = await import('node:crypto');
      for (const table of Object.values(manifest.tables)) {
        for (const part of Object.values(table.partitions)) {
          const got = await client.send(new GetObjectCommand({ Bucket: 'lake', Key: `exports/v1/${part.file}` }));
          const bytes = await got.Body?.transformToByteArray();
          expect(
            createHash('sha256')
              .update(bytes as Uint8Array)
              .digest('hex'),
          ).toBe(part.sha256);
          mkdirSync(join(local, part.file, '..'), { recursive: true });
          writeFileSync(join(local, part.file), bytes as Uint8Array);
        }
      }
      client.destroy();
      const source = await sourceFigures(t.db);
      const [n, sum] = (await queryLake(local, 'SELECT count(*), sum(epoch_us(block_time)) FROM evm_transactions'))
        .rows[0] as unknown[];
      expect([String(n), String(sum)]).toEqual([source.tx?.n, source.tx?.us]);
      await expect(queryLake('s3://lake/exports/v1', 'SELECT 1')).rejects.toThrow(/httpfs/);
    } finally {
      await t.close();
      await s3.close();
      rmSync(local, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('lake export reading ahead', () => {
  it('error: a COPY that fails while the previous partition converts fails the pass, leaving no work file and the watermark unmoved', async () => {
    const t = await openTestDb('pglite');
    const root = mkdtempSync(join(tmpdir(), 'crypto-etl-lake-ahead-'));
    try {
      await seedEvm(t.db, 0, 2_999);
      const copyOut = t.db.copyOut?.bind(t.db) as NonNullable<typeof t.db.copyOut>;
      let reads = 0;
      // The second partition's COPY (read while the first converts) breaks mid-stream.
      const db = {
        ...t.db,
        async *copyOut(select: string) {
          const n = ++reads;
          yield* copyOut(select);
          if (n === 2) throw new Error('connection reset during COPY');
        },
      };
      const blocks = LAKE_TABLES.filter((x) => x.name === 'evm_blocks');
      await expect(
        exportToLake({ ...options, tables: blocks, db, destination: localDestination(root) }),
      ).rejects.toThrow(/connection reset during COPY/);
      expect(reads).toBe(2);
      expect(readdirSync(root)).not.toContain('_tmp');
      expect(Object.keys(readManifest(root).tables.evm_blocks?.partitions ?? {})).toEqual([
        'chain_id=1/block_range=0-999',
      ]);
      expect(await readWatermark(t.db, t.db.schemas, exportStream('evm_blocks'))).toBeUndefined();
    } finally {
      await t.close();
      rmSync(root, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('lake export beside a long transaction (postgres)', () => {
  it('behavior: rows a transaction begun before a pass commits after it are exported by the next pass, past the overlap', async () => {
    const t = await openTestDb('postgres');
    const root = mkdtempSync(join(tmpdir(), 'crypto-etl-lake-open-'));
    const late = new pg.Client({ connectionString: t.url });
    try {
      await late.connect();
      const prices = LAKE_TABLES.filter((x) => x.name === 'coingecko_prices');
      const pass = () => exportToLake({ ...options, tables: prices, db: t.db, destination: localDestination(root) });
      const insert = (coin: string) =>
        `INSERT INTO ${t.db.schemas.staging}.coingecko_prices (coin_id, vs_currency, ts, price)
         VALUES ('${coin}', 'usd', TIMESTAMPTZ '2024-03-01T00:00:00Z', 1)`;
      // A backfill's transaction: its rows carry its start as loaded_at, older than what commits meanwhile.
      await late.query('BEGIN');
      await late.query(insert('late-coin'));
      await t.db.exec(insert('early-coin'));
      const [first] = await pass();
      const [early] = await t.db.query<{ at: Date }>(
        `SELECT loaded_at AS at FROM ${t.db.schemas.staging}.coingecko_prices WHERE coin_id = 'early-coin'`,
      );
      // The watermark waits before the open transaction, not at the last row committed.
      expect(Date.parse(first?.watermark as string)).toBeLessThan(new Date(early?.at as Date).getTime());
      await late.query('COMMIT');
      await pass();
      const coins = (await queryLake(root, 'SELECT coin_id FROM coingecko_prices ORDER BY 1')).rows.map((r) => r[0]);
      expect(coins).toEqual(['early-coin', 'late-coin']);
    } finally {
      await late.end().catch(() => {});
      await t.close();
      rmSync(root, { recursive: true, force: true });
    }
  }, 60_000);
});
