import { describe, expect, it } from 'vitest';
import { testConfig } from '../../test/helpers/config.ts';
import { EtlError } from '../internal/errors.ts';
import { silentLogger } from '../internal/logger.ts';
import type { JobContext, JobDefinition, JobResult } from './defineJob.ts';
import { createInlineExecutor } from './inlineExecutor.ts';
import { createJobRunner } from './jobRunner.ts';

const log = silentLogger();

function harness(run: (ctx: JobContext) => Promise<JobResult>, extra: Partial<JobDefinition> = {}) {
  const job: JobDefinition = {
    name: 'demo',
    description: 'test job',
    schedule: '0 9 * * *',
    timeoutMs: 5_000,
    retries: 2,
    run,
    ...extra,
  };
  const alerts: JobResult[] = [];
  // The job runner only hands db and runner through to jobs; these jobs use neither.
  const jobRunner = createJobRunner({
    config: testConfig(),
    db: undefined as never,
    runner: undefined as never,
    log,
    retryBaseMs: 5,
    onFinalFailure: (result) => {
      alerts.push(result);
    },
  });
  return { executor: createInlineExecutor({ catalogue: [job], jobRunner, log }), alerts };
}

const ok = (): JobResult => ({ job: 'demo', status: 'succeeded', runs: [] });
const failed = (retryable: boolean): JobResult => ({
  job: 'demo',
  status: 'failed',
  runs: [],
  error: 'boom',
  retryable,
});

describe('inline executor', () => {
  it('behavior: a job never overlaps itself', async () => {
    let release = () => {};
    const { executor } = harness(() => new Promise((resolve) => (release = () => resolve(ok()))));
    const first = await executor.trigger('demo');
    await expect(executor.trigger('demo')).rejects.toSatisfy(
      (e) => e instanceof EtlError && e.code === 'ETL_JOB_ALREADY_RUNNING',
    );
    release();
    expect((await first.done).status).toBe('succeeded');
    const second = await executor.trigger('demo');
    release();
    expect((await second.done).status).toBe('succeeded');
  });

  it('behavior: a retryable failure is retried, then alerts exactly once', async () => {
    let calls = 0;
    const { executor, alerts } = harness(async () => {
      calls++;
      return failed(true);
    });
    const result = await (await executor.trigger('demo')).done;
    expect(result.status).toBe('failed');
    expect(calls).toBe(3);
    expect(alerts).toHaveLength(1);
  });

  it('behavior: a job that fails as the executor stops is neither retried nor alerted (the next start resumes it)', async () => {
    let calls = 0;
    const { executor, alerts } = harness(
      ({ signal }) =>
        new Promise((resolve) => {
          calls++;
          signal.addEventListener('abort', () => resolve(failed(true)));
        }),
      { retries: 3 },
    );
    const triggered = await executor.trigger('demo');
    await executor.stop();
    expect((await triggered.done).status).toBe('failed');
    expect(calls).toBe(1);
    expect(alerts).toHaveLength(0);
  });

  it('behavior: a non-retryable failure is not retried; success after a retry does not alert', async () => {
    let calls = 0;
    const once = harness(async () => {
      calls++;
      return failed(false);
    });
    await (await once.executor.trigger('demo')).done;
    expect(calls).toBe(1);
    let attempts = 0;
    const flaky = harness(async () => (++attempts < 2 ? failed(true) : ok()));
    expect((await (await flaky.executor.trigger('demo')).done).status).toBe('succeeded');
    expect(flaky.alerts).toHaveLength(0);
  });

  it('behavior: the schedule is in UTC and a run past its timeout fails', async () => {
    const { executor } = harness(
      ({ signal }) => new Promise((resolve) => signal.addEventListener('abort', () => resolve(failed(false)))),
      { timeoutMs: 50, retries: 0 },
    );
    await executor.start();
    expect(executor.nextRun('demo')?.getUTCHours()).toBe(9);
    const result = await (await executor.trigger('demo')).done;
    expect(result.error).toMatch(/ETL_JOB_TIMEOUT: demo ran longer than 50 ms/);
    await executor.stop();
    expect(executor.nextRun('demo')).toBeNull();
  });

  it('error: a run that rejects with its signal on a timeout fails as a retryable ETL_JOB_TIMEOUT', async () => {
    let attempts = 0;
    const { executor } = harness(
      ({ signal }) => {
        attempts++;
        // As fetch and streams do: reject with the signal's reason.
        return new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
      },
      { timeoutMs: 50, retries: 1 },
    );
    const result = await (await executor.trigger('demo')).done;
    expect(result).toMatchObject({ status: 'failed', retryable: true });
    expect(result.error).toMatch(/^ETL_JOB_TIMEOUT: demo ran longer than 50 ms/);
    expect(attempts).toBe(2);
  });

  it('behavior: a run stopped by shutdown before its timeout is not reported as a timeout', async () => {
    const { executor } = harness(
      ({ signal }) =>
        new Promise((resolve) =>
          signal.addEventListener('abort', () =>
            // Its checkpoint takes longer than the timeout: the stop stays the reason.
            setTimeout(() => resolve({ job: 'demo', status: 'failed', runs: [], error: 'ETL_ABORTED' }), 150),
          ),
        ),
      { timeoutMs: 100, retries: 0 },
    );
    const triggered = await executor.trigger('demo');
    await new Promise((r) => setTimeout(r, 20));
    await executor.stop();
    expect((await triggered.done).error).toBe('ETL_ABORTED');
  });
});
