import { randomUUID } from 'node:crypto';
import { Job, type JobsOptions, Queue, QueueEvents } from 'bullmq';
import { describeError, EtlError } from '../internal/errors.ts';
import type { Logger } from '../internal/logger.ts';
import type { StreamProgress } from '../pipeline/runner.ts';
import type { JobDefinition, JobResult } from './defineJob.ts';
import type { Triggered, TriggerOptions } from './executor.ts';
import { QUEUE_NAME, redisConnection, waitForRedis } from './queueConnection.ts';
import { jobOptions, type QueueJobData } from './queueSchedules.ts';

/**
 * What a queued job returns to BullMQ (and Bull Board): the job's result; for a tick (a job scheduler's job), the
 * run it enqueued or why it enqueued none.
 */
export type QueueJobOutcome = JobResult & { enqueued?: string; skipped?: string };

/** The adding side of the queue: runs enqueued under their job's name, followed to their end. */
export interface QueueClient {
  readonly queue: Queue<QueueJobData, QueueJobOutcome>;
  /** Waits for Redis (bounded: `ETL_QUEUE_UNREACHABLE`). */
  connected(): Promise<void>;
  /**
   * Adds a run of `job` as queue job `jobId`, unless a run of it is queued or running. Returns the id of the
   * run that holds the job's name: `jobId` when added, the other run's when not.
   */
  enqueue(job: JobDefinition, data: QueueJobData, attempts: number, jobId: string): Promise<string>;
  /** Adds a run of `job`, or refuses with `ETL_JOB_ALREADY_RUNNING`; its `done` follows it to its end. */
  trigger(job: JobDefinition, options: TriggerOptions): Promise<Triggered>;
  close(): Promise<void>;
}

/**
 * A job never overlaps itself: every run is added with BullMQ's deduplication id set to the job's name, which Redis
 * holds from the add until the run finishes (retries and recoveries included). A second add while it is held adds
 * nothing.
 */
export function createQueueClient(deps: {
  url: string;
  prefix: string;
  /** First delay of the backoff between attempts, carried by each job (`jobOptions`). */
  retryBaseMs: number;
  log: Logger;
}): QueueClient {
  const { url, prefix, log } = deps;
  const connection = redisConnection(url);
  const queue = new Queue<QueueJobData, QueueJobOutcome>(QUEUE_NAME, { connection, prefix });
  let events: Promise<QueueEvents> | undefined;
  let ready: Promise<void> | undefined;
  queue.on('error', (error) => log.error({ error: describeError(error) }, 'queue connection error'));
  // Each followed job listens for the queue closing: many followers at once are normal, not a leak.
  queue.setMaxListeners(0);

  const connected = () => (ready ??= waitForRedis(queue.waitUntilReady(), url));

  function openEvents(): Promise<QueueEvents> {
    events ??= (async () => {
      const queueEvents = new QueueEvents(QUEUE_NAME, { connection, prefix });
      queueEvents.setMaxListeners(0);
      queueEvents.on('error', (error) => log.error({ error: describeError(error) }, 'queue events error'));
      await waitForRedis(queueEvents.waitUntilReady(), url);
      return queueEvents;
    })();
    return events;
  }

  async function enqueue(job: JobDefinition, data: QueueJobData, attempts: number, jobId: string): Promise<string> {
    const options: JobsOptions = jobOptions(attempts, deps.retryBaseMs);
    options.jobId = jobId;
    options.deduplication = { id: job.name };
    const holder = (await queue.add(job.name, data, options)).id as string;
    if (holder === jobId || !(await finishedHolder(holder))) return holder;
    return (await queue.add(job.name, data, options)).id as string;
  }

  /**
   * True when the run that held the name has finished: it ended between the add and now (the name is free
   * already), or, should it ever happen, it ended and still holds the name (BullMQ releases the name in the
   * same script that finishes a run, so this is a guard: a name held forever would stop the job for good).
   * A name is freed only while it still points at that run.
   */
  async function finishedHolder(id: string): Promise<boolean> {
    const holder = await Job.fromId(queue, id);
    if (!holder) return true;
    if (!(await holder.isCompleted()) && !(await holder.isFailed())) return false;
    if (await holder.removeDeduplicationKey()) {
      log.warn({ job: holder.name, queueJob: id }, 'freed the name of a finished run that still held it');
    }
    return true;
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

  /** Passes the progress queue job `id` reports to `onProgress`; returns the function that stops listening. */
  async function listenForProgress(id: string, onProgress: (progress: StreamProgress) => void) {
    const queueEvents = await openEvents();
    const onEvent = ({ jobId, data }: { jobId: string; data: unknown }) => {
      if (jobId === id && data && typeof data === 'object') onProgress(data as StreamProgress);
    };
    queueEvents.on('progress', onEvent);
    return () => void queueEvents.off('progress', onEvent);
  }

  return {
    queue,
    connected,
    enqueue,
    async trigger(job, options) {
      await connected();
      const id = randomUUID();
      // Listened for before the job exists (its id is chosen here), so no progress report is missed.
      const stopListening = options.onProgress ? await listenForProgress(id, options.onProgress) : undefined;
      const data: QueueJobData = { trigger: options.trigger ?? 'manual', args: options.args ?? {} };
      let holder: string;
      try {
        holder = await enqueue(job, data, (options.retries ?? job.retries) + 1, id);
      } catch (error) {
        stopListening?.();
        throw error;
      }
      if (holder !== id) {
        stopListening?.();
        const message = `Job ${job.name} is already running (queue job ${holder}): wait for it to finish`;
        throw new EtlError('ETL_JOB_ALREADY_RUNNING', message, { retryable: true });
      }
      // Followed lazily otherwise: a caller that only enqueues (the bench, the API) opens no event stream.
      let done = stopListening ? follow(id, job.name).finally(stopListening) : undefined;
      return {
        id,
        get done() {
          done ??= follow(id, job.name);
          return done;
        },
      };
    },
    async close() {
      await (await events?.catch(() => undefined))?.close();
      await queue.close();
    },
  };
}
