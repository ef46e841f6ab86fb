import type { Worker } from 'bullmq';
import { EtlError } from '../internal/errors.ts';
import type { Logger } from '../internal/logger.ts';

/** A run in this worker: its abort controllers, and when BullMQ last renewed its lock. */
export interface InFlightRun {
  readonly job: string;
  /** Aborted by shutdown: one plain controller per run, no listener on a shared signal. */
  readonly abort: AbortController;
  /** Aborted when the run's lock is lost (its reason an `ETL_WORKER_LOST` error). */
  readonly lost: AbortController;
  renewedAt: number;
  lockLost: boolean;
}

export interface InFlightRuns {
  /** Tracks run `id`; undefined when an attempt of it is still in flight here (it lost its lock, and stops). */
  begin(id: string, job: string): InFlightRun | undefined;
  end(id: string, run: InFlightRun): void;
  /** Follows the worker's lock renewals; a run whose lock is lost is aborted. */
  watch<D, R>(worker: Worker<D, R>): void;
  /** Shutdown: aborts every run (they hand their jobs back on purpose, so lost locks are no longer reported). */
  stopAll(): void;
  /** Whether `stopAll()` has been called. */
  readonly stopping: boolean;
}

/**
 * The runs a worker has in flight, and their BullMQ locks. A run whose lock is taken over (BullMQ's
 * `lockRenewalFailed`) or goes unrenewed for three quarters of its lifetime (Redis unreachable: renewals then
 * fail as errors, not per job) is aborted, so it stops at its next checkpoint, before or as another worker
 * recovers the job.
 */
export function trackInFlightRuns(options: { lockMs: number; log: Logger }): InFlightRuns {
  const runs = new Map<string, InFlightRun>();
  let stopping = false;
  let watchdog: NodeJS.Timeout | undefined;

  function loseLock(id: string) {
    const run = runs.get(id);
    if (!run || run.lockLost || stopping) return;
    run.lockLost = true;
    options.log.error(
      { job: run.job, queueJob: id },
      'lost the job lock (taken over, or Redis unreachable): stopping at the next checkpoint',
    );
    run.lost.abort(
      new EtlError(
        'ETL_WORKER_LOST',
        `${run.job} lost its queue lock (taken over, or Redis unreachable) and stopped at a checkpoint, so that no other run overlaps it; the recovered job resumes from there`,
        { retryable: true },
      ),
    );
  }

  return {
    begin(id, job) {
      if (runs.has(id)) return undefined;
      const run: InFlightRun = {
        job,
        abort: new AbortController(),
        lost: new AbortController(),
        renewedAt: Date.now(),
        lockLost: false,
      };
      if (stopping) run.abort.abort();
      runs.set(id, run);
      return run;
    },
    end(id, run) {
      if (runs.get(id) === run) runs.delete(id);
    },
    watch(worker) {
      // Taken over: BullMQ found another token on the lock when renewing it.
      worker.on('lockRenewalFailed', (ids) => {
        for (const id of ids) loseLock(id);
      });
      worker.on('locksRenewed', ({ jobIds }) => {
        const now = Date.now();
        for (const id of jobIds) {
          const run = runs.get(id);
          if (run) run.renewedAt = now;
        }
      });
      // BullMQ renews each lock every quarter to half of lockMs: a run with no renewal for three quarters of it
      // is about to lose its lock.
      watchdog = setInterval(
        () => {
          const now = Date.now();
          for (const [id, run] of runs) if (now - run.renewedAt > options.lockMs * 0.75) loseLock(id);
        },
        Math.max(50, Math.floor(options.lockMs / 4)),
      );
      watchdog.unref();
    },
    get stopping() {
      return stopping;
    },
    stopAll() {
      stopping = true;
      clearInterval(watchdog);
      for (const run of runs.values()) run.abort.abort();
    },
  };
}
