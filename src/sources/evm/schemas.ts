import { z } from 'zod';

/**
 * The node's JSON, as the execution-apis spec and the ETL reference describe it: quantities are 0x-hex
 * without leading zeros, data and hashes fixed-length hex. Fork-dependent fields (baseFeePerGas, withdrawals,
 * blob fields, requestsHash) and provider extras (blockTimestamp) are optional. Unknown fields are ignored.
 */
const quantity = z.string().regex(/^0x[0-9a-fA-F]{1,64}$/, 'expected a hex quantity such as 0x1a');
const data = z.string().regex(/^0x([0-9a-fA-F]{2})*$/, 'expected 0x-prefixed hex bytes');
const hash = z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'expected a 32-byte hex hash');
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'expected a 20-byte hex address');

export const rawBlockSchema = z.object({
  number: quantity,
  hash,
  parentHash: hash,
  timestamp: quantity,
  miner: address,
  gasLimit: quantity,
  gasUsed: quantity,
  baseFeePerGas: quantity.optional(),
  difficulty: quantity.optional(),
  totalDifficulty: quantity.nullish(),
  size: quantity.optional(),
  extraData: data,
  nonce: data.nullish(),
  mixHash: hash.optional(),
  sha3Uncles: hash,
  stateRoot: hash,
  transactionsRoot: hash,
  receiptsRoot: hash,
  logsBloom: data,
  withdrawalsRoot: hash.optional(),
  withdrawals: z.array(z.unknown()).optional(),
  blobGasUsed: quantity.optional(),
  excessBlobGas: quantity.optional(),
  parentBeaconBlockRoot: hash.optional(),
  requestsHash: hash.optional(),
  uncles: z.array(hash),
  transactions: z.array(z.unknown()),
});

export const rawTransactionSchema = z.object({
  hash,
  blockHash: hash,
  blockNumber: quantity,
  transactionIndex: quantity,
  from: address,
  to: address.nullable(),
  value: quantity,
  gas: quantity,
  gasPrice: quantity.optional(),
  maxFeePerGas: quantity.optional(),
  maxPriorityFeePerGas: quantity.optional(),
  maxFeePerBlobGas: quantity.optional(),
  nonce: quantity,
  input: data,
  type: quantity.optional(),
  chainId: quantity.optional(),
  v: quantity.optional(),
  r: quantity.optional(),
  s: quantity.optional(),
  yParity: quantity.optional(),
  accessList: z.array(z.unknown()).optional(),
  blobVersionedHashes: z.array(hash).optional(),
  authorizationList: z.array(z.unknown()).optional(),
});

export const rawLogSchema = z.object({
  address,
  topics: z.array(hash).max(4),
  data,
  logIndex: quantity,
  transactionIndex: quantity,
  transactionHash: hash,
  blockHash: hash,
  blockNumber: quantity,
});

export const rawReceiptSchema = z.object({
  transactionHash: hash,
  transactionIndex: quantity,
  blockHash: hash,
  blockNumber: quantity,
  from: address,
  to: address.nullable(),
  contractAddress: address.nullish(),
  cumulativeGasUsed: quantity,
  gasUsed: quantity,
  effectiveGasPrice: quantity.optional(),
  // Pre-Byzantium receipts carry the state `root` instead of a status.
  status: quantity.optional(),
  root: data.optional(),
  type: quantity.optional(),
  blobGasUsed: quantity.optional(),
  blobGasPrice: quantity.optional(),
  logs: z.array(z.unknown()),
});

export type RawBlock = z.infer<typeof rawBlockSchema>;
export type RawTransaction = z.infer<typeof rawTransactionSchema>;
export type RawReceipt = z.infer<typeof rawReceiptSchema>;
export type RawLog = z.infer<typeof rawLogSchema>;
