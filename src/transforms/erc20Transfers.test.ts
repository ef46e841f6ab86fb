import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { count, openTestDb, POSTGRES_ENGINES, type TestDb } from '../../test/helpers/databases.ts';
import { EVENT_ROLLUPS } from '../jobs/evmEventsJob.ts';
import { ensureEventTables, eventTarget, tokenWrite } from '../pipeline/evm/eventsStore.ts';
import type { EventSpec } from '../sources/evm/events/abi.ts';
import { builtInSets, type ContractSet, parseTokens, specsOf } from '../sources/evm/events/contracts.ts';
import { refreshRollups } from './refreshRollups.ts';

const TOKEN = '0x00000000000000000000000000000000000000aa';
const tokens = parseTokens([`TKN:${TOKEN}:6`]);
const [spec] = specsOf(builtInSets(tokens, '0x9008d19f58aabd9ed0d60971565aa8510560ab41').erc20 as ContractSet) as [
  EventSpec,
];
const hex = (s: string) => `0x${createHash('sha256').update(s).digest('hex')}`;
const addr = (n: number) => `0x${n.toString(16).padStart(40, '0')}`;

/** Two Transfers per block of `from`–`to` on branch `branch` (the block hash), in the column order of the table. */
function transfers(chainId: number, from: number, to: number, branch = 'a'): unknown[][] {
  const rows: unknown[][] = [];
  for (let n = from; n <= to; n++) {
    for (let i = 0; i < 2; i++) {
      const block = hex(`${chainId}:${n}:${branch}`);
      rows.push([
        chainId,
        n,
        block,
        i,
        hex(`${block}:tx${i}`),
        i,
        TOKEN,
        null,
        addr(n),
        addr(i + 1),
        BigInt(n * 1_000_000 + i),
      ]);
    }
  }
  return rows;
}

describe.each(POSTGRES_ENGINES)('erc20_transfers refresh on %s', (engine) => {
  let t: TestDb;
  const heightHashes = async (n: number) =>
    (
      await t.db.query<{ block_hash: string }>(
        'SELECT DISTINCT block_hash FROM warehouse.erc20_transfers WHERE chain_id = 1 AND block_number = $1',
        [n],
      )
    ).map((r) => r.block_hash);
  const write = (rows: unknown[][]) =>
    t.db.transaction(async (tx) => {
      await tx.writeRows(eventTarget(t.db.schemas, spec), rows);
    });
  const replace = (n: number, rows: unknown[][]) =>
    t.db.transaction(async (tx) => {
      await tx.query('DELETE FROM staging.evm_event_erc20_transfer WHERE chain_id = 1 AND block_number = $1', [n]);
      if (rows.length > 0) await tx.writeRows(eventTarget(t.db.schemas, spec), rows);
    });

  beforeAll(async () => {
    t = await openTestDb(engine);
    await t.db.transaction(async (tx) => {
      await ensureEventTables(tx, t.db, [spec]);
      const token = tokenWrite(t.db.schemas, 1, tokens);
      await tx.writeRows(token.target, token.rows);
    });
    await write(transfers(1, 1, 300));
  });
  afterAll(() => t?.close());

  it('behavior: the loaded transfers are added with the token, in token units; a refresh with nothing new changes nothing', async () => {
    expect(await refreshRollups(t.db, EVENT_ROLLUPS)).toEqual(['erc20_transfers']);
    expect(await count(t.db, 'warehouse.erc20_transfers')).toBe(600);
    const [row] = await t.db.query<{ symbol: string; units: string; amount: string }>(
      `SELECT token_symbol AS symbol, amount_units::text AS units, amount::text AS amount
       FROM warehouse.erc20_transfers WHERE block_number = 7 AND log_index = 1`,
    );
    expect(row).toEqual({ symbol: 'TKN', units: '7.000001', amount: '7000001' });
    await refreshRollups(t.db, EVENT_ROLLUPS);
    expect(await count(t.db, 'warehouse.erc20_transfers')).toBe(600);
  });

  it('behavior: a reorg at the head leaves exactly the new branch, also at a height left without transfers', async () => {
    // Blocks 299 and 300 replaced: 299 by another block with transfers, 300 by one without.
    await replace(299, transfers(1, 299, 299, 'b'));
    await replace(300, []);
    await refreshRollups(t.db, EVENT_ROLLUPS);
    expect(await heightHashes(299)).toEqual([hex('1:299:b')]);
    expect(await heightHashes(300)).toEqual([]);
    expect(await count(t.db, 'warehouse.erc20_transfers')).toBe(598);
  });

  it('behavior: a backfill that replaces an old height (below the last 256 blocks) replaces its transfers', async () => {
    await replace(10, transfers(1, 10, 10, 'c'));
    await refreshRollups(t.db, EVENT_ROLLUPS);
    expect(await heightHashes(10)).toEqual([hex('1:10:c')]);
    expect(await count(t.db, 'warehouse.erc20_transfers')).toBe(598);
    // Another chain's rows are not touched by this chain's replacements.
    await write(transfers(2, 10, 12));
    await refreshRollups(t.db, EVENT_ROLLUPS);
    expect(await count(t.db, 'warehouse.erc20_transfers', 'WHERE chain_id = 2')).toBe(6);
    expect(await count(t.db, 'warehouse.erc20_transfers')).toBe(604);
  });
});

describe('erc20_transfers refresh on postgres, at 20,000 rows', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb('postgres');
  });
  afterAll(() => t?.close());

  it('behavior: a refresh with nothing new reads indexes, not the table once per row (it took minutes at this size)', async () => {
    await t.db.transaction(async (tx) => {
      await ensureEventTables(tx, t.db, [spec]);
      await tx.writeRows(eventTarget(t.db.schemas, spec), transfers(1, 1, 10_000));
    });
    await refreshRollups(t.db, EVENT_ROLLUPS);
    expect(await count(t.db, 'warehouse.erc20_transfers')).toBe(20_000);
    // An hour later: the rows are older than the refresh's lookback, none is fresh.
    await t.db.exec("UPDATE staging.evm_event_erc20_transfer SET loaded_at = loaded_at - interval '1 hour'");
    const started = performance.now();
    await refreshRollups(t.db, EVENT_ROLLUPS);
    // Milliseconds now; over a minute before (a generous bound for a loaded machine).
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(await count(t.db, 'warehouse.erc20_transfers')).toBe(20_000);
  });
});

describe.each(POSTGRES_ENGINES)('erc20_transfers refresh on a table partitioned by chain (%s)', (engine) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb(engine);
    await t.db.transaction(async (tx) => {
      await ensureEventTables(tx, t.db, [spec]);
    });
    // An operator's partitioning (the key allows it): a row's ctid is then unique within its partition only.
    await t.db.exec(`
      ALTER TABLE warehouse.erc20_transfers RENAME TO erc20_transfers_plain;
      CREATE TABLE warehouse.erc20_transfers (LIKE warehouse.erc20_transfers_plain INCLUDING DEFAULTS)
        PARTITION BY LIST (chain_id);
      ALTER TABLE warehouse.erc20_transfers ADD PRIMARY KEY (chain_id, block_hash, log_index);
      CREATE INDEX ON warehouse.erc20_transfers (chain_id, block_number);
      CREATE TABLE warehouse.erc20_transfers_1 PARTITION OF warehouse.erc20_transfers FOR VALUES IN (1);
      CREATE TABLE warehouse.erc20_transfers_2 PARTITION OF warehouse.erc20_transfers FOR VALUES IN (2);`);
  });
  afterAll(() => t?.close());

  it('behavior: a reorg on one chain deletes its orphans only, not the rows at the same place in another partition', async () => {
    const target = eventTarget(t.db.schemas, spec);
    await t.db.transaction(async (tx) => {
      await tx.writeRows(target, transfers(1, 1, 3));
      await tx.writeRows(target, transfers(2, 1, 3));
    });
    await refreshRollups(t.db, EVENT_ROLLUPS);
    expect(await count(t.db, 'warehouse.erc20_transfers')).toBe(12);
    // An hour later (past the refresh's lookback, so that nothing of chain 2 is read again), chain 1's block 3 is
    // replaced: its orphans in partition 1 sit at the same ctids as chain 2's block 3 in partition 2.
    await t.db.exec("UPDATE staging.evm_event_erc20_transfer SET loaded_at = loaded_at - interval '1 hour'");
    await t.db.transaction(async (tx) => {
      await tx.query('DELETE FROM staging.evm_event_erc20_transfer WHERE chain_id = 1 AND block_number = 3');
      await tx.writeRows(target, transfers(1, 3, 3, 'b'));
    });
    await refreshRollups(t.db, EVENT_ROLLUPS);
    const hashes = await t.db.query<{ block_hash: string }>(
      'SELECT DISTINCT block_hash FROM warehouse.erc20_transfers WHERE chain_id = 1 AND block_number = 3',
    );
    expect(hashes.map((r) => r.block_hash)).toEqual([hex('1:3:b')]);
    expect(await count(t.db, 'warehouse.erc20_transfers', 'WHERE chain_id = 2')).toBe(6);
    expect(await count(t.db, 'warehouse.erc20_transfers')).toBe(12);
  });
});
