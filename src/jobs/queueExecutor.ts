import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { DelayedError, type Job, type JobsOptions, UnrecoverableError, WaitingError, Worker } from 'bullmq';
import type { Common } from '../common.ts';
import { describeError, EtlError } from '../internal/errors.ts';
import { closeRunsOfLostWorker } from '../pipeline/runLog.ts';
import type { StreamProgress } from '../pipeline/runner.ts';
import { nextRunOf } from '../pipeline/status.ts';
import { findJob } from './catalogue.ts';
import type { JobDefinition, JobResult } from './defineJob.ts';
import type { Executor } from './executor.ts';
import { trackInFlightRuns } from './inFlightRuns.ts';
import type { JobRunner } from './jobRunner.ts';
import { createQueueClient, type QueueJobOutcome } from './queueClient.ts';
import { QUEUE_NAME, redisConnection, waitForRedis } from './queueConnection.ts';
import { type QueueJobData, syncSchedules } from './queueSchedules.ts';
import { afterAttempt, retryDelayMs } from './retryPolicy.ts';

export interface QueueWorkerOptions {
  /** Jobs this process runs at once (default `WORKER_CONCURRENCY`). */
  concurrency?: number;
  /**
   * How long a job's lock lives without renewal (default 30 s): a worker killed mid-job hands its job to
   * another worker after about this long.
   */
  lockMs?: number;
}

export interface QueueExecutorDeps extends Pick<Common, 'config' | 'db' | 'log'> {
  catalogue: readonly JobDefinition[];
  jobRunner: JobRunner;
  /** `start()` registers the catalogue's schedules as BullMQ job schedulers (`crypto-etl scheduler`). */
  scheduler?: boolean;
  /** `start()` processes jobs in this process (`crypto-etl worker`). */
  worker?: QueueWorkerOptions | false;
  /** First delay of the exponential backoff between attempts (default 5 s). */
  retryBaseMs?: number;
}

export type { QueueJobOutcome } from './queueClient.ts';

const DEFAULT_LOCK_MS = 30_000;
/** A tick added by hand that finds its job busy waits this long, then tries again. */
const BUSY_DELAY_MS = 5_000;
/**
 * A job whose worker died this many times in a row fails (and alerts) instead of killing the next worker too.
 * BullMQ's own limit sits above it, so the failure goes through the processor and its one alert.
 */
const MAX_LOST = 2;

/**
 * The queue executor, a transport: one BullMQ queue on Redis, any number of workers on any number of machines.
 * What a job does, how long it may take, whether it is tried again and the alert are the job runner's; what is
 * recorded, the run log's.
 * - A job never overlaps itself (queueClient.ts): `trigger` refuses while a run of it is queued or running, and a
 *   scheduled tick is skipped. Job schedulers cannot carry the deduplication id, so their jobs are ticks that add
 *   the run.
 * - Whether a failed attempt is tried again or alerted on is the one policy of both executors (`afterAttempt`,
 *   retryPolicy.ts); BullMQ carries it out (attempts, and the policy's backoff as its backoff strategy).
 * - A run whose BullMQ lock is taken from it or cannot be renewed stops at its next checkpoint (inFlightRuns.ts).
 * - Every run of an attempt is recorded with it: an attempt BullMQ hands out again (its end was lost with Redis)
 *   does not run again the steps it finished (queueAttempt.ts).
 * - `stop()` (SIGTERM) lets the job in flight reach its next checkpoint and hands it back to the queue;
 *   a worker that dies instead leaves a stalled job that another worker picks up after `lockMs`.
 */
export function createQueueExecutor(deps: QueueExecutorDeps): Executor {
  const { redisUrl, prefix, workerConcurrency } = deps.config.queue;
  if (!redisUrl) throw new EtlError('ETL_QUEUE_DISABLED', 'The queue executor needs REDIS_URL: set it, or use inline');
  const url: string = redisUrl;
  const connection = redisConnection(url);
  const retryBaseMs = deps.retryBaseMs ?? 5_000;
  const workerOptions = deps.worker === false || deps.worker === undefined ? undefined : deps.worker;
  const lockMs = workerOptions?.lockMs ?? DEFAULT_LOCK_MS;
  const jobs = new Map(deps.catalogue.map((job) => [job.name, job]));
  const client = createQueueClient({ url, prefix, retryBaseMs, log: deps.log });
  const inFlight = trackInFlightRuns({ lockMs, log: deps.log });
  let worker: Worker<QueueJobData, QueueJobOutcome> | undefined;

  /** A job scheduler's job (or one added by hand, without a deduplication id) enqueues the run it stands for. */
  async function tick(
    bull: Job<QueueJobData, QueueJobOutcome>,
    job: JobDefinition,
    token?: string,
  ): Promise<QueueJobOutcome> {
    const jobId = randomUUID();
    const holder = await client.enqueue(job, bull.data, job.retries + 1, jobId);
    if (holder === jobId) return { job: job.name, status: 'succeeded', runs: [], enqueued: jobId };
    if (bull.data.trigger === 'schedule') {
      deps.log.warn({ job: job.name, running: holder }, 'scheduled run skipped: the previous run is still going');
      return { job: job.name, status: 'succeeded', runs: [], skipped: 'the previous run was still going' };
    }
    await bull.moveToDelayed(Date.now() + BUSY_DELAY_MS, token);
    throw new DelayedError();
  }

  // Two parameters, not BullMQ's third (a per-job AbortSignal): each run gets its own controller from
  // inFlightRuns, and BullMQ only builds one per job for processors that take a third parameter.
  async function processJob(bull: Job<QueueJobData, QueueJobOutcome>, token?: string): Promise<QueueJobOutcome> {
    const job = jobs.get(bull.name);
    if (!job) throw new UnrecoverableError(`ETL_JOB_UNKNOWN: no job ${bull.name} in this worker's catalogue`);
    if (bull.deduplicationId === undefined) return tick(bull, job, token);
    const id = bull.id as string;
    const held = inFlight.begin(id, job.name);
    if (!held) {
      // This worker's own attempt lost the lock and has not reached its checkpoint yet; BullMQ recovered the job
      // and handed it back here. Two attempts of one job must not share its lock tracking: try again later.
      await bull.moveToDelayed(Date.now() + lockMs, token);
      throw new DelayedError();
    }
    try {
      if (bull.stalledCounter > 0) {
        await closeRunsOfLostWorker(deps.db, deps.db.schemas, job.name).catch((error) =>
          jobLog(job, id).error({ error: describeError(error) }, 'cannot close the runs of the lost worker'),
        );
      }
      if (bull.stalledCounter >= MAX_LOST) {
        const error = `ETL_WORKER_LOST: ${job.name} lost its worker ${bull.stalledCounter} times in a row (killed, out of memory?): not tried again before its next run`;
        await deps.jobRunner.alert({ job: job.name, status: 'failed', runs: [], error, retryable: false }, job);
        throw new UnrecoverableError(error);
      }
      const result = await deps.jobRunner.attempt(
        job,
        { trigger: bull.data.trigger, args: bull.data.args, onProgress: reportTo(bull) },
        held.abort,
        {
          queueJob: id,
          attempt: bull.attemptsMade,
          // BullMQ counts every start; a start beyond one per finished attempt is this attempt again.
          resumed: bull.attemptsStarted > bull.attemptsMade + 1,
          lost: held.lost,
        },
      );
      if (result.status === 'failed' && held.lockLost && !inFlight.stopping) {
        // The lock is gone: BullMQ cannot record this outcome, and the recovered job resumes the attempt.
        throw new Error(result.error ?? `ETL_WORKER_LOST: ${job.name} lost its lock`);
      }
      const attempts = bull.opts.attempts ?? 1;
      const next = afterAttempt(result, {
        attempt: bull.attemptsMade + 1,
        attempts,
        retryBaseMs: backoffBase(bull),
        stopping: inFlight.stopping,
      });
      if (next.next === 'done') return serializable(result);
      if (next.next === 'stop') {
        // Shutdown: the run stopped at a checkpoint; another worker resumes it, and it costs no attempt.
        jobLog(job, id).info('handing the job back to the queue: this worker is stopping');
        await bull.moveToWait(token);
        throw new WaitingError();
      }
      if (next.next === 'alert') {
        await deps.jobRunner.alert(result, job);
        throw new UnrecoverableError(result.error ?? `${job.name} failed`);
      }
      jobLog(job, id).warn(
        { attempt: bull.attemptsMade + 1, of: attempts, waitMs: next.delayMs, error: result.error },
        'job failed; BullMQ retries it',
      );
      throw new Error(result.error ?? `${job.name} failed`);
    } finally {
      inFlight.end(id, held);
    }
  }

  // Built only when something is logged: the common path (a run that succeeds) logs nothing here.
  const jobLog = (job: JobDefinition, id: string) => deps.log.child({ job: job.name, queueJob: id });

  return {
    kind: 'queue',
    async start() {
      await client.connected();
      if (deps.scheduler) {
        const registered = await syncSchedules(client.queue, deps.catalogue, { retryBaseMs, log: deps.log });
        deps.log.info({ schedules: registered.map((s) => `${s.job} ${s.pattern}`) }, 'job schedulers registered (UTC)');
      }
      if (workerOptions) {
        worker = new Worker<QueueJobData, QueueJobOutcome>(QUEUE_NAME, processJob, {
          connection,
          prefix,
          name: `${hostname()}:${process.pid}`,
          concurrency: workerOptions.concurrency ?? workerConcurrency,
          lockDuration: lockMs,
          stalledInterval: lockMs,
          maxStalledCount: MAX_LOST + 1,
          // The policy's backoff: the job carries its base (`jobOptions`).
          settings: {
            backoffStrategy: (attemptsMade, _type, _error, bull) => retryDelayMs(backoffBase(bull), attemptsMade),
          },
        });
        worker.on('error', (error) => deps.log.error({ error: describeError(error) }, 'worker error'));
        inFlight.watch(worker);
        await waitForRedis(worker.waitUntilReady(), url);
        deps.log.info({ concurrency: worker.concurrency, prefix }, 'worker ready: waiting for jobs');
      }
    },
    async trigger(name, options = {}) {
      return client.trigger(jobs.get(name) ?? findJob(deps.catalogue, name), options);
    },
    nextRun(name) {
      return nextRunOf(jobs.get(name)?.schedule ?? null);
    },
    async stop() {
      inFlight.stopAll();
      await worker?.close();
      await client.close();
    },
  };
}

/** Progress of a run, passed on to BullMQ (and from there to whoever follows the job). */
function reportTo(bull: Job<QueueJobData, QueueJobOutcome>) {
  return (progress: StreamProgress) => void bull.updateProgress({ ...progress }).catch(() => {});
}

/** A result BullMQ can store as JSON: the error objects behind failed runs stay in this process. */
function serializable(result: JobResult): QueueJobOutcome {
  if (!result.runs.some((run) => run.cause !== undefined)) return result;
  return { ...result, runs: result.runs.map(({ cause: _cause, ...run }) => run) };
}

/** The base of a job's backoff, as `jobOptions` set it. */
function backoffBase(bull: { opts: JobsOptions } | undefined): number {
  const backoff = bull?.opts.backoff;
  return typeof backoff === 'object' ? (backoff.delay ?? 0) : (backoff ?? 0);
}
