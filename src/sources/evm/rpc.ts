import { getHttpRpcClient, type HttpRpcClient } from 'viem/utils';
import { EtlError } from '../../internal/errors.ts';
import { redactUrl } from '../../internal/redact.ts';

/** One JSON-RPC call of a batch. */
export interface RpcCall {
  method: string;
  params: readonly unknown[];
}

/** One node, through viem's HTTP JSON-RPC client. */
export interface RpcEndpoint {
  /** The URL with keys masked, safe for messages and logs. */
  readonly label: string;
  /**
   * Sends the calls as ONE JSON-RPC batch (one HTTP request) and returns their results in call order,
   * matched by id (nodes may answer a batch in any order). The first JSON-RPC error of the batch is thrown
   * as an `RpcRequestError`, so a range is fetched whole or retried whole.
   */
  batch(calls: readonly RpcCall[], signal?: AbortSignal): Promise<unknown[]>;
  /** One call (`eth_chainId`, `eth_blockNumber`), through the same path and errors as a batch. */
  call(method: string, params?: readonly unknown[], signal?: AbortSignal): Promise<unknown>;
}

export interface RpcEndpointOptions {
  /** Per HTTP request. */
  timeoutMs: number;
  /** viem's guard against a runaway response; a range beyond it is split. Default 64 MiB. */
  maxResponseBytes?: number;
}

/**
 * A JSON-RPC error the node answered in a batch, with the fields of viem's error of that name (`code`, `data`,
 * `details`) that `classifyRpcError` reads, and without the URL in its message (it may carry a key).
 */
export class RpcRequestError extends Error {
  override readonly name = 'RpcRequestError';
  readonly code: number | undefined;
  readonly data: unknown;
  readonly details: string;
  constructor(error: { code?: unknown; message?: unknown; data?: unknown }) {
    const details = typeof error.message === 'string' ? error.message : JSON.stringify(error);
    super(`RPC Request failed: ${details}`);
    this.code = typeof error.code === 'number' ? error.code : undefined;
    this.data = error.data;
    this.details = details;
  }
}

/**
 * Calls go as explicit JSON-RPC batches on viem's HTTP client rather than through a viem public client and its
 * tick-based batch scheduler, because a provider that refuses a batch's size must be answered by splitting that
 * very batch, which the scheduler hides; and `viem/utils` is half the modules of `viem` (~0.1 s of start-up).
 * viem retries nothing here: `withRpcRetry` applies one policy (rate limits waited out, sizes split, dropped
 * connections retried) to every call.
 */
export function createRpcEndpoint(url: string, options: RpcEndpointOptions): RpcEndpoint {
  const maxResponseBodySize = options.maxResponseBytes ?? 64 * 1024 * 1024;
  const rpc: HttpRpcClient = getHttpRpcClient(url, { timeout: options.timeoutMs, maxResponseBodySize });
  let nextId = 1;

  async function batch(calls: readonly RpcCall[], signal?: AbortSignal): Promise<unknown[]> {
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
      if (reply.error) throw new RpcRequestError(reply.error);
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
  }

  return {
    label: redactUrl(url),
    batch,
    async call(method, params = [], signal) {
      const [result] = await batch([{ method, params }], signal);
      return result;
    },
  };
}

/**
 * A JSON-RPC quantity (`0x` and hex digits) as a number. Anything else (null, a missing result, a decimal string) is
 * a malformed answer, not block 0: `Number(null)` would make a broken node's head 0 and a run "succeed" with nothing.
 */
export function quantity(value: unknown, what: string): number {
  // 13 hex digits stay below 2^53: every real chain id and block height.
  if (typeof value === 'string' && /^0x[0-9a-fA-F]{1,13}$/.test(value)) return Number(value);
  throw new EtlError(
    'ETL_UPSTREAM_MALFORMED',
    `The node answered ${what} with ${JSON.stringify(value) ?? 'nothing'}, not a hex quantity`,
    {
      details: {
        hint: 'check EVM_RPC_URLS: the node or the proxy in front of it is not answering JSON-RPC as a node does',
      },
    },
  );
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
