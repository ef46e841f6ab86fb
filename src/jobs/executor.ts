import type { RunTrigger } from '../pipeline/runLog.ts';
import type { StreamProgress } from '../pipeline/runner.ts';
import type { JobResult } from './defineJob.ts';

export interface TriggerOptions {
  trigger?: RunTrigger;
  args?: Record<string, unknown>;
  onProgress?: (progress: StreamProgress) => void;
  /** Overrides the job's retry count (start-up loads use 0: the schedule tries again later). */
  retries?: number;
}

export interface Triggered {
  /** The executor's id of this run (a BullMQ job id in queue mode). */
  id: string;
  /** Settles when the job ends, after its retries. */
  done: Promise<JobResult>;
}

/** The one contract of the two executors: inline (croner, in-process) and queue (BullMQ on Redis). */
export interface Executor {
  readonly kind: 'inline' | 'queue';
  /** Starts the schedule (and, in queue mode, the worker when this process runs one). */
  start(): Promise<void>;
  trigger(job: string, options?: TriggerOptions): Promise<Triggered>;
  /** The next scheduled time of a job, or null when it has no schedule. */
  nextRun(job: string): Date | null;
  /** Stops scheduling and lets the jobs in flight finish (or hands them back, in queue mode). */
  stop(): Promise<void>;
}
