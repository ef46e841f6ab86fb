import { hostname } from 'node:os';
import { DelayedError, Job, Queue, QueueEvents, UnrecoverableError, WaitingError, Worker } from 'bullmq';
import type { Config } from '../config.ts';
import type { Db } from '../db/types.ts';
import { describeError, EtlError } from '../internal/errors.ts';
import type { Logger } from '../internal/logger.ts';
import type { StreamProgress } from '../pipeline/runner.ts';
import { nextRunOf } from '../pipeline/status.ts';
import { findJob } from './catalogue.ts';
import type { JobDefinition, JobResult } from './defineJob.ts';
import type { Executor, Triggered, TriggerOptions } from './executor.ts';
import { createJobLocks } from './jobLocks.ts';
import type { JobRunner } from './jobRunner.ts';
import { QUEUE_NAME, redisConnection, waitForRedis } from './queueConnection.ts';
import { jobOptions, type QueueJobData, syncSchedules } from './queueSchedules.ts';

export interface QueueWorkerOptions {
  /** Jobs this process runs at once (default `WORKER_CONCURRENCY`). */
  concurrency?: number;
  /**
   * How long a job's lock lives without renewal (default 30 s): a worker killed mid-job hands its job to
   * another worker after about this long.
   */
  lockMs?: number;
}

export interface QueueExecutorDeps {
  config: Config;
  catalogue: readonly JobDefinition[];
  jobRunner: JobRunner;
  db: Db;
  log: Logger;
  /** Called once per job that fails after its last attempt (the alert). */
  onFinalFailure?: (result: JobResult, job: JobDefinition) => Promise<void> | void;
  /** `start()` registers the catalogue's schedules as BullMQ job schedulers (`crypto-etl scheduler`). */
  scheduler?: boolean;
  /** `start()` processes jobs in this process (`crypto-etl worker`). */
  worker?: QueueWorkerOptions | false;
  /** First delay of the exponential backoff between attempts (default 5 s). */
  retryBaseMs?: number;
}

/** What a queued job returns to BullMQ (and Bull Board): the job's result, or why a scheduled tick was skipped. */
export type QueueJobOutcome = JobResult & { skipped?: string };

const DEFAULT_LOCK_MS = 30_000;
/** A manual run that finds its job busy waits this long, then tries again. */
const BUSY_DELAY_MS = 5_000;
/**
 * A job whose worker died this many times in a row fails (and alerts) instead of killing the next worker too.
 * BullMQ's own limit sits above it, so the failure goes through the processor and its one alert.
 */
const MAX_LOST = 2;

/**
 * The queue executor: one BullMQ queue on Redis, any number of workers on any number of machines.
 * - BullMQ owns the retries (attempts with exponential backoff); the alert goes out once, after the last one.
 * - A job never overlaps itself: a per-name lock in Redis; a scheduled tick that finds its job busy is skipped,
 *   a manual run waits its turn, and `trigger` refuses while the job runs (as the inline executor does).
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
  const queue = new Queue<QueueJobData, QueueJobOutcome>(QUEUE_NAME, { connection, prefix });
  const locks = createJobLocks({ url, prefix, ttlMs: lockMs });
  const stopping = new AbortController();
  let worker: Worker<QueueJobData, QueueJobOutcome> | undefined;
  let events: Promise<QueueEvents> | undefined;
  let ready: Promise<void> | undefined;
  queue.on('error', (error) => deps.log.error({ error: describeError(error) }, 'queue connection error'));
  // Each followed job listens for the queue closing: many followers at once are normal, not a leak.
  queue.setMaxListeners(0);

  const connected = () => (ready ??= waitForRedis(queue.waitUntilReady(), url));

  function openEvents(): Promise<QueueEvents> {
    events ??= (async () => {
      const queueEvents = new QueueEvents(QUEUE_NAME, { connection, prefix });
      queueEvents.setMaxListeners(0);
      queueEvents.on('error', (error) => deps.log.error({ error: describeError(error) }, 'queue events error'));
      await waitForRedis(queueEvents.waitUntilReady(), url);
      return queueEvents;
    })();
    return events;
  }

  // Two parameters, not BullMQ's third (a per-job AbortSignal): shutdown has its own signal, and BullMQ only
  // builds a controller per job for processors that take one.
  async function processJob(bull: Job<QueueJobData, QueueJobOutcome>, token?: string): Promise<QueueJobOutcome> {
    const job = jobs.get(bull.name);
    if (!job) throw new UnrecoverableError(`ETL_JOB_UNKNOWN: no job ${bull.name} in this worker's catalogue`);
    const id = bull.id as string;
    // Built on first use: the common path (lock taken, job succeeds) logs nothing here.
    let logger: Logger | undefined;
    const log = () => (logger ??= deps.log.child({ job: job.name, queueJob: id }));
    if (!(await locks.acquire(job.name, id))) {
      if (bull.data.trigger === 'schedule') {
        log().warn('scheduled run skipped: the previous run is still going');
        return { job: job.name, status: 'succeeded', runs: [], skipped: 'the previous run was still going' };
      }
      await bull.moveToDelayed(Date.now() + BUSY_DELAY_MS, token);
      throw new DelayedError();
    }
    // Losing the lock means another worker may start this job: stop at the next checkpoint rather than overlap.
    const lockLost = new AbortController();
    const stopRenewing = locks.keepAlive(job.name, id, () => {
      if (!lockLost.signal.aborted)
        log().error('lost the job lock (Redis unreachable or expired): stopping at the next checkpoint');
      lockLost.abort();
    });
    try {
      if (bull.stalledCounter > 0) {
        await markAbandonedRuns(deps.db, job.name).catch((error) =>
          log().error({ error: describeError(error) }, 'cannot close the runs of the lost worker'),
        );
      }
      if (bull.stalledCounter >= MAX_LOST) {
        const error = `ETL_WORKER_LOST: ${job.name} lost its worker ${bull.stalledCounter} times in a row (killed, out of memory?): not tried again before its next run`;
        await alert({ job: job.name, status: 'failed', runs: [], error, retryable: false }, job, log());
        throw new UnrecoverableError(error);
      }
      const result = await deps.jobRunner.attempt(
        job,
        {
          trigger: bull.data.trigger,
          args: bull.data.args,
          onProgress: (progress: StreamProgress) => void bull.updateProgress({ ...progress }).catch(() => {}),
        },
        AbortSignal.any([stopping.signal, lockLost.signal]),
      );
      if (result.status === 'succeeded') return serializable(result);
      if (lockLost.signal.aborted && !stopping.signal.aborted) {
        throw new Error(
          `ETL_WORKER_LOST: ${job.name} lost its lock and stopped at its last checkpoint, so that no other run overlaps it`,
        );
      }
      if (stopping.signal.aborted) {
        // Shutdown: the run stopped at a checkpoint; another worker resumes it, and it costs no attempt.
        log().info('handing the job back to the queue: this worker is stopping');
        await bull.moveToWait(token);
        throw new WaitingError();
      }
      const attempts = bull.opts.attempts ?? 1;
      if (!result.retryable || bull.attemptsMade + 1 >= attempts) {
        await alert(result, job, log());
        throw new UnrecoverableError(result.error ?? `${job.name} failed`);
      }
      log().warn(
        { attempt: bull.attemptsMade + 1, of: attempts, error: result.error },
        'job failed; BullMQ retries it',
      );
      throw new Error(result.error ?? `${job.name} failed`);
    } finally {
      stopRenewing();
      // Not awaited: the release is written to Redis before BullMQ marks the job finished (so whoever sees it
      // finished finds the lock free), without costing the job a round trip of its own.
      locks.release(job.name, id).catch(() => {});
    }
  }

  async function alert(result: JobResult, job: JobDefinition, log: Logger) {
    try {
      await deps.onFinalFailure?.(result, job);
    } catch (error) {
      log.error({ error: describeError(error) }, 'alert failed');
    }
  }

  /** Settles with the job's result when it ends (after its retries); never rejects. */
  async function follow(id: string, name: string): Promise<JobResult> {
    try {
      const queueEvents = await openEvents();
      const bull = await Job.fromId<QueueJobData, QueueJobOutcome>(queue, id);
      if (!bull) return { job: name, status: 'failed', runs: [], error: `queue job ${id} no longer exists` };
      return await bull.waitUntilFinished(queueEvents);
    } catch (error) {
      return { job: name, status: 'failed', runs: [], error: describeError(error) };
    }
  }

  return {
    kind: 'queue',
    async start() {
      await connected();
      if (deps.scheduler) {
        const registered = await syncSchedules(queue, deps.catalogue, { retryBaseMs, log: deps.log });
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
        });
        worker.on('error', (error) => deps.log.error({ error: describeError(error) }, 'worker error'));
        await waitForRedis(worker.waitUntilReady(), url);
        deps.log.info({ concurrency: worker.concurrency, prefix }, 'worker ready: waiting for jobs');
      }
    },
    async trigger(name: string, options: TriggerOptions = {}): Promise<Triggered> {
      const job = jobs.get(name) ?? findJob(deps.catalogue, name);
      await connected();
      const holder = await locks.holder(name);
      if (holder) {
        const message = `Job ${name} is already running (queue job ${holder}): wait for it to finish`;
        throw new EtlError('ETL_JOB_ALREADY_RUNNING', message, { retryable: true });
      }
      // Progress is listened for before the job exists, so its first report cannot be missed.
      const { onProgress } = options;
      let added: string | undefined;
      const onEvent = ({ jobId, data }: { jobId: string; data: unknown }) => {
        if (jobId === added && data && typeof data === 'object') onProgress?.(data as StreamProgress);
      };
      const progressEvents = onProgress ? await openEvents() : undefined;
      const stopListening = () => progressEvents?.off('progress', onEvent);
      progressEvents?.on('progress', onEvent);
      const data: QueueJobData = { trigger: options.trigger ?? 'manual', args: options.args ?? {} };
      const attempts = (options.retries ?? job.retries) + 1;
      const bull = await queue.add(name, data, jobOptions(attempts, retryBaseMs)).catch((error) => {
        stopListening();
        throw error;
      });
      const id = bull.id as string;
      added = id;
      // Followed lazily otherwise: a caller that only enqueues (the bench, the API) opens no event stream.
      let done = progressEvents ? follow(id, name).finally(stopListening) : undefined;
      return {
        id,
        get done() {
          done ??= follow(id, name);
          return done;
        },
      };
    },
    nextRun(name) {
      return nextRunOf(jobs.get(name)?.schedule ?? null);
    },
    async stop() {
      stopping.abort();
      await worker?.close();
      await (await events?.catch(() => undefined))?.close();
      await queue.close();
      await locks.close();
    },
  };
}

/** A result BullMQ can store as JSON: the error objects behind failed runs stay in this process. */
function serializable(result: JobResult): QueueJobOutcome {
  return { ...result, runs: result.runs.map(({ cause: _cause, ...run }) => run) };
}

/**
 * Runs of a job still marked `running` when that job is recovered from a stalled state belonged to the worker
 * that died: the name lock guarantees no other run of the job is alive, so they are closed as failed.
 */
async function markAbandonedRuns(db: Db, job: string): Promise<void> {
  await db.query(
    `UPDATE ${db.schemas.etl}.runs SET status = 'failed', finished_at = now(), error = $2
     WHERE job = $1 AND status = 'running'`,
    [
      job,
      'ETL_WORKER_LOST: the worker running this job stopped without finishing (killed or lost); another worker picked the job up and resumed from the last checkpoint',
    ],
  );
}
