import { describeError } from '../internal/errors.ts';
import { loadEvmChain } from '../pipeline/evm/evmLoader.ts';
import { evmSettings } from '../sources/evm/index.ts';
import { ROLLUPS, type Rollup, refreshRollups } from '../transforms/refreshRollups.ts';
import type { CatalogueDeps } from './catalogue.ts';
import { defineJob, type JobContext, type JobResult } from './defineJob.ts';
import { chainsResult, type EvmJobOptions, openEvmChains } from './evmChains.ts';
import { evmEventsJob } from './evmEventsJob.ts';
import { runSteps } from './steps.ts';

const JOB = 'evm-blocks';
/** The longest timer Node keeps (~24.8 days): `--follow` runs until stopped, and request timeouts bound stalls. */
const FOLLOW_TIMEOUT_MS = 2_147_483_647;
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

/**
 * Runs `evm-blocks` once: every chain of `EVM_RPC_URLS` at the same time, each its own run in `etl.runs`,
 * then the chain rollups. Without `EVM_RPC_URLS` it ends at once, logging what to set.
 */
export async function runEvmBlocks(ctx: JobContext, options: EvmJobOptions = {}): Promise<JobResult> {
  const opened = await openEvmChains(JOB, ctx, options, () => evmSettings(ctx.config));
  if ('status' in opened) return opened;
  const { args, chains, more: settings } = opened;
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
  const loaded = chainsResult(JOB, runs);
  if (loaded.status === 'failed') return loaded;
  const refresh = await runSteps(JOB, ctx, [refreshChainStep]);
  return { ...refresh, runs: [...runs, ...refresh.runs] };
}

/** The `evm-blocks` and `evm-events` jobs: scheduled every minute when `EVM_RPC_URLS` is set, manual-only otherwise. */
export function evmJobs(deps: CatalogueDeps, options: EvmJobOptions = {}) {
  const configured = deps.config.evm.rpcUrls.length > 0;
  return [
    defineJob({
      name: JOB,
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
