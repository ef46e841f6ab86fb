import { describe, expect, it } from 'vitest';
import { blobReceipt, blobTransaction, cancunBlock, rootReceipt } from '../../../test/fixtures/evmSamples.ts';
import { createLogFilter } from './logFilter.ts';
import { EVM_COLUMNS, type EvmTable, toEvmRows } from './rows.ts';

const CHAIN = 0xc72dd9d5e883e;
const range = (blocks: unknown[], receipts: unknown[][]) => ({ from: 0x2a, to: 0x2a, blocks, receipts });
const named = (table: EvmTable, row: unknown[] | undefined) =>
  Object.fromEntries(EVM_COLUMNS[table].map((c, i) => [c, row?.[i]]));

describe('toEvmRows', () => {
  it('behavior: a Cancun block, its blob transaction and receipt become rows, uint256 in exact decimal', () => {
    const block = { ...cancunBlock, transactions: [blobTransaction] };
    const out = toEvmRows(CHAIN, range([block], [[blobReceipt]]), null, 'node');
    expect(out.rejects).toEqual([]);
    expect(out.hashes).toEqual([cancunBlock.hash]);
    expect(out.parentHash).toBe(cancunBlock.parentHash);
    const b = named('blocks', out.rows.blocks[0]);
    expect(b).toMatchObject({
      chain_id: CHAIN,
      number: 42,
      block_time: new Date(0x1a4 * 1000),
      base_fee_per_gas: 0x813f23b,
      blob_gas_used: 0x20000,
      excess_blob_gas: 0,
      parent_beacon_block_root: cancunBlock.parentBeaconBlockRoot,
      requests_hash: null,
      total_difficulty: null,
      withdrawals: cancunBlock.withdrawals,
      transaction_count: 1,
    });
    const t = named('transactions', out.rows.transactions[0]);
    expect(t).toMatchObject({
      hash: blobTransaction.hash,
      type: 3,
      value: 3,
      nonce: 0xc7,
      max_fee_per_blob_gas: 0x20000,
      blob_versioned_hashes: blobTransaction.blobVersionedHashes,
      access_list: blobTransaction.accessList,
      tx_chain_id: 0xc72dd9d5e883e,
      r: blobTransaction.r,
      y_parity: 1,
      authorization_list: null,
      block_time: new Date(0x1a4 * 1000),
    });
    expect(named('receipts', out.rows.receipts[0])).toMatchObject({
      status: 1,
      root: null,
      blob_gas_price: 1,
      contract_address: null,
      log_count: 1,
    });
    expect(named('logs', out.rows.logs[0])).toMatchObject({
      log_index: 0,
      block_number: 42,
      topic0: blobReceipt.logs[0]?.topics[0],
      topic1: blobReceipt.logs[0]?.topics[1],
      topic2: null,
      topic3: null,
      data: blobReceipt.logs[0]?.data,
    });
  });

  it('behavior: values past 2^53 stay exact as decimal strings', () => {
    const max = `0x${'f'.repeat(64)}`;
    const tx = { ...blobTransaction, value: max, gasPrice: '0x20000000000001' };
    const out = toEvmRows(CHAIN, range([{ ...cancunBlock, transactions: [tx] }], [[blobReceipt]]), null, 'node');
    const t = named('transactions', out.rows.transactions[0]);
    expect(t.value).toBe('115792089237316195423570985008687907853269984665640564039457584007913129639935');
    expect(t.gas_price).toBe('9007199254740993');
  });

  it('behavior: a pre-Byzantium receipt keeps its state root and has no status', () => {
    const out = toEvmRows(CHAIN, range([cancunBlock], [[rootReceipt]]), null, 'node');
    expect(named('receipts', out.rows.receipts[0])).toMatchObject({
      status: null,
      root: rootReceipt.root,
      to_address: null,
    });
  });

  it('behavior: a malformed transaction or log is rejected with its reason; its block-mates load', () => {
    const bad = { ...blobTransaction, hash: '0x1234', value: 'lots' };
    const badLog = { ...blobReceipt.logs[0], logIndex: 'first' };
    const receipt = { ...blobReceipt, logs: [badLog, blobReceipt.logs[0]] };
    const out = toEvmRows(
      CHAIN,
      range([{ ...cancunBlock, transactions: [bad, blobTransaction] }], [[receipt]]),
      null,
      'node',
    );
    expect(out.rows.transactions).toHaveLength(1);
    expect(out.rows.logs).toHaveLength(1);
    expect(out.rejects.map((r) => [r.table, r.reason])).toEqual([
      ['transactions', expect.stringMatching(/hash: expected a 32-byte hex hash; value: expected a hex quantity/)],
      ['logs', expect.stringMatching(/logIndex: expected a hex quantity/)],
    ]);
    expect(out.rejects[0]?.payload).toBe(bad);
  });

  it('error: a malformed block header fails the range, naming the block and the field', () => {
    const { hash: _hash, ...headless } = cancunBlock;
    expect(() => toEvmRows(CHAIN, range([headless], [[]]), null, 'https://node/')).toThrow(
      expect.objectContaining({
        code: 'ETL_UPSTREAM_MALFORMED',
        message: expect.stringMatching(/https:\/\/node\/ returned a malformed block 42 \(hash: .*try another node/),
      }),
    );
  });

  it('behavior: the log filter keeps the listed contracts and event signatures only', () => {
    const log = blobReceipt.logs[0] as (typeof blobReceipt.logs)[0];
    const other = { ...log, address: '0x0000000000000000000000000000000000000001', logIndex: '0x1' };
    const receipt = { ...blobReceipt, logs: [log, other] };
    const keep = (addresses: string[], topics: string[]) =>
      toEvmRows(CHAIN, range([cancunBlock], [[receipt]]), createLogFilter(addresses, topics), 'node').rows.logs.length;
    expect(keep([], [])).toBe(2);
    expect(keep([log.address.toUpperCase().replace('0X', '0x')], [])).toBe(1);
    expect(keep([], [log.topics[0] as string])).toBe(2);
    expect(keep([other.address], [log.topics[1] as string])).toBe(0);
  });

  it('error: a malformed log filter names its variable', () => {
    expect(() => createLogFilter(['0xnope'], [])).toThrow(/EVM_LOG_ADDRESSES \(got "0xnope"\)/);
    expect(() => createLogFilter([], ['0x12'])).toThrow(/EVM_LOG_TOPICS \(got "0x12"\)/);
  });
});
