import type { JobResult } from './defineJob.ts';

/**
 * What follows an attempt of a job. `alert`: it failed for good, and this is the one alert.
 * `stop`: the executor is stopping; the job is neither tried again here nor alerted on (the next start, or another
 * worker, resumes it).
 */
export type AfterAttempt = { next: 'done' } | { next: 'retry'; delayMs: number } | { next: 'alert' } | { next: 'stop' };

export interface AttemptState {
  /** The attempt that just ended, 1 for the first. */
  attempt: number;
  /** Attempts allowed in all: the job's retries + 1. */
  attempts: number;
  /** First delay of the exponential backoff between attempts. */
  retryBaseMs: number;
  /** The executor is stopping (shutdown). */
  stopping?: boolean;
}

/**
 * The retry-and-alert policy of both executors, as one pure function: a failure that may pass (`retryable`) is
 * tried again with exponential backoff while attempts are left; any other failure, or the last, alerts once.
 */
export function afterAttempt(result: Pick<JobResult, 'status' | 'retryable'>, state: AttemptState): AfterAttempt {
  if (result.status === 'succeeded') return { next: 'done' };
  if (state.stopping) return { next: 'stop' };
  if (result.retryable && state.attempt < state.attempts) {
    return { next: 'retry', delayMs: retryDelayMs(state.retryBaseMs, state.attempt) };
  }
  return { next: 'alert' };
}

/** The wait after failed attempt `attempt` (1, 2, 3…): `baseMs`, 2 × `baseMs`, 4 × `baseMs`… */
export function retryDelayMs(baseMs: number, attempt: number): number {
  return baseMs * 2 ** (attempt - 1);
}
