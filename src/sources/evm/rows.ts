import type { z } from 'zod';
import { EtlError } from '../../internal/errors.ts';
import { columnNames, type RowOf, rowValues } from '../../tables/defineTable.ts';
import { evmBlocks, evmLogs, evmReceipts, evmTransactions } from '../../tables/evm.ts';
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

/** The four EVM staging tables, declared in tables/evm.ts. */
export const EVM_TABLES = {
  blocks: evmBlocks,
  transactions: evmTransactions,
  receipts: evmReceipts,
  logs: evmLogs,
} as const;

export type EvmTable = keyof typeof EVM_TABLES;

/** Staging columns of the four EVM tables, in row order: the declarations'. uint256 values load as decimal. */
export const EVM_COLUMNS = {
  blocks: columnNames(evmBlocks),
  transactions: columnNames(evmTransactions),
  receipts: columnNames(evmReceipts),
  logs: columnNames(evmLogs),
} as const;

/** Natural keys: chain + hash; chain + tx hash (receipts); chain + tx hash + log index (logs). */
export const EVM_KEYS = {
  blocks: evmBlocks.key,
  transactions: evmTransactions.key,
  receipts: evmReceipts.key,
  logs: evmLogs.key,
} as const satisfies Record<EvmTable, readonly string[]>;

// Each row is built as an object of its table's declared columns (tsc fails on one missing) and loads positionally.
const blockValues = rowValues(evmBlocks);
const transactionValues = rowValues(evmTransactions);
const receiptValues = rowValues(evmReceipts);
const logValues = rowValues(evmLogs);

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
    rows.blocks.push(blockValues(blockRow(chainId, block, time)));
    const txs = new Map<string, RawTransaction>();
    block.transactions.forEach((rawTx, j) => {
      const id = String((rawTx as { hash?: unknown } | null)?.hash ?? `at index ${j}`);
      const tx = parse(rawTransactionSchema, rawTx, at(`transaction ${id}`, id));
      txs.set(tx.hash, tx);
      rows.transactions.push(transactionValues(transactionRow(chainId, tx, time)));
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
      rows.receipts.push(receiptValues(receiptRow(chainId, receipt, from, receipt.to ?? tx?.to, time)));
      receipt.logs.forEach((rawLog, k) => {
        const log = parse(rawLogSchema, rawLog, at(`log ${k} of transaction ${id}`, id));
        if (filter === null || filter(log)) rows.logs.push(logValues(logRow(chainId, log, receipt, number, time)));
      });
    }
  });
  const first = range.blocks[0] as { parentHash?: string } | undefined;
  return { from: range.from, to: range.to, hashes, parentHash: first?.parentHash ?? '', rows };
}

function blockRow(chainId: number, b: RawBlock, time: Date): RowOf<typeof evmBlocks> {
  return {
    chain_id: chainId,
    number: Number(b.number),
    hash: b.hash,
    parent_hash: b.parentHash,
    block_time: time,
    miner: lower(b.miner),
    gas_limit: dec(b.gasLimit),
    gas_used: dec(b.gasUsed),
    base_fee_per_gas: decOrNull(b.baseFeePerGas),
    difficulty: decOrNull(b.difficulty),
    total_difficulty: decOrNull(b.totalDifficulty),
    size: decOrNull(b.size),
    extra_data: b.extraData,
    nonce: b.nonce ?? null,
    mix_hash: b.mixHash ?? null,
    sha3_uncles: b.sha3Uncles,
    state_root: b.stateRoot,
    transactions_root: b.transactionsRoot,
    receipts_root: b.receiptsRoot,
    logs_bloom: b.logsBloom,
    withdrawals_root: b.withdrawalsRoot ?? null,
    withdrawals: b.withdrawals ?? null,
    blob_gas_used: decOrNull(b.blobGasUsed),
    excess_blob_gas: decOrNull(b.excessBlobGas),
    parent_beacon_block_root: b.parentBeaconBlockRoot ?? null,
    requests_hash: b.requestsHash ?? null,
    uncles: b.uncles,
    transaction_count: b.transactions.length,
  };
}

function transactionRow(chainId: number, t: RawTransaction, time: Date): RowOf<typeof evmTransactions> {
  return {
    chain_id: chainId,
    hash: t.hash,
    block_number: Number(t.blockNumber),
    block_hash: t.blockHash,
    block_time: time,
    transaction_index: Number(t.transactionIndex),
    from_address: lower(t.from),
    to_address: lower(t.to),
    value: dec(t.value),
    gas: dec(t.gas),
    gas_price: decOrNull(t.gasPrice),
    max_fee_per_gas: decOrNull(t.maxFeePerGas),
    max_priority_fee_per_gas: decOrNull(t.maxPriorityFeePerGas),
    max_fee_per_blob_gas: decOrNull(t.maxFeePerBlobGas),
    nonce: dec(t.nonce),
    input: t.input,
    type: numOrNull(t.type),
    tx_chain_id: decOrNull(t.chainId),
    v: decOrNull(t.v),
    r: t.r ?? null,
    s: t.s ?? null,
    y_parity: numOrNull(t.yParity),
    access_list: t.accessList ?? null,
    blob_versioned_hashes: t.blobVersionedHashes ?? null,
    authorization_list: t.authorizationList ?? null,
  };
}

function receiptRow(
  chainId: number,
  r: RawReceipt,
  from: string,
  to: string | null | undefined,
  time: Date,
): RowOf<typeof evmReceipts> {
  return {
    chain_id: chainId,
    transaction_hash: r.transactionHash,
    block_number: Number(r.blockNumber),
    block_hash: r.blockHash,
    block_time: time,
    transaction_index: Number(r.transactionIndex),
    from_address: lower(from),
    to_address: lower(to),
    contract_address: lower(r.contractAddress),
    cumulative_gas_used: dec(r.cumulativeGasUsed),
    gas_used: dec(r.gasUsed),
    effective_gas_price: decOrNull(r.effectiveGasPrice),
    status: numOrNull(r.status),
    root: r.root ?? null,
    type: numOrNull(r.type),
    blob_gas_used: decOrNull(r.blobGasUsed),
    blob_gas_price: decOrNull(r.blobGasPrice),
    log_count: r.logs.length,
  };
}

function logRow(chainId: number, l: RawLog, r: RawReceipt, blockNumber: number, time: Date): RowOf<typeof evmLogs> {
  return {
    chain_id: chainId,
    transaction_hash: l.transactionHash ?? r.transactionHash,
    log_index: Number(l.logIndex),
    block_number: blockNumber,
    block_hash: l.blockHash ?? r.blockHash,
    block_time: time,
    transaction_index: Number(l.transactionIndex ?? r.transactionIndex),
    address: lower(l.address),
    topic0: l.topics[0] ?? null,
    topic1: l.topics[1] ?? null,
    topic2: l.topics[2] ?? null,
    topic3: l.topics[3] ?? null,
    data: l.data,
  };
}
