import { describeError, isRetryable } from '../internal/errors.ts';
import type { RunResult } from '../pipeline/runner.ts';
import { type EvmBlocksArgs, parseEvmBlocksArgs } from '../sources/evm/args.ts';
import { connectEvmChains, type EvmChain } from '../sources/evm/index.ts';
import type { RetryPolicy } from '../sources/evm/withRpcRetry.ts';
import { type Rollup, refreshRollups } from '../transforms/refreshRollups.ts';
import type { JobContext, JobResult } from './defineJob.ts';

/** Following the head, a job's rollups are refreshed at most this often. */
export const FOLLOW_REFRESH_MS = 5 * 60_000;

export interface EvmJobOptions {
  /** Overrides of the RPC retry policy (tests shorten the backoff). */
  retry?: Partial<RetryPolicy>;
}

/**
 * What a job over the chains of `EVM_RPC_URLS` starts from: its range arguments, the connected chains and what
 * `more` prepares. A job result instead when there is nothing to run on (a skip, like the other optional
 * sources: no alert, nothing to retry) or the preparation failed.
 */
export async function openEvmChains<T>(
  job: string,
  ctx: JobContext,
  options: EvmJobOptions,
  more: () => T,
): Promise<{ args: EvmBlocksArgs; chains: EvmChain[]; more: T } | JobResult> {
  if (ctx.config.evm.rpcUrls.length === 0) {
    ctx.log.warn(`${job} skipped: not configured: set EVM_RPC_URLS to one or more JSON-RPC node URLs`);
    return { job, status: 'succeeded', runs: [] };
  }
  try {
    const args = parseEvmBlocksArgs(ctx.args, job);
    const prepared = more();
    const chains = await connectEvmChains({
      config: ctx.config,
      log: ctx.log,
      signal: ctx.signal,
      retry: options.retry,
    });
    return { args, chains, more: prepared };
  } catch (error) {
    return { job, status: 'failed', runs: [], error: describeError(error), retryable: isRetryable(error) };
  }
}

/** The chains' runs as the job's result: failed with the first run that failed. */
export function chainsResult(job: string, runs: RunResult[]): JobResult {
  const failed = runs.find((r) => r.status === 'failed');
  if (failed) return { job, status: 'failed', runs, error: failed.error, retryable: isRetryable(failed.cause) };
  return { job, status: 'succeeded', runs };
}

/**
 * `--follow`: what a job's loads call when they have caught up with the head — its rollups refreshed, the first
 * time at once and then at most every `everyMs`. A failed refresh is logged and left to the next one (or to
 * `warehouse-refresh`).
 */
export function refreshWhenCaughtUp(
  ctx: Pick<JobContext, 'db' | 'log'>,
  rollups: readonly Rollup[],
  everyMs = FOLLOW_REFRESH_MS,
): () => Promise<void> {
  let refreshedAt = Number.NEGATIVE_INFINITY;
  return async () => {
    if (Date.now() - refreshedAt < everyMs) return;
    refreshedAt = Date.now();
    await refreshRollups(ctx.db, rollups).catch((e) =>
      ctx.log.warn({ error: describeError(e), rollups: rollups.map((r) => r.name) }, 'rollup refresh failed'),
    );
  };
}
