import type { z } from 'zod';
import { EtlError } from '../../internal/errors.ts';
import { describeIssues } from '../../pipeline/rejects.ts';
import type { LogFilter } from './logFilter.ts';
import {
  type RawBlock,
  type RawLog,
  type RawReceipt,
  type RawTransaction,
  rawBlockSchema,
  rawLogSchema,
  rawReceiptSchema,
  rawTransactionSchema,
} from './schemas.ts';

/** Staging columns of the four EVM tables, in row order. uint256 values are numeric(78,0) in decimal. */
export const EVM_COLUMNS = {
  blocks: [
    'chain_id',
    'number',
    'hash',
    'parent_hash',
    'block_time',
    'miner',
    'gas_limit',
    'gas_used',
    'base_fee_per_gas',
    'difficulty',
    'total_difficulty',
    'size',
    'extra_data',
    'nonce',
    'mix_hash',
    'sha3_uncles',
    'state_root',
    'transactions_root',
    'receipts_root',
    'logs_bloom',
    'withdrawals_root',
    'withdrawals',
    'blob_gas_used',
    'excess_blob_gas',
    'parent_beacon_block_root',
    'requests_hash',
    'uncles',
    'transaction_count',
  ],
  transactions: [
    'chain_id',
    'hash',
    'block_number',
    'block_hash',
    'block_time',
    'transaction_index',
    'from_address',
    'to_address',
    'value',
    'gas',
    'gas_price',
    'max_fee_per_gas',
    'max_priority_fee_per_gas',
    'max_fee_per_blob_gas',
    'nonce',
    'input',
    'type',
    'tx_chain_id',
    'v',
    'r',
    's',
    'y_parity',
    'access_list',
    'blob_versioned_hashes',
    'authorization_list',
  ],
  receipts: [
    'chain_id',
    'transaction_hash',
    'block_number',
    'block_hash',
    'block_time',
    'transaction_index',
    'from_address',
    'to_address',
    'contract_address',
    'cumulative_gas_used',
    'gas_used',
    'effective_gas_price',
    'status',
    'root',
    'type',
    'blob_gas_used',
    'blob_gas_price',
    'log_count',
  ],
  logs: [
    'chain_id',
    'transaction_hash',
    'log_index',
    'block_number',
    'block_hash',
    'block_time',
    'transaction_index',
    'address',
    'topic0',
    'topic1',
    'topic2',
    'topic3',
    'data',
  ],
} as const;

export type EvmTable = keyof typeof EVM_COLUMNS;

/** Natural keys: chain + hash; chain + tx hash (receipts); chain + tx hash + log index (logs). */
export const EVM_KEYS: Record<EvmTable, readonly string[]> = {
  blocks: ['chain_id', 'hash'],
  transactions: ['chain_id', 'hash'],
  receipts: ['chain_id', 'transaction_hash'],
  logs: ['chain_id', 'transaction_hash', 'log_index'],
};

/** What one range of blocks fetched from a node holds: per block, its receipts. */
export interface RawRange {
  from: number;
  to: number;
  blocks: readonly unknown[];
  receipts: readonly (readonly unknown[])[];
}

export interface EvmReject {
  table: EvmTable;
  reason: string;
  payload: unknown;
}

export interface EvmRows {
  from: number;
  to: number;
  /** Block hashes in height order: the canonical chain of this range. */
  hashes: string[];
  parentHash: string;
  rows: Record<EvmTable, unknown[][]>;
  rejects: EvmReject[];
}

/** A quantity as a JS number when it is exact (≤ 52 bits), else its decimal string: both load as numeric. */
function dec(hex: string): number | string {
  return hex.length <= 15 ? Number(hex) : BigInt(hex).toString();
}
const decOrNull = (hex: string | null | undefined) => (hex == null ? null : dec(hex));
const lower = (a: string | null | undefined) => (a == null ? null : a.toLowerCase());

/**
 * Validates a fetched range record by record and turns it into staging rows. A transaction, receipt or log
 * that fails its schema becomes a reject and the rest load; a malformed block header cannot be skipped
 * (the chain would have a hole), so it fails the range.
 */
export function toEvmRows(chainId: number, range: RawRange, filter: LogFilter, node: string): EvmRows {
  const rows: Record<EvmTable, unknown[][]> = { blocks: [], transactions: [], receipts: [], logs: [] };
  const rejects: EvmReject[] = [];
  const hashes: string[] = [];
  const check = <T>(table: EvmTable, schema: z.ZodType<T>, payload: unknown): T | undefined => {
    const parsed = schema.safeParse(payload);
    if (parsed.success) return parsed.data;
    rejects.push({ table, reason: describeIssues(parsed.error), payload });
    return undefined;
  };
  range.blocks.forEach((rawBlock, i) => {
    const parsed = rawBlockSchema.safeParse(rawBlock);
    if (!parsed.success) {
      throw new EtlError(
        'ETL_UPSTREAM_MALFORMED',
        `EVM node ${node} returned a malformed block ${range.from + i} (${describeIssues(parsed.error)}): it cannot be loaded with a hole in the chain; try another node`,
        { details: { block: range.from + i } },
      );
    }
    const block = parsed.data;
    const time = new Date(Number(block.timestamp) * 1000);
    const number = Number(block.number);
    hashes.push(block.hash);
    rows.blocks.push(blockRow(chainId, block, time));
    for (const rawTx of block.transactions) {
      const tx = check('transactions', rawTransactionSchema, rawTx);
      if (tx) rows.transactions.push(transactionRow(chainId, tx, time));
    }
    for (const rawReceipt of range.receipts[i] ?? []) {
      const receipt = check('receipts', rawReceiptSchema, rawReceipt);
      if (!receipt) continue;
      rows.receipts.push(receiptRow(chainId, receipt, time));
      for (const rawLog of receipt.logs) {
        const log = check('logs', rawLogSchema, rawLog);
        if (log && (filter === null || filter(log))) rows.logs.push(logRow(chainId, log, number, time));
      }
    }
  });
  const first = range.blocks[0] as { parentHash?: string } | undefined;
  return { from: range.from, to: range.to, hashes, parentHash: first?.parentHash ?? '', rows, rejects };
}

function blockRow(chainId: number, b: RawBlock, time: Date): unknown[] {
  return [
    chainId,
    Number(b.number),
    b.hash,
    b.parentHash,
    time,
    lower(b.miner),
    dec(b.gasLimit),
    dec(b.gasUsed),
    decOrNull(b.baseFeePerGas),
    decOrNull(b.difficulty),
    decOrNull(b.totalDifficulty),
    decOrNull(b.size),
    b.extraData,
    b.nonce ?? null,
    b.mixHash ?? null,
    b.sha3Uncles,
    b.stateRoot,
    b.transactionsRoot,
    b.receiptsRoot,
    b.logsBloom,
    b.withdrawalsRoot ?? null,
    b.withdrawals ?? null,
    decOrNull(b.blobGasUsed),
    decOrNull(b.excessBlobGas),
    b.parentBeaconBlockRoot ?? null,
    b.requestsHash ?? null,
    b.uncles,
    b.transactions.length,
  ];
}

function transactionRow(chainId: number, t: RawTransaction, time: Date): unknown[] {
  return [
    chainId,
    t.hash,
    Number(t.blockNumber),
    t.blockHash,
    time,
    Number(t.transactionIndex),
    lower(t.from),
    lower(t.to),
    dec(t.value),
    dec(t.gas),
    decOrNull(t.gasPrice),
    decOrNull(t.maxFeePerGas),
    decOrNull(t.maxPriorityFeePerGas),
    decOrNull(t.maxFeePerBlobGas),
    dec(t.nonce),
    t.input,
    t.type === undefined ? null : Number(t.type),
    decOrNull(t.chainId),
    decOrNull(t.v),
    t.r ?? null,
    t.s ?? null,
    t.yParity === undefined ? null : Number(t.yParity),
    t.accessList ?? null,
    t.blobVersionedHashes ?? null,
    t.authorizationList ?? null,
  ];
}

function receiptRow(chainId: number, r: RawReceipt, time: Date): unknown[] {
  return [
    chainId,
    r.transactionHash,
    Number(r.blockNumber),
    r.blockHash,
    time,
    Number(r.transactionIndex),
    lower(r.from),
    lower(r.to),
    lower(r.contractAddress),
    dec(r.cumulativeGasUsed),
    dec(r.gasUsed),
    decOrNull(r.effectiveGasPrice),
    r.status === undefined ? null : Number(r.status),
    r.root ?? null,
    r.type === undefined ? null : Number(r.type),
    decOrNull(r.blobGasUsed),
    decOrNull(r.blobGasPrice),
    r.logs.length,
  ];
}

function logRow(chainId: number, l: RawLog, blockNumber: number, time: Date): unknown[] {
  return [
    chainId,
    l.transactionHash,
    Number(l.logIndex),
    blockNumber,
    l.blockHash,
    time,
    Number(l.transactionIndex),
    lower(l.address),
    l.topics[0] ?? null,
    l.topics[1] ?? null,
    l.topics[2] ?? null,
    l.topics[3] ?? null,
    l.data,
  ];
}
