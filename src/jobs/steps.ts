import { describeError, EtlError } from '../internal/errors.ts';
import { createRunLog } from '../pipeline/runLog.ts';
import type { RunResult } from '../pipeline/runner.ts';
import type { StreamDefinition } from '../pipeline/stream.ts';
import type { JobContext, JobResult } from './defineJob.ts';

/** A job's steps: streams through the runner, or plain functions (transforms) recorded as runs too. */
export type Step =
  // biome-ignore lint/suspicious/noExplicitAny: streams of any record and cursor type run through the same runner
  | { stream: StreamDefinition<any, any> }
  | { name: string; run: (ctx: JobContext) => Promise<{ rowsLoaded?: number } | undefined> };

/** Runs steps in order, stopping at the first failure, and reports the job's result. */
export async function runSteps(job: string, ctx: JobContext, steps: readonly Step[]): Promise<JobResult> {
  const runs: RunResult[] = [];
  for (const step of steps) {
    const result =
      'stream' in step
        ? await ctx.runner.runStream(step.stream, {
            job,
            trigger: ctx.trigger,
            signal: ctx.signal,
            onProgress: ctx.onProgress,
          })
        : await runPlainStep(job, ctx, step.name, step.run);
    runs.push(result);
    if (result.status === 'failed') {
      return { job, status: 'failed', runs, error: result.error, retryable: retryable(result.cause) };
    }
  }
  return { job, status: 'succeeded', runs };
}

async function runPlainStep(
  job: string,
  ctx: JobContext,
  name: string,
  fn: (ctx: JobContext) => Promise<{ rowsLoaded?: number } | undefined>,
): Promise<RunResult> {
  const runLog = createRunLog(ctx.db, ctx.db.schemas);
  const started = Date.now();
  const runId = await runLog.start(job, name, ctx.trigger);
  const counts = { rowsExtracted: 0, rowsLoaded: 0, rowsRejected: 0 };
  try {
    const out = await fn(ctx);
    counts.rowsLoaded = out?.rowsLoaded ?? 0;
    await runLog.finish(runId, 'succeeded', counts);
    return { runId, job, stream: name, status: 'succeeded', ...counts, durationMs: Date.now() - started };
  } catch (error) {
    const message = describeError(error);
    ctx.log.error({ job, step: name, error: message }, 'step failed');
    await runLog.finish(runId, 'failed', counts, message);
    return {
      runId,
      job,
      stream: name,
      status: 'failed',
      ...counts,
      error: message,
      cause: error,
      durationMs: Date.now() - started,
    };
  }
}

function retryable(cause: unknown): boolean {
  return cause instanceof EtlError ? cause.retryable : true;
}
