import type { Config } from '../../config.ts';
import type { Clock } from '../../internal/clock.ts';
import type { Logger } from '../../internal/logger.ts';
import { createDuneClient } from './client.ts';
import { cowTradesStream } from './cowTradesStream.ts';
import { cowParams } from './repoQueries.ts';
import { readQueryResult } from './resultPages.ts';

/** The Dune source, built from config: the CoW trades stream of a query id, and any query's result pages. */
export function duneSource(deps: {
  config: Config;
  log: Logger;
  onResponse?: (upstream: string, status: number) => void;
  now?: Clock;
}) {
  const client = createDuneClient(deps);
  const { resultsMode: mode, pageSize, pollIntervalMs } = deps.config.dune;
  return {
    client,
    cowTrades: (queryId: number, covers?: 'day' | 'month', storedThrough?: string) =>
      cowTradesStream(client, {
        queryId,
        covers,
        storedThrough,
        params: cowParams(deps.config),
        mode,
        pageSize,
        pollIntervalMs,
        now: deps.now,
      }),
    queryResult: (queryId: number, params: Record<string, string>, signal: AbortSignal, log: Logger) =>
      readQueryResult(client, { queryId, params, mode, pageSize, pollIntervalMs, signal, log }),
  };
}
