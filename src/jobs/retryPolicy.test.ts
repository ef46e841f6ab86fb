import { describe, expect, it } from 'vitest';
import { afterAttempt, retryDelayMs } from './retryPolicy.ts';

const state = { attempt: 1, attempts: 3, retryBaseMs: 100 };
const failed = (retryable: boolean) => ({ status: 'failed' as const, retryable });

describe('afterAttempt: the one retry-and-alert policy', () => {
  it('behavior: a success is done, whatever the attempt or a stop', () => {
    expect(afterAttempt({ status: 'succeeded' }, { ...state, attempt: 3, stopping: true })).toEqual({ next: 'done' });
  });

  it('behavior: a retryable failure is tried again with exponential backoff while attempts are left', () => {
    expect(afterAttempt(failed(true), state)).toEqual({ next: 'retry', delayMs: 100 });
    expect(afterAttempt(failed(true), { ...state, attempt: 2 })).toEqual({ next: 'retry', delayMs: 200 });
  });

  it('behavior: the last attempt, or a failure that cannot pass, alerts', () => {
    expect(afterAttempt(failed(true), { ...state, attempt: 3 })).toEqual({ next: 'alert' });
    expect(afterAttempt(failed(false), state)).toEqual({ next: 'alert' });
    expect(afterAttempt({ status: 'failed' }, state)).toEqual({ next: 'alert' });
  });

  it('behavior: a failure while the executor stops is neither retried nor alerted', () => {
    expect(afterAttempt(failed(true), { ...state, stopping: true })).toEqual({ next: 'stop' });
    expect(afterAttempt(failed(false), { ...state, attempt: 3, stopping: true })).toEqual({ next: 'stop' });
  });

  it('args: the backoff doubles from its base', () => {
    expect([1, 2, 3, 4].map((attempt) => retryDelayMs(5_000, attempt))).toEqual([5_000, 10_000, 20_000, 40_000]);
  });
});
