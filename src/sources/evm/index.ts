import type { Config } from '../../config.ts';
import type { Logger } from '../../internal/logger.ts';
import { createRangeFetcher, type RangeFetcher } from './fetchRange.ts';
import { createLogFilter, type LogFilter } from './logFilter.ts';
import { createRpcEndpoint, quantity, type RpcEndpoint } from './rpc.ts';
import { type RetryPolicy, withRpcRetry } from './withRpcRetry.ts';

/** anvil and hardhat (31337), ganache and geth --dev (1337): blocks are mined on demand there. */
const DEV_CHAIN_IDS = new Set([31337, 1337]);
const DEFAULT_CONFIRMATIONS = 12;

/** One chain to extract: its id as the node reports it, and the fetcher of its node. */
export interface EvmChain {
  chainId: number;
  /** The node's URL with keys masked. */
  label: string;
  fetcher: RangeFetcher;
  /** The node itself, for calls other than block ranges (`eth_getLogs`). */
  endpoint: RpcEndpoint;
  /** The retry policy its fetcher applies. */
  policy: RetryPolicy;
  /** Blocks this deep are final: `EVM_CONFIRMATIONS`, or 0 on a dev chain when left at its default of 12. */
  confirmations: number;
}

export interface EvmSettings {
  batchSize: number;
  concurrency: number;
  pollIntervalMs: number;
  logFilter: LogFilter;
  startBlock?: number;
  startDate?: string;
}

/** The EVM settings of a config, log filters validated. */
export function evmSettings(config: Config): EvmSettings {
  const evm = config.evm;
  return {
    batchSize: evm.batchSize,
    concurrency: evm.concurrency,
    pollIntervalMs: evm.pollIntervalMs,
    logFilter: createLogFilter(evm.logAddresses, evm.logTopics),
    startBlock: evm.startBlock,
    startDate: evm.startDate,
  };
}

export interface ConnectOptions {
  config: Config;
  log: Logger;
  signal?: AbortSignal;
  /** Overrides of the retry policy (tests shorten the backoff). */
  retry?: Partial<RetryPolicy>;
}

/**
 * Connects to every node of `EVM_RPC_URLS` and reads its chain id. Two URLs of one chain would write the
 * same rows twice over: the first is used and the others are reported.
 */
export async function connectEvmChains(options: ConnectOptions): Promise<EvmChain[]> {
  const { config, log, signal } = options;
  const policy: RetryPolicy = {
    maxRetries: config.http.maxRetries,
    baseMs: 500,
    rateLimitPatienceMs: 300_000,
    ...options.retry,
  };
  const chains: EvmChain[] = [];
  for (const url of config.evm.rpcUrls) {
    const endpoint = createRpcEndpoint(url, { timeoutMs: config.http.timeoutMs });
    const chainId = await withRpcRetry(
      async () => quantity(await endpoint.call('eth_chainId', [], signal), 'eth_chainId'),
      {
        policy,
        log,
        label: endpoint.label,
        what: 'eth_chainId',
        signal,
      },
    );
    const same = chains.find((c) => c.chainId === chainId);
    if (same) {
      log.warn({ node: endpoint.label, chainId, using: same.label }, 'EVM_RPC_URLS lists this chain twice: ignored');
      continue;
    }
    const confirmations =
      DEV_CHAIN_IDS.has(chainId) && config.evm.confirmations === DEFAULT_CONFIRMATIONS ? 0 : config.evm.confirmations;
    chains.push({
      chainId,
      label: endpoint.label,
      fetcher: createRangeFetcher({ endpoint, policy, log: log.child({ chainId }) }),
      endpoint,
      policy,
      confirmations,
    });
  }
  return chains;
}
