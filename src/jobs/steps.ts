import { isRetryable } from '../internal/errors.ts';
import type { RunResult } from '../pipeline/runner.ts';
import type { StreamDefinition } from '../sources/stream.ts';
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
      return { job, status: 'failed', runs, error: result.error, retryable: isRetryable(result.cause) };
    }
  }
  return { job, status: 'succeeded', runs };
}

/** A step that is not a stream (a transform, a check) is a run of its own, through the same runner. */
function runPlainStep(
  job: string,
  ctx: JobContext,
  name: string,
  fn: (ctx: JobContext) => Promise<{ rowsLoaded?: number } | undefined>,
): Promise<RunResult> {
  return ctx.runner.run({ stream: name }, { job, trigger: ctx.trigger, signal: ctx.signal }, async (session) => {
    const out = await fn(ctx);
    session.count({ rowsLoaded: out?.rowsLoaded ?? 0 });
  });
}
