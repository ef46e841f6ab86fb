import { setTimeout as sleep } from 'node:timers/promises';
import { EtlError } from '../../internal/errors.ts';
import type { Logger } from '../../internal/logger.ts';
import type { DuneClient } from './client.ts';
import { executionStateError } from './duneErrors.ts';
import type { StatusResponse } from './schemas.ts';

const RUNNING = new Set(['QUERY_STATE_PENDING', 'QUERY_STATE_EXECUTING']);
/** Polls slow down by this factor each time, up to 16× the configured interval (and 30 s). */
const BACKOFF_FACTOR = 1.5;
const MAX_INTERVAL_MS = 30_000;

export interface WaitOptions {
  /** First wait between polls (`DUNE_POLL_INTERVAL_MS`). */
  pollIntervalMs: number;
  signal: AbortSignal;
  log: Logger;
  queryId?: number;
}

/**
 * Polls an execution's status (free of credits) with growing intervals until it ends. Resolves on COMPLETED;
 * FAILED, CANCELLED, EXPIRED and truncated results throw with Dune's own error text. A shutdown cancels the run
 * on Dune's side, so no credits burn for a result nobody will read.
 */
export async function waitForExecution(
  client: DuneClient,
  executionId: string,
  options: WaitOptions,
): Promise<StatusResponse> {
  let interval = options.pollIntervalMs;
  const cap = Math.min(MAX_INTERVAL_MS, options.pollIntervalMs * 16);
  for (let polls = 1; ; polls++) {
    const status = await client.status(executionId, options.signal);
    if (status.state === 'QUERY_STATE_COMPLETED') {
      options.log.info({ executionId, polls }, 'Dune execution completed');
      return status;
    }
    if (!RUNNING.has(status.state)) {
      throw executionStateError(status.state, { executionId, queryId: options.queryId, error: status.error });
    }
    try {
      await sleep(interval, undefined, { signal: options.signal });
    } catch {
      await client.cancel(executionId).catch(() => {});
      throw new EtlError('ETL_ABORTED', `stopped while Dune execution ${executionId} was running; it was cancelled`);
    }
    interval = Math.min(cap, interval * BACKOFF_FACTOR);
  }
}
