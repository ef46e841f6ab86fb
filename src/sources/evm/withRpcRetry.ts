import { setTimeout as sleep } from 'node:timers/promises';
import { EtlError } from '../../internal/errors.ts';
import type { Logger } from '../../internal/logger.ts';
import { backoffMs } from '../http/retry.ts';
import { classifyRpcError, describeFailure, type RpcFailure } from './rpcErrors.ts';

export interface RetryPolicy {
  /** Attempts after the first for dropped connections, timeouts and 5xx (`HTTP_MAX_RETRIES`). */
  maxRetries: number;
  /** Base of the jittered exponential backoff. */
  baseMs: number;
  /** How long a rate limit is waited out, in all, before the run fails. Default 5 minutes. */
  rateLimitPatienceMs: number;
}

export interface RetryContext {
  policy: RetryPolicy;
  log: Logger;
  /** The node, URL redacted. */
  label: string;
  /** What was asked, for messages: `blocks 100–199`. */
  what: string;
  signal?: AbortSignal;
}

/**
 * Runs one RPC exchange until it succeeds: rate limits (HTTP 429, -32005) are waited out for up to
 * `rateLimitPatienceMs`, honouring the provider's hint; dropped connections, timeouts, 5xx and null receipts
 * are retried `maxRetries` times. Anything else — and `too-large`, which the caller answers by splitting — is thrown as
 * an EtlError whose message says what to do.
 */
export async function withRpcRetry<T>(fn: () => Promise<T>, ctx: RetryContext): Promise<T> {
  let transientAttempts = 0;
  let rateLimitAttempts = 0;
  let waitedMs = 0;
  // Exponential growth only for waits the provider did not name itself.
  let unhinted = 0;
  for (;;) {
    try {
      return await fn();
    } catch (error) {
      if (ctx.signal?.aborted) throw abortedError(error);
      if (error instanceof EtlError) throw error;
      const failure = classifyRpcError(error);
      let wait: number;
      if (failure.kind === 'rate-limited') {
        rateLimitAttempts++;
        wait = failure.waitMs ?? backoffMs(unhinted++, ctx.policy.baseMs * 4, 10_000);
        if (waitedMs + wait > ctx.policy.rateLimitPatienceMs) throw toEtlError(failure, ctx, rateLimitAttempts);
        waitedMs += wait;
      } else if (failure.kind === 'transient' || failure.kind === 'missing-receipt') {
        if (transientAttempts >= ctx.policy.maxRetries) throw toEtlError(failure, ctx, transientAttempts + 1);
        wait = backoffMs(transientAttempts++, ctx.policy.baseMs);
      } else {
        throw toEtlError(failure, ctx, 1);
      }
      ctx.log.warn(
        {
          node: ctx.label,
          what: ctx.what,
          kind: failure.kind,
          said: describeFailure(failure),
          waitMs: Math.round(wait),
        },
        'EVM node request failed; retrying',
      );
      await sleep(wait, undefined, { signal: ctx.signal }).catch((e) => {
        throw abortedError(e);
      });
    }
  }
}

function abortedError(cause: unknown): EtlError {
  return new EtlError('ETL_ABORTED', 'stopped; the next run resumes from the last checkpoint', { cause });
}

/** The EtlError a failure ends in, its message naming the node (redacted), what was asked and what to do. */
export function toEtlError(failure: RpcFailure, ctx: Pick<RetryContext, 'label' | 'what'>, attempts: number): EtlError {
  const said = describeFailure(failure);
  const where = `EVM node ${ctx.label} (${ctx.what})`;
  const details = { status: failure.status, rpcCode: failure.code, kind: failure.kind };
  switch (failure.kind) {
    case 'rate-limited':
      return new EtlError(
        'ETL_UPSTREAM_RATE_LIMITED',
        `${where} still rate-limits after ${attempts} attempts (${said}): lower EVM_CONCURRENCY or EVM_BATCH_SIZE, or raise the plan's limit`,
        { retryable: true, details },
      );
    case 'transient':
      return new EtlError(
        failure.said === 'no answer in time' ? 'ETL_UPSTREAM_TIMEOUT' : 'ETL_UPSTREAM_UNREACHABLE',
        `${where} failed ${attempts} times (${said}): check that the node is up and reachable, or point EVM_RPC_URLS elsewhere`,
        { retryable: true, details },
      );
    case 'missing-receipt':
      return new EtlError(
        'ETL_EVM_RECEIPT_MISSING',
        `${where}: ${failure.said}, ${attempts} times: the node has likely pruned its transaction index (geth indexes only the last 2,350,000 blocks by default) — use an archive node, or run geth with --history.transactions=0 and let it reindex`,
        { details },
      );
    case 'too-large':
      return new EtlError(
        'ETL_EVM_RESPONSE_TOO_LARGE',
        `${where} refuses the response size (${said}) even for a single block: use a node with a larger response limit`,
        { details },
      );
    case 'auth':
      return new EtlError(
        'ETL_UPSTREAM_AUTH',
        `${where} refused the request (${said}): check the key in EVM_RPC_URLS and the plan's quota`,
        { details },
      );
    default:
      return new EtlError(
        'ETL_EVM_RPC_ERROR',
        `${where} answered an error (${said}): check that the node serves this chain's history (an archive or full node) and the method`,
        { details },
      );
  }
}
