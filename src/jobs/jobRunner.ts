import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../config.ts';
import type { Db } from '../db/types.ts';
import { linkedAbort } from '../internal/abort.ts';
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

  // One child logger per job, made once: runs can start thousands of times a second.
  const loggers = new Map<string, Logger>();
  function jobLogger(name: string): Logger {
    let log = loggers.get(name);
    if (!log) {
      log = deps.log.child({ job: name });
      loggers.set(name, log);
    }
    return log;
  }

  /**
   * One attempt. `abort` is the run's own controller: the caller aborts it (shutdown, a lost lock), and so
   * does the timeout.
   */
  async function attempt(job: JobDefinition, options: TriggerOptions, abort: AbortController): Promise<JobResult> {
    const deadline: Deadline = { job, abort, passed: false };
    const timer = setTimeout(expire, job.timeoutMs, deadline);
    try {
      const result = await job.run({
        config: deps.config,
        db: deps.db,
        runner: deps.runner,
        trigger: options.trigger ?? 'manual',
        args: options.args ?? {},
        onProgress: options.onProgress,
        // Made on first use (Node builds a controller's signal lazily): a short job that asks for neither
        // pays for neither.
        get log() {
          return jobLogger(job.name);
        },
        get signal() {
          return abort.signal;
        },
      });
      if (deadline.passed && result.status === 'failed') {
        return { ...result, error: `ETL_JOB_TIMEOUT: ${timeoutError(job).message}`, retryable: true };
      }
      return result;
    } catch (thrown) {
      // A job that rejects with its signal's reason on a timeout fails as the timeout, whatever it threw.
      const error = deadline.passed ? timeoutError(job) : thrown;
      const message = error instanceof Error ? error.message : String(error);
      return {
        job: job.name,
        status: 'failed',
        runs: [],
        error: deadline.passed ? `ETL_JOB_TIMEOUT: ${message}` : message,
        retryable: !(error instanceof EtlError) || error.retryable,
      };
    } finally {
      clearTimeout(timer);
    }
  }

  /** One attempt with its own abort handle, following `signal`. */
  async function attemptFollowing(job: JobDefinition, options: TriggerOptions, signal: AbortSignal) {
    const run = linkedAbort(signal);
    try {
      return await attempt(job, options, run.controller);
    } finally {
      run.dispose();
    }
  }

  return {
    /** One attempt only: the queue executor leaves retries to BullMQ. */
    attempt,
    /** Runs with retries (inline executor). */
    async runWithRetries(job: JobDefinition, options: TriggerOptions, signal: AbortSignal): Promise<JobResult> {
      let result = await attemptFollowing(job, options, signal);
      const retries = options.retries ?? job.retries;
      for (let i = 0; i < retries && result.status === 'failed' && result.retryable && !signal.aborted; i++) {
        const wait = baseMs * 2 ** i;
        deps.log.warn({ job: job.name, attempt: i + 2, waitMs: wait, error: result.error }, 'job failed; retrying');
        await sleep(wait, undefined, { signal }).catch(() => {});
        if (signal.aborted) break;
        result = await attemptFollowing(job, options, signal);
      }
      if (result.status === 'failed') await deps.onFinalFailure?.(result, job);
      return result;
    },
  };
}

export type JobRunner = ReturnType<typeof createJobRunner>;

/** A run's timeout. Module-level functions rather than closures: a run can start thousands of times a second. */
interface Deadline {
  job: JobDefinition;
  abort: AbortController;
  passed: boolean;
}

function expire(deadline: Deadline): void {
  // A run already stopping (shutdown, a lost lock) keeps that reason.
  if (deadline.abort.signal.aborted) return;
  deadline.passed = true;
  deadline.abort.abort(timeoutError(deadline.job));
}

function timeoutError(job: JobDefinition): EtlError {
  return new EtlError('ETL_JOB_TIMEOUT', `${job.name} ran longer than ${job.timeoutMs} ms and was stopped`, {
    retryable: true,
  });
}
