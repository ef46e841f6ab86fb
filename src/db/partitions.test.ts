import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { count, openTestDb, POSTGRES_ENGINES, type TestDb } from '../../test/helpers/databases.ts';
import { silentLogger } from '../internal/logger.ts';
import { eventTarget } from '../pipeline/evm/eventsStore.ts';
import { createRunner } from '../pipeline/runner.ts';
import { eventSpec, parseEvent } from '../sources/evm/events/abi.ts';
import { EVM_COLUMNS, EVM_KEYS } from '../sources/evm/rows.ts';
import { applyPartitionRetention, applyRetention } from '../transforms/retention.ts';
import { eventTableStatements } from './eventTables.ts';
import { migrate, migrationsFolder, readSqlFiles } from './migrate.ts';
import { listPartitions, preparePartitions, splitDefaultPartition } from './partitions.ts';
import { renderSql } from './sqlTemplate.ts';
import type { Db, Queryable, WriteTarget } from './types.ts';

const NOW = new Date('2026-06-17T12:00:00Z');
const PRICES: WriteTarget = {
  table: 'staging.coingecko_prices',
  columns: ['coin_id', 'vs_currency', 'ts', 'price'],
  key: ['coin_id', 'vs_currency', 'ts'],
  onConflict: 'update',
  touch: 'loaded_at',
};
const hash = (s: string) => `0x${createHash('sha256').update(s).digest('hex')}`;
const BLOCKS: WriteTarget = {
  table: 'staging.evm_blocks',
  columns: EVM_COLUMNS.blocks,
  key: EVM_KEYS.blocks,
  onConflict: 'ignore',
};
const TXS: WriteTarget = {
  table: 'staging.evm_transactions',
  columns: EVM_COLUMNS.transactions,
  key: EVM_KEYS.transactions,
  onConflict: 'ignore',
};
/** One block per height, each a minute after the last; one transaction in each. */
function chain(chainId: number, from: number, to: number, branch = 'a', t0 = NOW.getTime() - 86_400_000) {
  const blocks: unknown[][] = [];
  const txs: unknown[][] = [];
  for (let n = from; n <= to; n++) {
    const h = hash(`${chainId}/${branch}/${n}`);
    const time = new Date(t0 + n * 60_000);
    const block: Record<string, unknown> = { chain_id: chainId, number: n, hash: h, block_time: time };
    Object.assign(block, { parent_hash: hash(`${chainId}/${branch}/${n - 1}`), miner: '0x0', extra_data: '0x' });
    Object.assign(block, { gas_limit: 1, gas_used: 1, uncles: '[]', transaction_count: 1 });
    for (const root of ['sha3_uncles', 'state_root', 'transactions_root', 'receipts_root', 'logs_bloom']) {
      block[root] = '0x';
    }
    blocks.push(EVM_COLUMNS.blocks.map((c) => block[c] ?? null));
    const tx: Record<string, unknown> = { chain_id: chainId, hash: hash(`tx/${chainId}/${n}`), block_number: n };
    Object.assign(tx, { block_hash: h, block_time: time, transaction_index: 0, from_address: '0x1', value: '1' });
    Object.assign(tx, { gas: 21000, nonce: n, input: '0x' });
    txs.push(EVM_COLUMNS.transactions.map((c) => tx[c] ?? null));
  }
  return { blocks, txs };
}

/** Where each row of a table lives: partition name → rows. */
async function placement(db: Db, table: string): Promise<Record<string, number>> {
  const rows = await db.query<{ part: string; n: number | string }>(
    `SELECT tableoid::regclass::text AS part, count(*) AS n FROM ${table} GROUP BY 1 ORDER BY 1`,
  );
  return Object.fromEntries(rows.map((r) => [r.part, Number(r.n)]));
}

describe.each(POSTGRES_ENGINES)('range partitions on %s', (engine) => {
  let t: TestDb;
  let db: Db;
  const runner = () => createRunner({ db, log: silentLogger() });

  beforeAll(async () => {
    t = await openTestDb(engine);
    db = t.db;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('behavior: migration 0012 leaves each growing table partitioned with a DEFAULT partition and the keys widened', async () => {
    const kinds = await db.query<{ relname: string; relkind: string }>(
      `SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'staging' AND c.relkind IN ('r', 'p') ORDER BY 1`,
    );
    const partitioned = kinds.filter((k) => k.relkind === 'p').map((k) => k.relname);
    expect(partitioned).toEqual([
      'coincap_asset_history',
      'coincap_markets',
      'coingecko_markets',
      'coingecko_prices',
      'dune_cow_trades',
      'evm_blocks',
      'evm_event_cow_trade',
      'evm_event_erc20_transfer',
      'evm_logs',
      'evm_receipts',
      'evm_transactions',
    ]);
    for (const table of partitioned) {
      expect(await listPartitions(db, `staging.${table}`)).toEqual([expect.objectContaining({ isDefault: true })]);
    }
    const [pk] = await db.query<{ def: string }>(
      `SELECT pg_get_indexdef(indexrelid) AS def FROM pg_index WHERE indrelid = 'staging.evm_logs'::regclass AND indisprimary`,
    );
    expect(pk?.def).toContain('(chain_id, transaction_hash, log_index, block_number)');
  });

  it('behavior: a checkpoint across a month boundary creates both months ahead; a rerun adds 0; DEFAULT stays empty', async () => {
    const rows = [
      ['bitcoin', 'usd', new Date('2026-01-31T23:00:00Z'), 100],
      ['bitcoin', 'usd', new Date('2026-02-01T00:00:00Z'), 101],
      ['ethereum', 'usd', new Date('2026-02-15T00:00:00Z'), 5],
    ];
    const load = () =>
      runner().run({ stream: 'test.prices' }, { job: 'test' }, async (session) => {
        await session.commit({ writes: [{ target: PRICES, rows }], extracted: rows.length });
      });
    expect((await load()).rowsLoaded).toBe(3);
    expect(await placement(db, 'staging.coingecko_prices')).toEqual({
      'staging_partitions.coingecko_prices_m202601': 1,
      'staging_partitions.coingecko_prices_m202602': 2,
    });
    const months = (await listPartitions(db, 'staging.coingecko_prices')).filter((p) => !p.isDefault);
    expect(months.map((p) => [new Date(p.from).toISOString(), new Date(p.to).toISOString()])).toEqual([
      ['2026-01-01T00:00:00.000Z', '2026-02-01T00:00:00.000Z'],
      ['2026-02-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z'],
    ]);
    const again = await load();
    expect(again.status, again.error).toBe('succeeded');
    expect(again.rowsLoaded).toBe(0);
    // A changed value updates its row in place (the conflict target holds ts, the partition key).
    rows[2] = ['ethereum', 'usd', new Date('2026-02-15T00:00:00Z'), 6];
    expect((await load()).rowsLoaded).toBe(1);
    expect(await count(db, 'staging.coingecko_prices')).toBe(3);
  });

  it('behavior: a row no range holds lands in DEFAULT, and moves to its own partition when one is made', async () => {
    await db.query(
      `INSERT INTO staging.coingecko_prices (coin_id, vs_currency, ts, price) VALUES ('solana', 'usd', $1, 140)`,
      [new Date('2025-11-05T00:00:00Z')],
    );
    expect(await placement(db, 'staging.coingecko_prices')).toMatchObject({
      'staging_partitions.coingecko_prices_default': 1,
    });
    const created = await preparePartitions(db, [
      { target: PRICES, rows: [['solana', 'usd', new Date('2025-11-20T00:00:00Z'), 141]] },
    ]);
    expect(created).toEqual({ created: ['staging_partitions.coingecko_prices_m202511'], failed: [] });
    const where = await placement(db, 'staging.coingecko_prices');
    expect(where['staging_partitions.coingecko_prices_m202511']).toBe(1);
    expect(where['staging_partitions.coingecko_prices_default']).toBeUndefined();
    // splitDefaultPartition does the same for what is left in DEFAULT, a range at a time.
    await db.query(
      `INSERT INTO staging.coingecko_prices (coin_id, vs_currency, ts, price) VALUES ('solana', 'usd', $1, 1), ('solana', 'usd', $2, 2)`,
      [new Date('2025-09-01T00:00:00Z'), new Date('2025-10-31T23:59:59Z')],
    );
    expect(await splitDefaultPartition(db, 'staging.coingecko_prices')).toEqual([
      'staging_partitions.coingecko_prices_m202509',
      'staging_partitions.coingecko_prices_m202510',
    ]);
    expect(await count(db, 'staging_partitions.coingecko_prices_default')).toBe(0);
    expect(await count(db, 'staging.coingecko_prices')).toBe(6);
  });

  it('behavior: a streamed load (a file) makes its partitions inside its transaction, and keeps its lock timeout', async () => {
    const rows = [
      ['cardano', 'usd', new Date('2024-03-31T23:59:59Z'), 0.5],
      ['cardano', 'usd', new Date('2024-04-01T00:00:00Z'), 0.6],
    ];
    let timeout = '';
    const result = await runner().run({ stream: 'test.file' }, { job: 'test' }, async (session) => {
      await session.commit({
        writes: [],
        extracted: 0,
        async load(tx) {
          const loaded = await tx.writeRows(PRICES, rows);
          timeout = (await tx.query<{ t: string }>("SELECT current_setting('lock_timeout') AS t"))[0]?.t ?? '';
          return { extracted: rows.length, loaded, rejected: 0 };
        },
      });
    });
    expect(result.rowsLoaded, result.error).toBe(2);
    expect(timeout).toBe('0');
    expect(await placement(db, 'staging.coingecko_prices')).toMatchObject({
      'staging_partitions.coingecko_prices_m202403': 1,
      'staging_partitions.coingecko_prices_m202404': 1,
    });
    expect(await count(db, 'staging_partitions.coingecko_prices_default')).toBe(0);
    await db.exec("DELETE FROM staging.coingecko_prices WHERE coin_id = 'cardano'");
  });

  it('behavior: block ranges follow etl.chain_partitions per chain; a reorg across a boundary leaves one row per height and hash', async () => {
    await db.query('INSERT INTO etl.chain_partitions (chain_id, blocks_per_partition) VALUES (7, 100)');
    const write = (c: ReturnType<typeof chain>, before?: (tx: Queryable) => Promise<void>) =>
      runner().run({ stream: 'test.blocks' }, { job: 'test' }, async (session) => {
        await session.commit({
          writes: [
            { target: BLOCKS, rows: c.blocks },
            { target: TXS, rows: c.txs },
          ],
          extracted: c.blocks.length,
          before,
        });
      });
    expect((await write(chain(7, 90, 209))).rowsLoaded).toBe(240);
    const ranges = (await listPartitions(db, 'staging.evm_blocks')).filter((p) => !p.isDefault);
    expect(ranges.map((p) => [p.chainId, p.from, p.to])).toEqual([
      [7, 0, 100],
      [7, 100, 200],
      [7, 200, 300],
    ]);
    // Chain 8 has no setting: 1,000,000 blocks a partition.
    expect((await write(chain(8, 5, 6))).rowsLoaded).toBe(4);
    expect((await listPartitions(db, 'staging.evm_transactions')).map((p) => [p.chainId, p.from, p.to])).toEqual([
      [7, 0, 100],
      [7, 100, 200],
      [7, 200, 300],
      [8, 0, 1_000_000],
      [undefined, Number.NaN, Number.NaN],
    ]);
    expect((await write(chain(7, 90, 209))).rowsLoaded).toBe(0);
    // Branch b replaces 95–105 (across the boundary at 100): the orphan delete goes first, as evm-blocks does it.
    const b = chain(7, 95, 105, 'b');
    const hashes = b.blocks.map((r) => r[2]);
    const result = await write(b, async (tx) => {
      for (const [table, col, h] of [
        ['evm_blocks', 'number', 'hash'],
        ['evm_transactions', 'block_number', 'block_hash'],
      ] as const) {
        await tx.query(
          `DELETE FROM staging.${table} WHERE chain_id = 7 AND ${col} BETWEEN 95 AND 105 AND ${h} <> ALL($1::text[])`,
          [hashes],
        );
      }
    });
    expect(result.status, result.error).toBe('succeeded');
    const [dupes] = await db.query<{ heights: number | string; hashes: number | string; n: number | string }>(
      `SELECT count(DISTINCT number) AS heights, count(DISTINCT hash) AS hashes, count(*) AS n FROM staging.evm_blocks WHERE chain_id = 7`,
    );
    expect([Number(dupes?.heights), Number(dupes?.hashes), Number(dupes?.n)]).toEqual([120, 120, 120]);
    expect(
      await count(
        db,
        'staging.evm_blocks',
        `WHERE chain_id = 7 AND number BETWEEN 95 AND 105 AND hash = ANY(ARRAY['${hashes.join("','")}'])`,
      ),
    ).toBe(11);
    expect(await count(db, 'staging.evm_transactions', 'WHERE chain_id = 7')).toBe(120);
    expect(await count(db, 'staging_partitions.evm_blocks_default')).toBe(0);
    expect(await placement(db, 'staging.evm_transactions')).toEqual({
      'staging_partitions.evm_transactions_c7_b0': 10,
      'staging_partitions.evm_transactions_c7_b100': 100,
      'staging_partitions.evm_transactions_c7_b200': 10,
      'staging_partitions.evm_transactions_c8_b0': 2,
    });
  });

  it('behavior: retention by chain horizon drops exactly the ranges wholly below it, in every block table', async () => {
    // Chain 7 holds 90–209; keeping 100 blocks keeps 110–209: only [0, 100) is wholly below 110.
    await db.query('UPDATE etl.chain_partitions SET keep_blocks = 100 WHERE chain_id = 7');
    const result = await applyPartitionRetention(db, 400, { now: NOW });
    expect(result.failed).toEqual([]);
    expect(result.dropped.map((d) => [d.table, d.partition, d.reason])).toEqual([
      ['staging.evm_blocks', 'staging_partitions.evm_blocks_c7_b0', 'blocks'],
      ['staging.evm_transactions', 'staging_partitions.evm_transactions_c7_b0', 'blocks'],
    ]);
    expect(await count(db, 'staging.evm_blocks', 'WHERE chain_id = 7')).toBe(110);
    expect(await count(db, 'staging.evm_blocks', 'WHERE chain_id = 8')).toBe(2);
    const [min] = await db.query<{ n: number }>('SELECT min(number) AS n FROM staging.evm_blocks WHERE chain_id = 7');
    expect(Number(min?.n)).toBe(100);
    await db.query('UPDATE etl.chain_partitions SET keep_blocks = NULL');
  });

  it('behavior: retention drops exactly the months wholly older than RETENTION_DAYS, not a row of the others', async () => {
    const months = ['2025-12-10', '2026-01-10', '2026-02-10', '2026-03-01', '2026-03-31', '2026-04-10', '2026-06-01'];
    const rows = months.map((d, i) => [
      `coin${i}`,
      'usd',
      new Date(`${d}T00:00:00Z`),
      'C',
      'Coin',
      1,
      new Date(`${d}T00:05:00Z`),
    ]);
    const markets: WriteTarget = {
      table: 'staging.coingecko_markets',
      columns: ['coin_id', 'vs_currency', 'last_updated', 'symbol', 'name', 'current_price', 'snapshot_at'],
      key: ['coin_id', 'vs_currency', 'last_updated'],
      onConflict: 'update',
    };
    await preparePartitions(db, [{ target: markets, rows }]);
    await db.writeRows(markets, rows);
    // 100 days before 2026-06-17 12:00 is 2026-03-09 12:00: December, January and February are wholly before it;
    // March straddles it and is kept whole.
    const deleted = await applyRetention(db, 100, { now: NOW });
    expect(deleted).toHaveProperty(['staging.coingecko_markets']);
    const left = (await listPartitions(db, 'staging.coingecko_markets')).filter((p) => !p.isDefault);
    expect(left.map((p) => new Date(p.from).toISOString().slice(0, 7))).toEqual(['2026-03', '2026-04', '2026-06']);
    const coins = await db.query<{ coin_id: string }>('SELECT coin_id FROM staging.coingecko_markets ORDER BY 1');
    expect(coins.map((c) => c.coin_id)).toEqual(['coin3', 'coin4', 'coin5', 'coin6']);
    // Prices have no retention row: kept whole.
    expect(await count(db, 'staging.coingecko_prices')).toBe(6);
  });

  it('behavior: retention by days on a block table drops the ranges whose newest row is older than the cutoff', async () => {
    await db.query("INSERT INTO etl.partition_retention (table_name, keep_days) VALUES ('evm_transactions', 1)");
    // Block n of a chain is at NOW − 1 day + n minutes. Kept 1 day at NOW, the cutoff is NOW − 1 day: every range
    // has a newer row. At NOW + 205 min the cutoff is at block 205's time: 100–199 (newest 199) and chain 8's
    // range (newest 6) are wholly older; 200–299 (newest 209) is not.
    const none = await applyPartitionRetention(db, 400, { now: NOW });
    expect(none.dropped).toEqual([]);
    const later = new Date(NOW.getTime() + 205 * 60_000);
    const result = await applyPartitionRetention(db, 400, { now: later });
    expect(result.dropped.map((d) => d.partition)).toEqual([
      'staging_partitions.evm_transactions_c7_b100',
      'staging_partitions.evm_transactions_c8_b0',
    ]);
    expect(await count(db, 'staging.evm_transactions')).toBe(10);
    expect(await count(db, 'staging.evm_blocks')).toBe(112);
  });

  it('behavior: an event table created at run time with the helpers is partitioned and loads into its ranges', async () => {
    const spec = eventSpec('demo', parseEvent('event Ping(address indexed who, uint256 n)'));
    const ddl = eventTableStatements(
      db,
      'staging',
      spec.table,
      spec.columns.map((c) => ({ name: c.name, type: c.sqlType })),
      undefined,
    );
    for (const statement of ddl) await db.exec(statement);
    // Run again, as ensureEventTables may: nothing changes, nothing fails.
    for (const statement of ddl) await db.exec(statement);
    const target = eventTarget(db.schemas, spec);
    const rows = [999_999, 1_000_000].map((n) => [9, n, hash(`b${n}`), 0, hash(`t${n}`), 0, '0xe', NOW, '0xa', '5']);
    const load = () =>
      runner().run({ stream: 'test.events' }, { job: 'test' }, (session) =>
        session.commit({ writes: [{ target, rows }], extracted: 2 }).then(() => undefined),
      );
    expect((await load()).rowsLoaded).toBe(2);
    expect((await load()).rowsLoaded).toBe(0);
    expect(await placement(db, `staging.${spec.table}`)).toEqual({
      [`staging_partitions.${spec.table}_c9_b0`]: 1,
      [`staging_partitions.${spec.table}_c9_b1000000`]: 1,
    });
  });

  it('behavior: 0012 converts tables that hold rows: same rows, one partition per range, views kept', async () => {
    const other = await openTestDb(engine, { migrate: false });
    try {
      const odb = other.db;
      await odb.exec(`CREATE SCHEMA IF NOT EXISTS etl; CREATE TABLE IF NOT EXISTS etl.schema_migrations (
        name text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
      for (const file of readSqlFiles(migrationsFolder(odb)).filter((f) => f.name < '0012')) {
        await odb.exec(renderSql(file.sql, odb.schemas));
        await odb.query('INSERT INTO etl.schema_migrations (name, checksum) VALUES ($1, $2)', [file.name, 'x']);
      }
      const c = chain(1, 999_998, 1_000_001);
      await odb.writeRows(BLOCKS, c.blocks);
      await odb.writeRows(PRICES, [
        ['bitcoin', 'usd', new Date('2026-01-31T23:59:59Z'), 1],
        ['bitcoin', 'usd', new Date('2026-02-01T00:00:00Z'), 2],
      ]);
      await odb.exec(
        'CREATE VIEW staging.v_prices AS SELECT coin_id, count(*) AS n FROM staging.coingecko_prices GROUP BY 1',
      );
      expect((await migrate(odb)).applied).toContain('0012_partitions.sql');
      expect(await placement(odb, 'staging.evm_blocks')).toEqual({
        'staging_partitions.evm_blocks_c1_b0': 2,
        'staging_partitions.evm_blocks_c1_b1000000': 2,
      });
      expect(await placement(odb, 'staging.coingecko_prices')).toEqual({
        'staging_partitions.coingecko_prices_m202601': 1,
        'staging_partitions.coingecko_prices_m202602': 1,
      });
      const view = await odb.query<{ coin_id: string; n: number | string }>('SELECT coin_id, n FROM staging.v_prices');
      expect(view.map((r) => [r.coin_id, Number(r.n)])).toEqual([['bitcoin', 2]]);
      // A rerun of what the table held adds nothing (its key now holds the block number).
      expect(await odb.writeRows(BLOCKS, c.blocks)).toBe(0);
    } finally {
      await other.close();
    }
  });
});
