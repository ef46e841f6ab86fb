import { describeError, EtlError } from '../internal/errors.ts';
import { loadEvmChain } from '../pipeline/evm/evmLoader.ts';
import { parseEvmBlocksArgs } from '../sources/evm/args.ts';
import { connectEvmChains, evmSettings } from '../sources/evm/index.ts';
import type { RetryPolicy } from '../sources/evm/withRpcRetry.ts';
import { ROLLUPS, type Rollup, refreshRollups } from '../transforms/refreshRollups.ts';
import type { CatalogueDeps } from './catalogue.ts';
import { defineJob, type JobContext, type JobResult } from './defineJob.ts';
import { evmEventsJob } from './evmEventsJob.ts';
import { runSteps } from './steps.ts';

const JOB = 'evm-blocks';
/** The longest timer Node keeps (~24.8 days): `--follow` runs until stopped, and request timeouts bound stalls. */
const FOLLOW_TIMEOUT_MS = 2_147_483_647;
const NOT_CONFIGURED = 'not configured: set EVM_RPC_URLS to one or more JSON-RPC node URLs';
/** Following the head, the chain rollups are refreshed at most this often. */
const FOLLOW_REFRESH_MS = 5 * 60_000;

/** The chain rollups: `warehouse-refresh` keeps them too, this job refreshes them as soon as it loads. */
export const CHAIN_ROLLUPS: readonly Rollup[] = ROLLUPS.filter((r) => r.source === 'evm_blocks');

const refreshChainStep = {
  name: 'warehouse.chain',
  run: async ({ db }: JobContext) => {
    await refreshRollups(db, CHAIN_ROLLUPS);
    return undefined;
  },
};

export interface EvmJobOptions {
  /** Overrides of the RPC retry policy (tests shorten the backoff). */
  retry?: Partial<RetryPolicy>;
}

/**
 * Runs `evm-blocks` once: every chain of `EVM_RPC_URLS` at the same time, each its own run in `etl.runs`,
 * then the chain rollups. Without `EVM_RPC_URLS` it ends at once, logging what to set.
 */
export async function runEvmBlocks(ctx: JobContext, options: EvmJobOptions = {}): Promise<JobResult> {
  if (ctx.config.evm.rpcUrls.length === 0) {
    // Like the other optional sources: a skip, not a failure (no alert, nothing to retry).
    ctx.log.warn(`${JOB} skipped: ${NOT_CONFIGURED}`);
    return { job: JOB, status: 'succeeded', runs: [] };
  }
  let prepared: Awaited<ReturnType<typeof prepare>>;
  try {
    prepared = await prepare(ctx, options);
  } catch (error) {
    return { job: JOB, status: 'failed', runs: [], error: describeError(error), retryable: retryable(error) };
  }
  const { args, settings, chains } = prepared;
  let refreshedAt = Date.now();
  const onCaughtUp = async () => {
    if (Date.now() - refreshedAt < FOLLOW_REFRESH_MS) return;
    refreshedAt = Date.now();
    await refreshRollups(ctx.db, CHAIN_ROLLUPS).catch((e) =>
      ctx.log.warn({ error: describeError(e) }, 'chain rollup refresh failed'),
    );
  };
  const runs = await Promise.all(
    chains.map((chain) =>
      loadEvmChain({
        db: ctx.db,
        runner: ctx.runner,
        chain,
        settings,
        args,
        job: JOB,
        trigger: ctx.trigger,
        signal: ctx.signal,
        onProgress: ctx.onProgress,
        onCaughtUp,
      }),
    ),
  );
  const failed = runs.find((r) => r.status === 'failed');
  if (failed) return { job: JOB, status: 'failed', runs, error: failed.error, retryable: retryable(failed.cause) };
  const refresh = await runSteps(JOB, ctx, [refreshChainStep]);
  return { ...refresh, runs: [...runs, ...refresh.runs] };
}

async function prepare(ctx: JobContext, options: EvmJobOptions) {
  const args = parseEvmBlocksArgs(ctx.args);
  const settings = evmSettings(ctx.config);
  const chains = await connectEvmChains({ config: ctx.config, log: ctx.log, signal: ctx.signal, retry: options.retry });
  return { args, settings, chains };
}

function retryable(error: unknown): boolean {
  return error instanceof EtlError ? error.retryable : true;
}

/** The `evm-blocks` and `evm-events` jobs: scheduled every minute when `EVM_RPC_URLS` is set, manual-only otherwise. */
export function evmJobs(deps: CatalogueDeps, options: EvmJobOptions = {}) {
  const configured = deps.config.evm.rpcUrls.length > 0;
  return [
    defineJob({
      name: JOB,
      engines: ['postgres'],
      description:
        'EVM blocks, transactions, receipts and logs → staging.evm_* up to head − EVM_CONFIRMATIONS, reorg-safe (--from/--to backfill a range, --follow keeps following the head)',
      schedule: configured ? '* * * * *' : null,
      timeoutMs: FOLLOW_TIMEOUT_MS,
      retries: 3,
      run: (ctx) => runEvmBlocks(ctx, options),
    }),
    evmEventsJob(configured, options),
  ];
}
