import { defineTable } from './defineTable.ts';

// Hashes, addresses and bytes are lowercase 0x-hex text; uint64 quantities (gas, nonces, sizes) bigint; uint256 ones
// (wei, fees, difficulty) uint256. Block tables are range-partitioned by (chain_id, block number) on PostgreSQL.
const text = { type: 'text' } as const;
const optionalText = { type: 'text', nullable: true } as const;
const uint256 = { type: 'uint256' } as const;
const optionalUint256 = { type: 'uint256', nullable: true } as const;
const bigint = { type: 'bigint' } as const;
const optionalBigint = { type: 'bigint', nullable: true } as const;
const integer = { type: 'integer' } as const;
const optionalSmallint = { type: 'smallint', nullable: true } as const;
const time = { type: 'timestamptz' } as const;
const optionalJson = { type: 'json', nullable: true } as const;
/** Where a transaction, receipt or log sits: its block and its index in it (in the migrations' column order). */
const inBlock = {
  block_number: bigint,
  block_hash: text,
  block_time: time,
  transaction_index: integer,
} as const;

/** Blocks of the canonical chain, one per (chain, height); an orphaned block is deleted with all it held. */
export const evmBlocks = defineTable({
  name: 'evm_blocks',
  columns: {
    chain_id: bigint,
    number: bigint,
    hash: text,
    parent_hash: text,
    block_time: time,
    miner: text,
    gas_limit: bigint,
    gas_used: bigint,
    base_fee_per_gas: optionalUint256,
    difficulty: optionalUint256,
    total_difficulty: optionalUint256,
    size: optionalBigint,
    extra_data: text,
    nonce: optionalText,
    mix_hash: optionalText,
    sha3_uncles: text,
    state_root: text,
    transactions_root: text,
    receipts_root: text,
    logs_bloom: text,
    withdrawals_root: optionalText,
    withdrawals: optionalJson,
    blob_gas_used: optionalBigint,
    excess_blob_gas: optionalBigint,
    parent_beacon_block_root: optionalText,
    requests_hash: optionalText,
    uncles: { type: 'json' },
    transaction_count: integer,
  },
  key: ['chain_id', 'hash'],
  partitionedBy: ['chain_id', 'number'],
});

export const evmTransactions = defineTable({
  name: 'evm_transactions',
  columns: {
    chain_id: bigint,
    hash: text,
    ...inBlock,
    from_address: text,
    to_address: optionalText,
    value: uint256,
    gas: bigint,
    gas_price: optionalUint256,
    max_fee_per_gas: optionalUint256,
    max_priority_fee_per_gas: optionalUint256,
    max_fee_per_blob_gas: optionalUint256,
    nonce: bigint,
    input: text,
    type: optionalSmallint,
    tx_chain_id: optionalUint256,
    v: optionalUint256,
    r: optionalText,
    s: optionalText,
    y_parity: optionalSmallint,
    access_list: optionalJson,
    blob_versioned_hashes: optionalJson,
    authorization_list: optionalJson,
  },
  key: ['chain_id', 'hash'],
  partitionedBy: ['chain_id', 'block_number'],
});

export const evmReceipts = defineTable({
  name: 'evm_receipts',
  columns: {
    chain_id: bigint,
    transaction_hash: text,
    ...inBlock,
    from_address: text,
    to_address: optionalText,
    contract_address: optionalText,
    cumulative_gas_used: bigint,
    gas_used: bigint,
    effective_gas_price: optionalUint256,
    status: optionalSmallint,
    root: optionalText,
    type: optionalSmallint,
    blob_gas_used: optionalBigint,
    blob_gas_price: optionalUint256,
    log_count: integer,
  },
  key: ['chain_id', 'transaction_hash'],
  partitionedBy: ['chain_id', 'block_number'],
});

/** Raw logs (those the log filter keeps); their decoded events go to the evm_event_* tables. */
export const evmLogs = defineTable({
  name: 'evm_logs',
  columns: {
    chain_id: bigint,
    transaction_hash: text,
    log_index: integer,
    ...inBlock,
    address: text,
    topic0: optionalText,
    topic1: optionalText,
    topic2: optionalText,
    topic3: optionalText,
    data: text,
  },
  key: ['chain_id', 'transaction_hash', 'log_index'],
  partitionedBy: ['chain_id', 'block_number'],
});

/** The token list of the evm-events sets, per chain: symbols and decimals for the warehouse's amounts. */
export const evmTokens = defineTable({
  name: 'evm_tokens',
  columns: {
    chain_id: bigint,
    address: text,
    symbol: text,
    decimals: { type: 'smallint' },
  },
  key: ['chain_id', 'address'],
});
