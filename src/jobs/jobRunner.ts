import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../config.ts';
import type { Db } from '../db/types.ts';
import { EtlError } from '../internal/errors.ts';
import type { Logger } from '../internal/logger.ts';
import type { Runner } from '../pipeline/runner.ts';
import type { JobDefinition, JobResult } from './defineJob.ts';
import type { TriggerOptions } from './executor.ts';

export interface JobRunnerDeps {
  config: Config;
  db: Db;
  log: Logger;
  runner: Runner;
  /** Called once when a job has failed after all its retries. */
  onFinalFailure?: (result: JobResult, job: JobDefinition) => Promise<void> | void;
  /** Base of the exponential backoff between retries; tests shorten it. */
  retryBaseMs?: number;
}

/**
 * Runs one job to its end: a timeout that aborts it between batches, retries with exponential backoff for
 * retryable failures, and one alert when it still fails. Both executors call this; only transport differs.
 */
export function createJobRunner(deps: JobRunnerDeps) {
  const baseMs = deps.retryBaseMs ?? 5_000;

  async function attempt(job: JobDefinition, options: TriggerOptions, signal: AbortSignal): Promise<JobResult> {
    const timeout = AbortSignal.timeout(job.timeoutMs);
    const jobSignal = AbortSignal.any([signal, timeout]);
    try {
      const result = await job.run({
        config: deps.config,
        db: deps.db,
        log: deps.log.child({ job: job.name }),
        runner: deps.runner,
        signal: jobSignal,
        trigger: options.trigger ?? 'manual',
        args: options.args ?? {},
        onProgress: options.onProgress,
      });
      if (timeout.aborted && result.status === 'failed') {
        return {
          ...result,
          error: `ETL_JOB_TIMEOUT: ${job.name} ran longer than ${job.timeoutMs} ms and was stopped`,
          retryable: true,
        };
      }
      return result;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return {
        job: job.name,
        status: 'failed',
        runs: [],
        error: message,
        retryable: !(error instanceof EtlError) || error.retryable,
      };
    }
  }

  return {
    /** One attempt only: the queue executor leaves retries to BullMQ. */
    attempt,
    /** Runs with retries (inline executor). */
    async runWithRetries(job: JobDefinition, options: TriggerOptions, signal: AbortSignal): Promise<JobResult> {
      let result = await attempt(job, options, signal);
      const retries = options.retries ?? job.retries;
      for (let i = 0; i < retries && result.status === 'failed' && result.retryable && !signal.aborted; i++) {
        const wait = baseMs * 2 ** i;
        deps.log.warn({ job: job.name, attempt: i + 2, waitMs: wait, error: result.error }, 'job failed; retrying');
        await sleep(wait, undefined, { signal }).catch(() => {});
        if (signal.aborted) break;
        result = await attempt(job, options, signal);
      }
      if (result.status === 'failed') await deps.onFinalFailure?.(result, job);
      return result;
    },
  };
}

export type JobRunner = ReturnType<typeof createJobRunner>;
