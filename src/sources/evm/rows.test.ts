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

  it('behavior: an optional field sent as null reads as absent; a receipt without from/to takes the transaction’s', () => {
    const { from: _from, to: _to, ...bare } = blobReceipt;
    const receipt = { ...bare, status: null, effectiveGasPrice: null, blobGasPrice: null, type: null };
    const tx = { ...blobTransaction, chainId: null, yParity: null, accessList: null, maxFeePerBlobGas: null };
    const block = { ...cancunBlock, baseFeePerGas: null, withdrawals: null, requestsHash: null, transactions: [tx] };
    const out = toEvmRows(CHAIN, range([block], [[receipt]]), null, 'node');
    expect(named('blocks', out.rows.blocks[0])).toMatchObject({ base_fee_per_gas: null, withdrawals: null });
    expect(named('transactions', out.rows.transactions[0])).toMatchObject({
      tx_chain_id: null,
      y_parity: null,
      access_list: null,
      max_fee_per_blob_gas: null,
    });
    expect(named('receipts', out.rows.receipts[0])).toMatchObject({
      from_address: blobTransaction.from,
      to_address: blobTransaction.to,
      status: null,
      effective_gas_price: null,
      type: null,
    });
  });

  it.each([
    [
      'a transaction’s value',
      { value: null },
      {},
      {},
      /transaction 0x4bb6fa06\w+ \(value = null: expected a hex quantity/,
    ],
    ['a receipt’s gasUsed', {}, { gasUsed: null }, {}, /receipt of transaction 0x4bb6fa06\w+ \(gasUsed = null: /],
    [
      'a log’s index',
      {},
      {},
      { logIndex: 'first' },
      /log 0 of transaction 0x4bb6\w+ \(logIndex = "first": expected a hex/,
    ],
  ])(
    'error: a malformed record (%s) fails the whole range, naming block, transaction, field and value',
    (_name, txPatch, receiptPatch, logPatch, message) => {
      const tx = { ...blobTransaction, ...txPatch };
      const receipt = { ...blobReceipt, ...receiptPatch, logs: [{ ...blobReceipt.logs[0], ...logPatch }] };
      const fail = () => toEvmRows(CHAIN, range([{ ...cancunBlock, transactions: [tx] }], [[receipt]]), null, 'node');
      expect(fail).toThrow(
        expect.objectContaining({ code: 'ETL_UPSTREAM_MALFORMED', message: expect.stringMatching(message) }),
      );
      expect(fail).toThrow(/node returned block 42 with a malformed .*nothing of blocks 42–42 was written/);
    },
  );

  it('error: a required field that is absent is named as missing', () => {
    const { gasUsed: _gasUsed, ...receipt } = blobReceipt;
    const block = { ...cancunBlock, transactions: [blobTransaction] };
    expect(() => toEvmRows(CHAIN, range([block], [[receipt]]), null, 'node')).toThrow(
      expect.objectContaining({
        details: expect.objectContaining({
          block: 42,
          transaction: blobTransaction.hash,
          fields: [{ field: 'gasUsed', value: 'missing', problem: 'expected a hex quantity such as 0x1a' }],
        }),
      }),
    );
  });

  it('error: a malformed block header fails the range, naming the block and the field', () => {
    const { hash: _hash, ...headless } = cancunBlock;
    expect(() => toEvmRows(CHAIN, range([headless], [[]]), null, 'https://node/')).toThrow(
      expect.objectContaining({
        code: 'ETL_UPSTREAM_MALFORMED',
        message: expect.stringMatching(/https:\/\/node\/ returned block 42 with a malformed header \(hash = missing: /),
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
