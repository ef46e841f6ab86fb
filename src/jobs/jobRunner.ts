import { setTimeout as sleep } from 'node:timers/promises';
import type { Common } from '../common.ts';
import { linkedAbort } from '../internal/abort.ts';
import { describeError, EtlError, isRetryable } from '../internal/errors.ts';
import type { Logger } from '../internal/logger.ts';
import type { Runner } from '../pipeline/runner.ts';
import type { JobDefinition, JobResult } from './defineJob.ts';
import type { TriggerOptions } from './executor.ts';
import { type AttemptScope, openAttempt, type QueueRun } from './queueAttempt.ts';
import { afterAttempt } from './retryPolicy.ts';

export interface JobRunnerDeps extends Pick<Common, 'config' | 'db' | 'log'> {
  runner: Runner;
  /** Called once when a job has failed after all its retries. */
  onFinalFailure?: (result: JobResult, job: JobDefinition) => Promise<void> | void;
  /** Base of the exponential backoff between retries; tests shorten it. */
  retryBaseMs?: number;
}

/**
 * Runs one job to its end: a timeout that aborts it between batches, retries with exponential backoff for
 * retryable failures, and one alert when it still fails (the policy of `retryPolicy.ts`). Both executors call
 * this; only transport differs: the inline executor waits between attempts here, the queue executor leaves the
 * waiting to BullMQ.
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
   * One attempt. `abort` is the run's own controller: the caller aborts it (shutdown), and so does the timeout.
   * `queue`: the queue attempt this is (queueAttempt.ts: its runs are recorded with it, a resumed attempt does not
   * run again what it finished, a lost lock stops it).
   */
  async function attempt(
    job: JobDefinition,
    options: TriggerOptions,
    abort: AbortController,
    queue?: QueueRun,
  ): Promise<JobResult> {
    const deadline: Deadline = { job, abort, passed: false };
    const timer = setTimeout(expire, job.timeoutMs, deadline);
    // Made on first use, as the signal and the logger: a queued job that asks for none pays for none.
    let scope: AttemptScope | undefined;
    const scoped = queue && (() => (scope ??= openAttempt(deps.runner, deps, queue, abort)));
    try {
      const result = await job.run({
        config: deps.config,
        db: deps.db,
        get runner() {
          return scoped ? scoped().runner : deps.runner;
        },
        trigger: options.trigger ?? 'manual',
        args: options.args ?? {},
        onProgress: options.onProgress,
        // Made on first use (Node builds a controller's signal lazily): a short job that asks for neither
        // pays for neither.
        get log() {
          return jobLogger(job.name);
        },
        get signal() {
          return scoped ? scoped().signal : abort.signal;
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
        retryable: isRetryable(error),
      };
    } finally {
      clearTimeout(timer);
      scope?.close();
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

  /** Sends the one alert of a job that failed for good; a failed alert is logged, never thrown. */
  async function alert(result: JobResult, job: JobDefinition): Promise<void> {
    try {
      await deps.onFinalFailure?.(result, job);
    } catch (error) {
      deps.log.error({ job: job.name, error: describeError(error) }, 'alert failed');
    }
  }

  return {
    /** One attempt only: the queue executor leaves the waits between attempts to BullMQ. */
    attempt,
    alert,
    /** Runs with retries (inline executor). */
    async runWithRetries(job: JobDefinition, options: TriggerOptions, signal: AbortSignal): Promise<JobResult> {
      const attempts = (options.retries ?? job.retries) + 1;
      for (let n = 1; ; n++) {
        const result = await attemptFollowing(job, options, signal);
        const next = afterAttempt(result, { attempt: n, attempts, retryBaseMs: baseMs, stopping: signal.aborted });
        if (next.next === 'alert') await alert(result, job);
        if (next.next !== 'retry') return result;
        deps.log.warn(
          { job: job.name, attempt: n + 1, waitMs: next.delayMs, error: result.error },
          'job failed; retrying',
        );
        await sleep(next.delayMs, undefined, { signal }).catch(() => {});
        if (signal.aborted) return result;
      }
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
