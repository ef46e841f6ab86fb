import { EtlError } from '../../../internal/errors.ts';
import type { Logger } from '../../../internal/logger.ts';
import { InconsistentReplyError, type RpcEndpoint } from '../rpc.ts';
import { classifyRpcError } from '../rpcErrors.ts';
import { type RetryPolicy, withRpcRetry } from '../withRpcRetry.ts';
import type { RawLog } from './decodeLog.ts';
import { type RangeHint, readRangeHint } from './rangeHints.ts';

/** What to ask `eth_getLogs` for: emitters (none: any) and topic0 alternatives. */
export interface LogQuery {
  addresses?: readonly string[];
  topic0: readonly string[];
}

/** The logs of a block range, and the hash of its last block (the next range's reorg check). */
export interface LogRange {
  from: number;
  to: number;
  logs: RawLog[];
  /** The parent hash of block `from`: must be the previous range's `toHash`, or a reorg happened between. */
  parentHash: string;
  toHash: string;
}

export interface LogsFetcher {
  /**
   * Fetches `from`–`to` whole: a range the provider refuses is split, following its hint, and fetched in parts.
   * With `timestamps`, a log the node sent without `blockTimestamp` gets its block's, from the block's header.
   */
  fetch(
    query: LogQuery,
    from: number,
    to: number,
    signal?: AbortSignal,
    options?: { timestamps?: boolean },
  ): Promise<LogRange>;
  /** Blocks per request now: where ranges should be cut. */
  readonly span: number;
  /** Logs expected in `blocks` blocks from the density of the answers so far; undefined before the first answer. */
  expected(blocks: number): number | undefined;
  /** The node's hashes of these heights (one batch); a height the node lacks is absent. */
  hashesAt(heights: readonly number[], signal?: AbortSignal): Promise<Map<number, string>>;
}

export interface LogsFetcherOptions {
  endpoint: RpcEndpoint;
  policy: RetryPolicy;
  log: Logger;
  /** Blocks per request to start with (`EVM_EVENTS_RANGE`). */
  initialSpan: number;
  /** Never more than this many blocks per request. */
  maxSpan?: number;
  /** Logs one answer should hold: the span follows the density of the answers to stay near it. */
  targetLogs?: number;
}

/**
 * Logs per answer aimed at: ~4 MB of JSON, ~10 MB once parsed. The span follows the density of the answers so an
 * answer stays near this size on a sparse set and a dense one alike: memory is bounded by logs, not by blocks.
 */
export const TARGET_LOGS = 5_000;
/** The first request of a run is at most this wide: nothing is known of the set's density yet. */
const PROBE_SPAN = 100;
/** The span grows at most this much per answer (a sparse stretch says little about the next). */
const MAX_GROWTH = 8;
const DEFAULT_MAX_SPAN = 100_000;
/** Headers per batch when timestamps are fetched for logs the node sent without one. */
const HEADER_BATCH = 200;

/** A range the provider refused for its width or its answer's size. An EtlError, so `withRpcRetry` passes it on. */
class RangeRefused extends EtlError {
  constructor(
    readonly hint: RangeHint,
    readonly said: string,
  ) {
    super('ETL_EVM_RESPONSE_TOO_LARGE', `the node refused the range: ${said}`);
  }
}

const hex = (n: number) => `0x${n.toString(16)}`;

interface Header {
  hash?: string;
  parentHash?: string;
  timestamp?: string;
}

/**
 * `eth_getLogs` over adaptive ranges. Each request is one JSON-RPC batch of the logs and the range's last header,
 * so the hash that checks the next range for a reorg comes with the data. On a refusal the span follows the
 * provider's words (`rangeHints.ts`): its suggested range, its cap, or half; after small answers it doubles
 * again, never past a cap a provider named. Rate limits and dropped connections are retried by `withRpcRetry`.
 */
export function createLogsFetcher(options: LogsFetcherOptions): LogsFetcher {
  const { endpoint, policy, log } = options;
  const target = options.targetLogs ?? TARGET_LOGS;
  let cap = options.maxSpan ?? DEFAULT_MAX_SPAN;
  let span = Math.min(cap, options.initialSpan, PROBE_SPAN);
  /** Logs per block of the answers so far (undefined before the first). */
  let density: number | undefined;

  /** After an answer of `count` logs over `blocks` blocks: the span that should hold about `target` logs. */
  function follow(count: number, blocks: number): void {
    const seen = count / blocks;
    // A weighted mean of recent answers: one odd stretch moves it, a lasting change takes it over.
    density = density === undefined ? seen : 0.5 * density + 0.5 * seen;
    const wanted = density > 0 ? Math.floor(target / density) : Number.POSITIVE_INFINITY;
    // Shrinks at once after a dense answer; grows at most MAX_GROWTH-fold per answer.
    span = Math.max(1, Math.min(cap, wanted, Math.max(span, blocks) * MAX_GROWTH));
  }

  /** Fills in `blockTimestamp` of logs that lack it, from their blocks' headers (checked against the logs' hashes). */
  async function addTimestamps(logs: RawLog[], signal?: AbortSignal): Promise<void> {
    const missing = [...new Set(logs.filter((l) => !l.blockTimestamp).map((l) => Number(l.blockNumber)))];
    const at = new Map<number, Header>();
    for (let i = 0; i < missing.length; i += HEADER_BATCH) {
      const heights = missing.slice(i, i + HEADER_BATCH);
      const headers = (await endpoint.batch(
        heights.map((n) => ({ method: 'eth_getBlockByNumber', params: [hex(n), false] })),
        signal,
      )) as (Header | null)[];
      heights.forEach((n, k) => {
        const header = headers[k];
        if (header) at.set(n, header);
      });
    }
    for (const item of logs) {
      if (item.blockTimestamp) continue;
      const header = at.get(Number(item.blockNumber));
      if (!header?.timestamp || header.hash?.toLowerCase() !== item.blockHash?.toLowerCase()) {
        throw new InconsistentReplyError(
          `the header of block ${Number(item.blockNumber)} is not the block of its logs (a reorg during the request)`,
        );
      }
      item.blockTimestamp = header.timestamp;
    }
  }

  async function once(query: LogQuery, from: number, to: number, signal?: AbortSignal, timestamps = false) {
    const filter: Record<string, unknown> = { fromBlock: hex(from), toBlock: hex(to), topics: [query.topic0] };
    if (query.addresses && query.addresses.length > 0) filter.address = query.addresses;
    try {
      const [logs, first, last] = (await endpoint.batch(
        [
          { method: 'eth_getLogs', params: [filter] },
          { method: 'eth_getBlockByNumber', params: [hex(from), false] },
          { method: 'eth_getBlockByNumber', params: [hex(to), false] },
        ],
        signal,
      )) as [RawLog[] | null, Header | null, Header | null];
      if (!first?.hash || !last?.hash) throw new InconsistentReplyError(`the node has no block ${to} yet`);
      const toHash = last.hash.toLowerCase();
      const fromHash = first.hash.toLowerCase();
      // Logs of another branch than the headers beside them: a reorg during the request; asked again.
      for (const item of logs ?? []) {
        const n = Number(item.blockNumber);
        const hash = item.blockHash?.toLowerCase();
        if ((n === to && hash !== toHash) || (n === from && hash !== fromHash)) {
          throw new InconsistentReplyError(
            `logs of block ${n} name another block than its header (a reorg during the request)`,
          );
        }
      }
      if (timestamps && logs?.some((l) => !l.blockTimestamp)) await addTimestamps(logs, signal);
      return { logs: logs ?? [], parentHash: (first.parentHash ?? '').toLowerCase(), toHash };
    } catch (error) {
      if (error instanceof EtlError) throw error;
      const failure = classifyRpcError(error);
      const hint =
        readRangeHint(failure.said) ??
        (failure.kind === 'too-large' ? { kind: 'halve' as const, provider: 'node' } : undefined);
      if (hint) throw new RangeRefused(hint, failure.said);
      throw error;
    }
  }

  function narrow(hint: RangeHint, tried: number): void {
    if (hint.kind === 'cap') cap = Math.min(cap, hint.blocks);
    const next = hint.kind === 'halve' ? Math.floor(tried / 2) : hint.blocks;
    span = Math.max(1, Math.min(cap, next, tried - 1));
  }

  return {
    get span() {
      return span;
    },
    expected(blocks) {
      return density === undefined ? undefined : Math.ceil(density * blocks);
    },
    async fetch(query, from, to, signal, fetchOptions) {
      const timestamps = fetchOptions?.timestamps === true;
      const logs: RawLog[] = [];
      let toHash = '';
      let parentHash = '';
      for (let start = from; start <= to; ) {
        const end = Math.min(to, start + span - 1);
        const what = `eth_getLogs blocks ${start}–${end}`;
        try {
          const part = await withRpcRetry(() => once(query, start, end, signal, timestamps), {
            policy,
            log,
            label: endpoint.label,
            what,
            signal,
          });
          if (start === from) parentHash = part.parentHash;
          else if (part.parentHash !== toHash) {
            // The chain moved under a split range: its parts are of two branches. The whole range is asked again.
            logs.length = 0;
            start = from;
            continue;
          }
          for (const item of part.logs) logs.push(item);
          toHash = part.toHash;
          follow(part.logs.length, end - start + 1);
          start = end + 1;
        } catch (error) {
          if (!(error instanceof RangeRefused)) throw error;
          if (end === start) {
            throw new EtlError(
              'ETL_EVM_RESPONSE_TOO_LARGE',
              `EVM node ${endpoint.label} (${what}) refuses the logs of a single block (${error.said}): use a node with a larger response limit`,
            );
          }
          narrow(error.hint, end - start + 1);
          log.info(
            { node: endpoint.label, what, said: error.said, provider: error.hint.provider, span },
            'eth_getLogs range narrowed',
          );
        }
      }
      return { from, to, logs, parentHash, toHash };
    },
    async hashesAt(heights, signal) {
      const headers = (await withRpcRetry(
        () =>
          endpoint.batch(
            heights.map((n) => ({ method: 'eth_getBlockByNumber', params: [hex(n), false] })),
            signal,
          ),
        { policy, log, label: endpoint.label, what: `${heights.length} block headers`, signal },
      )) as (Header | null)[];
      const out = new Map<number, string>();
      heights.forEach((n, i) => {
        const hash = headers[i]?.hash;
        if (hash) out.set(n, hash.toLowerCase());
      });
      return out;
    },
  };
}
