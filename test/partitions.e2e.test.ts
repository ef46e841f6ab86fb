import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listPartitions } from '../src/db/partitions.ts';
import type { Db } from '../src/db/types.ts';
import type { JobResult } from '../src/jobs/defineJob.ts';
import { type Anvil, startAnvil } from '../src/sandbox/evm/anvil.ts';
import { type ChainDriver, createChainDriver } from '../src/sandbox/evm/chainDriver.ts';
import { checkEvmBlocks } from '../src/transforms/quality/evmBlocks.ts';
import { applyPartitionRetention } from '../src/transforms/retention.ts';
import type { Json } from './fixtures/evm/fields.ts';
import { runEvmJob } from './fixtures/evm/runJob.ts';
import { testConfig } from './helpers/config.ts';
import { count, openTestDb, POSTGRES_ENGINES, type TestDb } from './helpers/databases.ts';

/** anvil's chain, in partitions of 10 blocks so a short chain crosses several boundaries. */
const CHAIN = 31337;
const SIZE = 10;
const TABLES = [
  ['evm_blocks', 'number', 'hash'],
  ['evm_transactions', 'block_number', 'block_hash'],
  ['evm_receipts', 'block_number', 'block_hash'],
  ['evm_logs', 'block_number', 'block_hash'],
] as const;

describe.each(POSTGRES_ENGINES)('evm-blocks into block-range partitions against anvil on %s', (engine) => {
  let anvil: Anvil;
  let driver: ChainDriver;
  let t: TestDb;
  let db: Db;

  beforeAll(async () => {
    [anvil, t] = await Promise.all([startAnvil(), openTestDb(engine)]);
    db = t.db;
    await db.query('INSERT INTO etl.chain_partitions (chain_id, blocks_per_partition) VALUES ($1, $2)', [CHAIN, SIZE]);
    driver = await createChainDriver(anvil);
    await driver.deployErc20();
    await driver.fill(20, 3);
    // The head 3 blocks past a boundary: a reorg 7 deep then replaces blocks on both sides of it.
    while ((await driver.head()) % SIZE !== 3) await driver.fill(1, 2);
  });
  afterAll(async () => {
    await anvil?.close();
    await t?.close();
  });

  const run = (args: Json = {}): Promise<JobResult> =>
    runEvmJob(
      db,
      testConfig({ EVM_RPC_URLS: anvil.url, EVM_START_BLOCK: '0', EVM_BATCH_SIZE: '4', EVM_CONCURRENCY: '2' }),
      args,
    );

  async function nodeBlocks() {
    const head = await driver.head();
    const heights = Array.from({ length: head + 1 }, (_, i) => `0x${i.toString(16)}`);
    return anvil.batch<{ hash: string; transactions: { hash: string }[] }>(
      heights.map((h) => ({ method: 'eth_getBlockByNumber', params: [h, true] })),
    );
  }

  /** Every table holds exactly the node's chain, each row in the range partition of its height, none in DEFAULT. */
  async function expectCanonicalInRanges(): Promise<void> {
    const blocks = await nodeBlocks();
    const stored = await db.query<{ number: number; hash: string }>(
      'SELECT number, hash FROM staging.evm_blocks ORDER BY number',
    );
    expect(stored.map((b) => [Number(b.number), b.hash])).toEqual(blocks.map((b, i) => [i, b.hash]));
    const txs = await db.query<{ hash: string }>('SELECT hash FROM staging.evm_transactions ORDER BY hash');
    expect(txs.map((r) => r.hash)).toEqual(blocks.flatMap((b) => b.transactions.map((tx) => tx.hash)).sort());
    const hashes = blocks.map((b) => b.hash);
    for (const [table, height, hash] of TABLES) {
      expect(await count(db, `staging.${table}`, `WHERE NOT (${hash} = ANY(ARRAY['${hashes.join("','")}']))`)).toBe(0);
      expect(await count(db, `staging_partitions.${table}_default`), `${table} DEFAULT`).toBe(0);
      // The partition each row sits in is the one whose range holds its height.
      const misplaced = await db.query(
        `SELECT tableoid::regclass::text AS part, ${height} AS n FROM staging.${table}
         WHERE tableoid::regclass::text <> 'staging_partitions.${table}_c${CHAIN}_b' || (${height} / ${SIZE} * ${SIZE})`,
      );
      expect(misplaced, table).toEqual([]);
    }
    expect((await checkEvmBlocks(db)).map((r) => [r.check, r.status])).toEqual([
      ['evm_block_contents', 'passed'],
      ['evm_block_gaps', 'passed'],
    ]);
  }

  it('behavior: a backfill across partition boundaries loads every table into its ranges', async () => {
    const head = await driver.head();
    const result = await run({ from: '0', to: String(head) });
    expect(result.status, result.error).toBe('succeeded');
    await expectCanonicalInRanges();
    const ranges = (await listPartitions(db, 'staging.evm_blocks')).filter((p) => !p.isDefault);
    const expected = Array.from({ length: Math.floor(head / SIZE) + 1 }, (_, i) => [CHAIN, i * SIZE, (i + 1) * SIZE]);
    expect(ranges.map((p) => [p.chainId, p.from, p.to])).toEqual(expected);
    expect(expected.length).toBeGreaterThanOrEqual(3);
  });

  it('behavior: a rerun of the same range adds 0 rows', async () => {
    const before = await count(db, 'staging.evm_logs');
    const result = await run({ from: '0', to: String(await driver.head()) });
    expect(result.status, result.error).toBe('succeeded');
    expect(result.runs[0]?.rowsExtracted).toBeGreaterThan(0);
    expect(result.runs[0]?.rowsLoaded).toBe(0);
    expect(await count(db, 'staging.evm_logs')).toBe(before);
  });

  it('behavior: a reorg across a partition boundary leaves exactly the canonical chain', async () => {
    const head = await driver.head();
    const boundary = head - (head % SIZE);
    expect(head - 6).toBeLessThan(boundary);
    const orphaned = (await nodeBlocks()).slice(head - 6).flatMap((b) => b.transactions.map((tx) => tx.hash));
    const [a, b, c] = driver.accounts as [string, string, string];
    await anvil.rpc('anvil_reorg', [
      7,
      [
        [{ from: a, to: b, value: '0x1234', gas: '0x5208' }, 0],
        [driver.tokenTransfer(b as `0x${string}`, c as `0x${string}`, 77n), 5],
      ],
    ]);
    await driver.resync();
    await driver.fill(2, 3);
    const result = await run();
    expect(result.status, result.error).toBe('succeeded');
    await expectCanonicalInRanges();
    const left = await db.query('SELECT hash FROM staging.evm_transactions WHERE hash = ANY($1::text[])', [orphaned]);
    expect(left).toEqual([]);
    const [dupes] = await db.query<{ n: number | string }>(
      'SELECT count(*) - count(DISTINCT hash) AS n FROM staging.evm_transactions',
    );
    expect(Number(dupes?.n)).toBe(0);
  });

  it('behavior: retention by a block horizon drops exactly the ranges below it in the four tables', async () => {
    const head = await driver.head();
    await db.query('UPDATE etl.chain_partitions SET keep_blocks = $1 WHERE chain_id = $2', [SIZE, CHAIN]);
    const horizon = head + 1 - SIZE;
    const below = Array.from({ length: Math.floor(horizon / SIZE) }, (_, i) => i * SIZE);
    expect(below.length).toBeGreaterThanOrEqual(1);
    // Every range below the horizon, in each table that has it (a range of blocks without a log has no logs range).
    const expected: string[] = [];
    for (const [table] of TABLES) {
      for (const p of await listPartitions(db, `staging.${table}`)) {
        if (!p.isDefault && p.to <= horizon) expected.push(`staging.${table} ${p.from}`);
      }
    }
    expect(expected.filter((e) => e.startsWith('staging.evm_blocks '))).toEqual(
      below.map((from) => `staging.evm_blocks ${from}`),
    );
    const result = await applyPartitionRetention(db, 400);
    expect(result.failed).toEqual([]);
    expect(result.dropped.map((d) => `${d.table} ${d.from}`).sort()).toEqual(expected.sort());
    const firstKept = below.length * SIZE;
    for (const [table, height] of TABLES) {
      const [min] = await db.query<{ n: number | null }>(`SELECT min(${height}) AS n FROM staging.${table}`);
      expect(Number(min?.n), table).toBeGreaterThanOrEqual(firstKept);
    }
    expect(await count(db, 'staging.evm_blocks')).toBe(head + 1 - firstKept);
    // A second run has nothing left to drop.
    expect((await applyPartitionRetention(db, 400)).dropped).toEqual([]);
  });
});
