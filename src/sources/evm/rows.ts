import type { z } from 'zod';
import { EtlError } from '../../internal/errors.ts';
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

export interface EvmRows {
  from: number;
  to: number;
  /** Block hashes in height order: the canonical chain of this range. */
  hashes: string[];
  parentHash: string;
  rows: Record<EvmTable, unknown[][]>;
}

/** A quantity as a JS number when it is exact (≤ 52 bits), else its decimal string: both load as numeric. */
function dec(hex: string): number | string {
  return hex.length <= 15 ? Number(hex) : BigInt(hex).toString();
}
const decOrNull = (hex: string | null | undefined) => (hex == null ? null : dec(hex));
const numOrNull = (hex: string | null | undefined) => (hex == null ? null : Number(hex));
const lower = (a: string | null | undefined) => (a == null ? null : a.toLowerCase());

/** Where a record sits, for the message of a malformed one. */
interface Place {
  node: string;
  range: RawRange;
  block: number;
  /** `transaction 0x…`, `receipt of transaction 0x…`, `log 3 of transaction 0x…`, `header`. */
  record: string;
  transaction?: string;
}

/** `value = null: expected a hex quantity such as 0x1a` for each failing field, with the raw value received. */
function describeFields(error: z.ZodError, payload: unknown): { field: string; value: string; problem: string }[] {
  return error.issues.map((issue) => {
    let value: unknown = payload;
    for (const key of issue.path) value = (value as Record<PropertyKey, unknown> | null | undefined)?.[key as never];
    const raw = value === undefined ? 'missing' : JSON.stringify(value);
    return {
      field: issue.path.join('.') || '(record)',
      value: raw.length > 80 ? `${raw.slice(0, 77)}...` : raw,
      problem: issue.message,
    };
  });
}

function malformed(place: Place, fields: { field: string; value: string; problem: string }[]): EtlError {
  const named = fields.map((f) => `${f.field} = ${f.value}: ${f.problem}`).join('; ');
  return new EtlError(
    'ETL_UPSTREAM_MALFORMED',
    `EVM node ${place.node} returned block ${place.block} with a malformed ${place.record} (${named}): a block is stored whole or not at all, so nothing of blocks ${place.range.from}–${place.range.to} was written; point EVM_RPC_URLS at another node or have this one fixed, then rerun`,
    { details: { block: place.block, transaction: place.transaction, record: place.record, fields } },
  );
}

function parse<T>(schema: z.ZodType<T>, payload: unknown, place: () => Place): T {
  const parsed = schema.safeParse(payload);
  if (parsed.success) return parsed.data;
  throw malformed(place(), describeFields(parsed.error, payload));
}

/**
 * Validates a fetched range and turns it into staging rows, whole blocks only: a block is stored with all its
 * transactions, receipts and logs or not at all, so one malformed record — header, transaction, receipt or
 * log — fails the range, naming the block, the transaction, the field and the value the node sent.
 * @throws EtlError `ETL_UPSTREAM_MALFORMED`
 */
export function toEvmRows(chainId: number, range: RawRange, filter: LogFilter, node: string): EvmRows {
  const rows: Record<EvmTable, unknown[][]> = { blocks: [], transactions: [], receipts: [], logs: [] };
  const hashes: string[] = [];
  range.blocks.forEach((rawBlock, i) => {
    const height = range.from + i;
    const at = (record: string, transaction?: string) => () => ({ node, range, block: height, record, transaction });
    const block = parse(rawBlockSchema, rawBlock, at('header'));
    const time = new Date(Number(block.timestamp) * 1000);
    const number = Number(block.number);
    hashes.push(block.hash);
    rows.blocks.push(blockRow(chainId, block, time));
    const txs = new Map<string, RawTransaction>();
    block.transactions.forEach((rawTx, j) => {
      const id = String((rawTx as { hash?: unknown } | null)?.hash ?? `at index ${j}`);
      const tx = parse(rawTransactionSchema, rawTx, at(`transaction ${id}`, id));
      txs.set(tx.hash, tx);
      rows.transactions.push(transactionRow(chainId, tx, time));
    });
    for (const rawReceipt of range.receipts[i] ?? []) {
      const id = String((rawReceipt as { transactionHash?: unknown } | null)?.transactionHash ?? 'unknown');
      const receipt = parse(rawReceiptSchema, rawReceipt, at(`receipt of transaction ${id}`, id));
      const tx = txs.get(receipt.transactionHash);
      const from = receipt.from ?? tx?.from;
      if (!from) {
        const problem = 'expected a 20-byte hex address (the receipt has no transaction in the block to take it from)';
        throw malformed(at(`receipt of transaction ${id}`, id)(), [{ field: 'from', value: 'missing', problem }]);
      }
      rows.receipts.push(receiptRow(chainId, receipt, from, receipt.to ?? tx?.to, time));
      receipt.logs.forEach((rawLog, k) => {
        const log = parse(rawLogSchema, rawLog, at(`log ${k} of transaction ${id}`, id));
        if (filter === null || filter(log)) rows.logs.push(logRow(chainId, log, receipt, number, time));
      });
    }
  });
  const first = range.blocks[0] as { parentHash?: string } | undefined;
  return { from: range.from, to: range.to, hashes, parentHash: first?.parentHash ?? '', rows };
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
    numOrNull(t.type),
    decOrNull(t.chainId),
    decOrNull(t.v),
    t.r ?? null,
    t.s ?? null,
    numOrNull(t.yParity),
    t.accessList ?? null,
    t.blobVersionedHashes ?? null,
    t.authorizationList ?? null,
  ];
}

function receiptRow(
  chainId: number,
  r: RawReceipt,
  from: string,
  to: string | null | undefined,
  time: Date,
): unknown[] {
  return [
    chainId,
    r.transactionHash,
    Number(r.blockNumber),
    r.blockHash,
    time,
    Number(r.transactionIndex),
    lower(from),
    lower(to),
    lower(r.contractAddress),
    dec(r.cumulativeGasUsed),
    dec(r.gasUsed),
    decOrNull(r.effectiveGasPrice),
    numOrNull(r.status),
    r.root ?? null,
    numOrNull(r.type),
    decOrNull(r.blobGasUsed),
    decOrNull(r.blobGasPrice),
    r.logs.length,
  ];
}

function logRow(chainId: number, l: RawLog, r: RawReceipt, blockNumber: number, time: Date): unknown[] {
  return [
    chainId,
    l.transactionHash ?? r.transactionHash,
    Number(l.logIndex),
    blockNumber,
    l.blockHash ?? r.blockHash,
    time,
    Number(l.transactionIndex ?? r.transactionIndex),
    lower(l.address),
    l.topics[0] ?? null,
    l.topics[1] ?? null,
    l.topics[2] ?? null,
    l.topics[3] ?? null,
    l.data,
  ];
}
