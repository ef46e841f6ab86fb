import { describeError, EtlError } from '../internal/errors.ts';
import { loadEventSet } from '../pipeline/evm/eventsLoader.ts';
import type { RunResult } from '../pipeline/runner.ts';
import {
  builtInSets,
  type ContractSet,
  parseTokens,
  readContractsFile,
  specsOf,
} from '../sources/evm/events/contracts.ts';
import { createLogsFetcher } from '../sources/evm/events/getLogs.ts';
import { ROLLUPS, type Rollup, refreshRollups } from '../transforms/refreshRollups.ts';
import { defineJob, type JobContext, type JobResult } from './defineJob.ts';
import { chainsResult, type EvmJobOptions, openEvmChains, refreshWhenCaughtUp } from './evmChains.ts';

const JOB = 'evm-events';
/** The longest timer Node keeps: `--follow` runs until stopped. */
const FOLLOW_TIMEOUT_MS = 2_147_483_647;

/** The rollups over decoded events (`erc20_transfers`): this job refreshes them as soon as it loads. */
export const EVENT_ROLLUPS: readonly Rollup[] = ROLLUPS.filter((r) => r.source.startsWith('evm_event_'));

/** The contract sets of a config: the shipped ones named in `EVM_EVENTS`, then those of `EVM_EVENTS_FILE`. */
export function configuredSets(ctx: Pick<JobContext, 'config'>, extra: readonly ContractSet[] = []): ContractSet[] {
  const { events } = ctx.config.evm;
  const shipped = builtInSets(parseTokens(events.tokens), events.cowSettlement);
  const sets = [...events.sets.map((name) => shipped[name] as ContractSet), ...extra];
  if (events.file) sets.push(...readContractsFile(events.file));
  const names = new Set<string>();
  for (const set of sets) {
    if (names.has(set.name)) throw new EtlError('ETL_CONFIG_INVALID', `Two contract sets are named "${set.name}"`);
    names.add(set.name);
  }
  return sets;
}

export interface EvmEventsOptions extends EvmJobOptions {
  /** Contract sets declared in code, loaded with the configured ones. */
  sets?: readonly ContractSet[];
}

/**
 * Runs `evm-events` once: every configured contract set on every chain of `EVM_RPC_URLS`, each its own run
 * (`evm.<chainId>.events.<set>`), all at the same time. Without `EVM_RPC_URLS` it ends at once, logging what to set.
 */
export async function runEvmEvents(ctx: JobContext, options: EvmEventsOptions = {}): Promise<JobResult> {
  const opened = await openEvmChains(JOB, ctx, options, () =>
    configuredSets(ctx, options.sets).map((set) => ({ set, specs: specsOf(set) })),
  );
  if ('status' in opened) return opened;
  const { args, chains, more: sets } = opened;
  const { evm } = ctx.config;
  const tokens = parseTokens(evm.events.tokens);
  const start = evm.startBlock ?? (evm.startDate ? { date: evm.startDate } : undefined);
  // `--follow` never ends its runs: the rollups are refreshed when the loads catch up with the head.
  const onCaughtUp = refreshWhenCaughtUp(ctx, EVENT_ROLLUPS);
  const loads: Promise<RunResult>[] = [];
  for (const chain of chains) {
    for (const { set, specs } of sets) {
      if (set.chainId !== undefined && set.chainId !== chain.chainId) continue;
      const logs = createLogsFetcher({
        endpoint: chain.endpoint,
        policy: chain.policy,
        log: ctx.log.child({ chainId: chain.chainId, set: set.name }),
        initialSpan: evm.events.range,
      });
      loads.push(
        loadEventSet({
          db: ctx.db,
          runner: ctx.runner,
          chain: { chainId: chain.chainId, fetcher: chain.fetcher, logs },
          set,
          specs,
          tokens: set.name === 'erc20' || set.name === 'cow' ? tokens : undefined,
          settings: { concurrency: evm.concurrency, pollIntervalMs: evm.pollIntervalMs, start },
          args,
          job: JOB,
          trigger: ctx.trigger,
          signal: ctx.signal,
          onProgress: ctx.onProgress,
          onCaughtUp,
        }),
      );
    }
  }
  const runs = await Promise.all(loads);
  // What committed is refreshed even when a run failed; a failed refresh is left to warehouse-refresh.
  await refreshRollups(ctx.db, EVENT_ROLLUPS).catch((e) =>
    ctx.log.warn({ error: describeError(e) }, 'erc20_transfers refresh failed'),
  );
  return chainsResult(JOB, runs);
}

/** The `evm-events` job: scheduled every minute when `EVM_RPC_URLS` is set, manual-only otherwise. */
export function evmEventsJob(configured: boolean, options: EvmEventsOptions = {}) {
  return defineJob({
    name: JOB,
    description:
      'Contract events from eth_getLogs, decoded by ABI → staging.evm_event_<set>_<event> (EVM_EVENTS, EVM_EVENTS_FILE), reorg-safe at the head (--from/--to backfill a range, --follow keeps following the head)',
    schedule: configured ? '* * * * *' : null,
    timeoutMs: FOLLOW_TIMEOUT_MS,
    retries: 3,
    run: (ctx) => runEvmEvents(ctx, options),
  });
}
