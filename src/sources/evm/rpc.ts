import { createPublicClient, http, type PublicClient, RpcRequestError } from 'viem';
import { getHttpRpcClient, type HttpRpcClient } from 'viem/utils';
import { redactUrl } from '../../internal/redact.ts';

/** One JSON-RPC call of a batch. */
export interface RpcCall {
  method: string;
  params: readonly unknown[];
}

/** One node: a viem public client for single calls and viem's HTTP JSON-RPC client for explicit batches. */
export interface RpcEndpoint {
  /** The URL with keys masked, safe for messages and logs. */
  readonly label: string;
  readonly client: PublicClient;
  /**
   * Sends the calls as ONE JSON-RPC batch (one HTTP request) and returns their results in call order,
   * matched by id (nodes may answer a batch in any order). The first JSON-RPC error of the batch is thrown
   * as viem's `RpcRequestError`, so a range is fetched whole or retried whole.
   */
  batch(calls: readonly RpcCall[], signal?: AbortSignal): Promise<unknown[]>;
}

export interface RpcEndpointOptions {
  /** Per HTTP request. */
  timeoutMs: number;
  /** viem's guard against a runaway response; a range beyond it is split. Default 64 MiB. */
  maxResponseBytes?: number;
}

/**
 * Both paths sit on viem's HTTP transport code. Ranges use explicit batches rather than the transport's
 * tick-based batch scheduler because a provider that refuses a batch's size must be answered by splitting
 * that very batch, which the scheduler hides. viem's own retries are off (`retryCount: 0`): `withRpcRetry`
 * applies one policy (rate limits waited out, sizes split, dropped connections retried) to both paths.
 */
export function createRpcEndpoint(url: string, options: RpcEndpointOptions): RpcEndpoint {
  const maxResponseBodySize = options.maxResponseBytes ?? 64 * 1024 * 1024;
  const transport = http(url, { batch: true, retryCount: 0, timeout: options.timeoutMs, maxResponseBodySize });
  const client = createPublicClient({ transport }) as PublicClient;
  const rpc: HttpRpcClient = getHttpRpcClient(url, { timeout: options.timeoutMs, maxResponseBodySize });
  let nextId = 1;

  return {
    label: redactUrl(url),
    client,
    async batch(calls, signal) {
      if (calls.length === 0) return [];
      const first = nextId;
      nextId += calls.length;
      const body = calls.map((c, i) => ({
        jsonrpc: '2.0' as const,
        id: first + i,
        method: c.method,
        params: c.params,
      }));
      const replies = await rpc.request({ body, fetchOptions: signal ? { signal } : undefined });
      const results: unknown[] = new Array(calls.length);
      const seen = new Uint8Array(calls.length);
      let count = 0;
      for (const reply of replies) {
        if (reply.error) throw new RpcRequestError({ body, error: reply.error, url });
        const index = Number(reply.id) - first;
        if (index >= 0 && index < calls.length && seen[index] === 0) {
          seen[index] = 1;
          results[index] = reply.result;
          count++;
        }
      }
      if (count < calls.length) {
        throw new InconsistentReplyError(`the node answered ${count} of the ${calls.length} calls of a batch`);
      }
      return results;
    },
  };
}

/**
 * An answer that cannot be right yet: a batch answered in part, a block the node does not have (a
 * load-balanced provider whose backends lag), receipts of another block than the one fetched beside them
 * (a reorg during the fetch). Worth another try.
 */
export class InconsistentReplyError extends Error {
  override readonly name: string = 'InconsistentReplyError';
}

/**
 * `eth_getTransactionReceipt` answered null for a transaction of a block the node just served: a reorg in
 * between or a backend behind its peers, worth another try — or, when it lasts, a node that no longer indexes
 * the transactions of old blocks (geth keeps its index for the last 2,350,000 blocks by default).
 */
export class MissingReceiptError extends InconsistentReplyError {
  override readonly name = 'MissingReceiptError';
  constructor(
    readonly transaction: string,
    readonly block: number,
  ) {
    super(`eth_getTransactionReceipt answered null for transaction ${transaction} of block ${block}`);
  }
}
