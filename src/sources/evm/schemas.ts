import { z } from 'zod';

/**
 * The node's JSON as the execution-apis spec defines it, read liberally: quantities are 0x-hex (leading zeros
 * allowed), data and hashes fixed-length hex, and an optional field that is `null` means the same as one that is
 * absent — geth omits what Parity/OpenEthereum sends as `null` (`chainId` of a legacy transaction, `status` of a
 * pre-Byzantium receipt). Fork-dependent fields (baseFeePerGas, withdrawals, blob fields, requestsHash), fields
 * older nodes lack (a receipt's `from`, `to`, `effectiveGasPrice`, `type`) and client extras (blockTimestamp,
 * Parity's `publicKey`/`raw`/`creates`, Besu's `revertReason`) are optional; unknown fields are ignored.
 * What the spec requires and the rows cannot do without (a transaction's `value`, a receipt's `gasUsed`) stays
 * required: null there is malformed.
 */
/** A hex string; the same words whether the value is of another type (null) or of another form. */
const hex = (pattern: RegExp, expected: string) => z.string({ error: expected }).regex(pattern, expected);
const quantity = hex(/^0x[0-9a-fA-F]{1,64}$/, 'expected a hex quantity such as 0x1a');
const data = hex(/^0x([0-9a-fA-F]{2})*$/, 'expected 0x-prefixed hex bytes');
const hash = hex(/^0x[0-9a-fA-F]{64}$/, 'expected a 32-byte hex hash');
const address = hex(/^0x[0-9a-fA-F]{40}$/, 'expected a 20-byte hex address');
const list = z.array(z.unknown());

export const rawBlockSchema = z.object({
  number: quantity,
  hash,
  parentHash: hash,
  timestamp: quantity,
  miner: address,
  gasLimit: quantity,
  gasUsed: quantity,
  baseFeePerGas: quantity.nullish(),
  difficulty: quantity.nullish(),
  totalDifficulty: quantity.nullish(),
  size: quantity.nullish(),
  extraData: data,
  nonce: data.nullish(),
  mixHash: hash.nullish(),
  sha3Uncles: hash,
  stateRoot: hash,
  transactionsRoot: hash,
  receiptsRoot: hash,
  logsBloom: data,
  withdrawalsRoot: hash.nullish(),
  withdrawals: list.nullish(),
  blobGasUsed: quantity.nullish(),
  excessBlobGas: quantity.nullish(),
  parentBeaconBlockRoot: hash.nullish(),
  requestsHash: hash.nullish(),
  uncles: z.array(hash),
  transactions: list,
});

export const rawTransactionSchema = z.object({
  hash,
  blockHash: hash,
  blockNumber: quantity,
  transactionIndex: quantity,
  from: address,
  // null for a contract creation
  to: address.nullish(),
  value: quantity,
  gas: quantity,
  gasPrice: quantity.nullish(),
  maxFeePerGas: quantity.nullish(),
  maxPriorityFeePerGas: quantity.nullish(),
  maxFeePerBlobGas: quantity.nullish(),
  nonce: quantity,
  input: data,
  type: quantity.nullish(),
  chainId: quantity.nullish(),
  v: quantity.nullish(),
  r: quantity.nullish(),
  s: quantity.nullish(),
  yParity: quantity.nullish(),
  accessList: list.nullish(),
  blobVersionedHashes: z.array(hash).nullish(),
  authorizationList: list.nullish(),
});

/** A log inside a receipt: where it sits (block, transaction) may be left to the receipt around it. */
export const rawLogSchema = z.object({
  address,
  topics: z.array(hash).max(4),
  data,
  logIndex: quantity,
  transactionIndex: quantity.nullish(),
  transactionHash: hash.nullish(),
  blockHash: hash.nullish(),
  blockNumber: quantity.nullish(),
});

export const rawReceiptSchema = z.object({
  transactionHash: hash,
  transactionIndex: quantity,
  blockHash: hash,
  blockNumber: quantity,
  // Parity/OpenEthereum sends neither: both are the transaction's.
  from: address.nullish(),
  to: address.nullish(),
  contractAddress: address.nullish(),
  cumulativeGasUsed: quantity,
  gasUsed: quantity,
  effectiveGasPrice: quantity.nullish(),
  // Pre-Byzantium receipts carry the state `root` instead of a status.
  status: quantity.nullish(),
  root: data.nullish(),
  type: quantity.nullish(),
  blobGasUsed: quantity.nullish(),
  blobGasPrice: quantity.nullish(),
  logs: list,
});

export type RawBlock = z.infer<typeof rawBlockSchema>;
export type RawTransaction = z.infer<typeof rawTransactionSchema>;
export type RawReceipt = z.infer<typeof rawReceiptSchema>;
export type RawLog = z.infer<typeof rawLogSchema>;
