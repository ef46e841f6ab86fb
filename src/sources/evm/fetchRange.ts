import { isEtlError } from '../../internal/errors.ts';
import type { Logger } from '../../internal/logger.ts';
import type { RawRange } from './rows.ts';
import { InconsistentReplyError, MissingReceiptError, quantity, type RpcCall, type RpcEndpoint } from './rpc.ts';
import { classifyRpcError, describeFailure, type RpcFailureKind } from './rpcErrors.ts';
import { type RetryPolicy, withRpcRetry } from './withRpcRetry.ts';

/** Per-transaction receipt calls per batch, when the node lacks `eth_getBlockReceipts`. */
const RECEIPT_CALLS_PER_BATCH = 500;
/**
 * Failures of `eth_getBlockReceipts` that another try of the same call answers (a dropped connection, a rate
 * limit, a range to split). Any other — -32601 and -32004, but also the -32602, -32000 or 403 of a node or
 * provider that has the method in some form it refuses — switches to per-transaction receipts.
 */
const RETRY_BLOCK_RECEIPTS = new Set<RpcFailureKind>(['transient', 'rate-limited', 'too-large', 'missing-receipt']);

export interface BlockHeader {
  hash: string;
  timestamp: number;
}

export interface RangeFetcher {
  /**
   * Blocks `from`–`to` with full transactions and every block's receipts, checked to be one chain: each
   * block's parent is the previous block and each receipt belongs to the block beside it.
   */
  fetch(from: number, to: number, signal?: AbortSignal): Promise<RawRange>;
  /** The node's current headers of `from`–`to` (missing heights are absent), for the reorg walk and dates. */
  headers(from: number, to: number, signal?: AbortSignal): Promise<Map<number, BlockHeader>>;
  /** The node's head block number, never cached (viem caches it unless told otherwise). */
  head(signal?: AbortSignal): Promise<number>;
}

const hex = (n: number) => `0x${n.toString(16)}`;

/**
 * Fetches ranges of one node. Blocks and receipts go as two parallel batches; receipts by block number,
 * then matched against the blocks' hashes, so a reorg in between is caught and the range refetched. When
 * the node refuses a size (`too-large`), the range is halved and the smaller size kept for later ranges.
 * When `eth_getBlockReceipts` fails other than transiently, receipts are fetched per transaction from then on.
 */
export function createRangeFetcher(options: { endpoint: RpcEndpoint; policy: RetryPolicy; log: Logger }): RangeFetcher {
  const { endpoint, policy, log } = options;
  let blockReceipts = true;
  let maxBlocks = Number.POSITIVE_INFINITY;
  const retry = <T>(what: string, signal: AbortSignal | undefined, fn: () => Promise<T>) =>
    withRpcRetry(fn, { policy, log, label: endpoint.label, what, signal });

  async function receiptsPerTransaction(blocks: readonly unknown[], signal?: AbortSignal): Promise<unknown[][]> {
    const calls: RpcCall[] = [];
    const owner: number[] = [];
    blocks.forEach((block, i) => {
      for (const tx of (block as { transactions: { hash: string }[] }).transactions) {
        calls.push({ method: 'eth_getTransactionReceipt', params: [tx.hash] });
        owner.push(i);
      }
    });
    const out: unknown[][] = blocks.map(() => []);
    for (let start = 0; start < calls.length; start += RECEIPT_CALLS_PER_BATCH) {
      const results = await endpoint.batch(calls.slice(start, start + RECEIPT_CALLS_PER_BATCH), signal);
      results.forEach((receipt, j) => {
        const block = owner[start + j] as number;
        if (receipt == null) {
          const number = Number((blocks[block] as { number?: string }).number);
          throw new MissingReceiptError(calls[start + j]?.params[0] as string, number);
        }
        out[block]?.push(receipt);
      });
    }
    return out;
  }

  async function fetchOnce(from: number, to: number, signal?: AbortSignal): Promise<RawRange> {
    const numbers = Array.from({ length: to - from + 1 }, (_, i) => hex(from + i));
    const blockCalls = numbers.map((n) => ({ method: 'eth_getBlockByNumber', params: [n, true] }));
    let receipts: unknown[] | undefined;
    let blocks: unknown[];
    if (blockReceipts) {
      const receiptCalls = numbers.map((n) => ({ method: 'eth_getBlockReceipts', params: [n] }));
      [blocks, receipts] = await Promise.all([
        endpoint.batch(blockCalls, signal),
        endpoint.batch(receiptCalls, signal).catch((error) => {
          const failure = classifyRpcError(error);
          if (RETRY_BLOCK_RECEIPTS.has(failure.kind)) throw error;
          blockReceipts = false;
          log.info(
            { node: endpoint.label, said: describeFailure(failure) },
            'eth_getBlockReceipts failed: fetching receipts per transaction',
          );
          return undefined;
        }),
      ]);
    } else {
      blocks = await endpoint.batch(blockCalls, signal);
    }
    blocks.forEach((block, i) => {
      if (!block) throw new InconsistentReplyError(`the node does not have block ${from + i} yet`);
    });
    const perBlock = (receipts as unknown[][] | undefined) ?? (await receiptsPerTransaction(blocks, signal));
    checkOneChain(from, blocks, perBlock);
    return { from, to, blocks, receipts: perBlock };
  }

  async function fetchBlocks(from: number, to: number, signal?: AbortSignal): Promise<RawRange> {
    if (to - from + 1 > maxBlocks) return concat(await fetchPieces(from, to, maxBlocks, signal));
    try {
      return await retry(`blocks ${from}–${to}`, signal, () => fetchOnce(from, to, signal));
    } catch (error) {
      if (!isEtlError(error, 'ETL_EVM_RESPONSE_TOO_LARGE') || from === to) throw error;
      const half = Math.ceil((to - from + 1) / 2);
      if (half < maxBlocks) {
        maxBlocks = half;
        log.warn({ node: endpoint.label, blocks: half }, 'the node refused the response size: asking for fewer blocks');
      }
      return concat(await fetchPieces(from, to, half, signal));
    }
  }

  async function fetchPieces(from: number, to: number, size: number, signal?: AbortSignal): Promise<RawRange[]> {
    const pieces: RawRange[] = [];
    for (let start = from; start <= to; start += size)
      pieces.push(await fetchBlocks(start, Math.min(to, start + size - 1), signal));
    return pieces;
  }

  return {
    fetch: fetchBlocks,
    async headers(from, to, signal) {
      const calls = Array.from({ length: to - from + 1 }, (_, i) => ({
        method: 'eth_getBlockByNumber',
        params: [hex(from + i), false],
      }));
      const results = await retry(`headers ${from}–${to}`, signal, () => endpoint.batch(calls, signal));
      const out = new Map<number, BlockHeader>();
      results.forEach((block, i) => {
        const b = block as { hash?: string; timestamp?: string } | null;
        if (b?.hash && b.timestamp) out.set(from + i, { hash: b.hash, timestamp: Number(b.timestamp) });
      });
      return out;
    },
    async head(signal) {
      return quantity(
        await retry('head', signal, () => endpoint.call('eth_blockNumber', [], signal)),
        'eth_blockNumber',
      );
    },
  };
}

function concat(pieces: readonly RawRange[]): RawRange {
  return {
    from: pieces[0]?.from ?? 0,
    to: pieces.at(-1)?.to ?? -1,
    blocks: pieces.flatMap((p) => p.blocks),
    receipts: pieces.flatMap((p) => p.receipts),
  };
}

type Linked = { number?: string; hash?: string; parentHash?: string; transactions?: { hash?: string }[] };

/**
 * Blocks fetched in one batch and receipts fetched in another describe one chain only if each block's parent
 * is the block before it and every transaction has its receipt from that very block. Extra receipts are
 * allowed: Polygon lists its state-sync receipt without a matching transaction.
 */
function checkOneChain(from: number, blocks: readonly unknown[], receipts: readonly unknown[][]): void {
  blocks.forEach((raw, i) => {
    const block = raw as Linked;
    const previous = blocks[i - 1] as Linked | undefined;
    if (Number(block.number) !== from + i)
      throw new InconsistentReplyError(`asked block ${from + i}, got ${block.number}`);
    if (previous && block.parentHash !== previous.hash) {
      throw new InconsistentReplyError(`block ${from + i} does not follow block ${from + i - 1}: the chain moved`);
    }
    const list = receipts[i];
    if (!Array.isArray(list)) throw new InconsistentReplyError(`no receipts for block ${from + i} yet`);
    const byTx = new Set<string | undefined>();
    for (const r of list as { blockHash?: string; transactionHash?: string }[]) {
      if (r?.blockHash !== block.hash) {
        throw new InconsistentReplyError(`receipts of block ${from + i} belong to another block: the chain moved`);
      }
      byTx.add(r.transactionHash);
    }
    for (const tx of block.transactions ?? []) {
      if (!byTx.has(tx.hash))
        throw new InconsistentReplyError(`transaction ${tx.hash} of block ${from + i} has no receipt`);
    }
  });
}
