import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { blobReceipt, blobTransaction, cancunBlock } from '../../../test/fixtures/evmSamples.ts';
import { count, type EngineName, openTestDb, POSTGRES_ENGINES, type TestDb } from '../../../test/helpers/databases.ts';
import type { Db } from '../../db/types.ts';
import { evmWrites } from '../../pipeline/evm/evmStore.ts';
import { toEvmRows } from '../../sources/evm/rows.ts';
import { checkEvmBlocks } from './evmBlocks.ts';

const CHAIN = 7;
const hex = (n: number) => `0x${n.toString(16)}`;
const hash = (kind: number, height: number, i = 0) =>
  `0x${kind.toString(16).padStart(8, '0')}${height.toString(16).padStart(8, '0')}${i.toString(16).padStart(48, '0')}`;

/** Blocks `heights`, each with two transactions, their receipts and one log each, as the loader stores them. */
async function storeBlocks(db: Db, heights: number[]) {
  for (const height of heights) {
    const block = hash(1, height);
    const txs = [0, 1].map((i) => ({
      ...blobTransaction,
      hash: hash(2, height, i),
      blockHash: block,
      blockNumber: hex(height),
      transactionIndex: hex(i),
    }));
    const receipts = txs.map((tx) => ({
      ...blobReceipt,
      transactionHash: tx.hash,
      transactionIndex: tx.transactionIndex,
      blockHash: block,
      blockNumber: tx.blockNumber,
      logs: blobReceipt.logs.map((l) => ({ ...l, transactionHash: tx.hash, blockHash: block })),
    }));
    const raw = {
      ...cancunBlock,
      number: hex(height),
      hash: block,
      parentHash: hash(1, height - 1),
      transactions: txs,
    };
    const range = toEvmRows(CHAIN, { from: height, to: height, blocks: [raw], receipts: [receipts] }, null, 'node');
    await db.transaction(async (tx) => {
      for (const { target, rows } of evmWrites(db.schemas, range)) await tx.writeRows(target, rows);
    });
  }
}

describe.each(POSTGRES_ENGINES)('EVM block checks (%s)', (engine) => {
  let testDb: TestDb;
  let db: Db;
  const s = () => db.schemas.staging;
  const results = async (options = {}) =>
    Object.fromEntries((await checkEvmBlocks(db, options)).map((r) => [`${r.check} ${r.subject}`, r]));

  beforeAll(async () => {
    testDb = await openTestDb(engine);
    db = testDb.db;
  });
  beforeEach(async () => {
    await db.exec(`TRUNCATE ${s()}.evm_blocks, ${s()}.evm_transactions, ${s()}.evm_receipts, ${s()}.evm_logs`);
  });
  afterAll(async () => {
    await testDb?.close();
  });

  it('behavior: whole blocks without gaps pass; a chain with no blocks has no result', async () => {
    expect(await checkEvmBlocks(db)).toEqual([]);
    await storeBlocks(db, [10, 11, 12]);
    const by = await results();
    expect(by[`evm_block_contents evm.${CHAIN}`]).toMatchObject({ status: 'passed', value: 0 });
    expect(by[`evm_block_gaps evm.${CHAIN}`]).toMatchObject({
      status: 'passed',
      value: 0,
      details: { first: 10, last: 12, blocks: 3 },
    });
  });

  it('behavior: a block missing a transaction, a receipt or a log fails, each block named with its counts', async () => {
    await storeBlocks(db, [10, 11, 12, 13]);
    await db.query(`DELETE FROM ${s()}.evm_transactions WHERE hash = $1`, [hash(2, 10, 1)]);
    await db.query(`DELETE FROM ${s()}.evm_receipts WHERE transaction_hash = $1`, [hash(2, 11, 0)]);
    await db.query(`DELETE FROM ${s()}.evm_logs WHERE transaction_hash = $1`, [hash(2, 12, 1)]);
    const contents = (await results())[`evm_block_contents evm.${CHAIN}`];
    expect(contents).toMatchObject({ status: 'failed', value: 3 });
    expect(contents?.details?.incompleteBlocks).toEqual([
      { number: 10, hash: hash(1, 10), transactionCount: 2, transactions: 1, receipts: 2, receiptLogs: 2, logs: 2 },
      { number: 11, hash: hash(1, 11), transactionCount: 2, transactions: 2, receipts: 1, receiptLogs: 1, logs: 2 },
      { number: 12, hash: hash(1, 12), transactionCount: 2, transactions: 2, receipts: 2, receiptLogs: 2, logs: 1 },
    ]);
  });

  it('behavior: with a log filter a block may hold fewer logs than its receipts count, never more', async () => {
    await storeBlocks(db, [10]);
    await db.query(`DELETE FROM ${s()}.evm_logs WHERE transaction_hash = $1`, [hash(2, 10, 1)]);
    expect((await results({ logsFiltered: true }))[`evm_block_contents evm.${CHAIN}`]).toMatchObject({
      status: 'passed',
      details: { logsFiltered: true },
    });
    await db.query(`UPDATE ${s()}.evm_receipts SET log_count = 0 WHERE block_number = 10`);
    expect((await results({ logsFiltered: true }))[`evm_block_contents evm.${CHAIN}`]).toMatchObject({
      status: 'failed',
      value: 1,
    });
  });

  it('behavior: transactions, receipts and logs of a block that is not stored fail as rows without their block', async () => {
    await storeBlocks(db, [10, 11]);
    await db.query(`DELETE FROM ${s()}.evm_blocks WHERE number = 11`);
    const by = await results();
    expect(by[`evm_block_contents evm.${CHAIN}`]).toMatchObject({ status: 'failed', value: 1 });
    expect(by[`evm_block_contents evm.${CHAIN}`]?.details?.rowsWithoutBlock).toEqual(
      expect.arrayContaining([
        { table: 'transactions', blockNumber: 11, blockHash: hash(1, 11), rows: 2 },
        { table: 'receipts', blockNumber: 11, blockHash: hash(1, 11), rows: 2 },
        { table: 'logs', blockNumber: 11, blockHash: hash(1, 11), rows: 2 },
      ]),
    );
  });

  it('behavior: heights missing inside a chain’s stored range fail, each gap listed', async () => {
    await storeBlocks(db, [10, 11, 14, 15, 17]);
    expect((await results())[`evm_block_gaps evm.${CHAIN}`]).toMatchObject({
      status: 'failed',
      value: 3,
      details: {
        first: 10,
        last: 17,
        blocks: 5,
        gaps: [
          { after: 11, before: 14 },
          { after: 15, before: 17 },
        ],
      },
    });
  });
});

describe.each(['mysql'] as EngineName[])('EVM block checks (%s)', (engine) => {
  // MySQL/MariaDB holds the EVM tables too (migration mysql/0004); test/evm.e2e.test.ts runs the checks on it with a
  // real chain, a missing block included.
  it('behavior: the EVM tables exist and, with no chain loaded, the checks have nothing to report', async () => {
    const testDb = await openTestDb(engine);
    try {
      expect(await count(testDb.db, `${testDb.db.schemas.staging}.evm_blocks`)).toBe(0);
      expect(await checkEvmBlocks(testDb.db)).toEqual([]);
    } finally {
      await testDb.close();
    }
  });
});
