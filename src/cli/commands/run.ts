import type { Command } from 'commander';
import { type App, createApp } from '../../app.ts';
import { onShutdown } from '../../internal/shutdown.ts';
import type { JobResult } from '../../jobs/defineJob.ts';
import { runOutcome } from '../../pipeline/status.ts';
import { bootstrap, fail } from '../bootstrap.ts';
import { COMMAND_LIST } from '../commandList.ts';
import { OUTCOME_MARK } from '../outcomeMark.ts';
import { createProgressReporter } from '../progress.ts';

/** Prints a job's outcome, one line per step. */
export function printJobResult(result: JobResult): void {
  for (const run of result.runs) {
    const line = `${OUTCOME_MARK[runOutcome(run.status, run.rowsRejected)]} ${run.stream}: ${run.rowsExtracted} extracted, ${run.rowsLoaded} loaded, ${run.rowsRejected} rejected (${(run.durationMs / 1000).toFixed(1)} s)`;
    process.stdout.write(`${line}${run.error ? `\n    ${run.error}` : ''}\n`);
  }
  if (result.status === 'failed' && result.runs.length === 0)
    process.stdout.write(`✗ ${result.job}: ${result.error}\n`);
}

interface RunOptions {
  from?: string;
  to?: string;
  follow?: boolean;
  retry: boolean;
  wait?: boolean;
}

/** Waits for a triggered job, prints its outcome, closes the app and exits 0 when it succeeded, else 1. */
export async function exitWithJobResult(
  app: App,
  done: Promise<JobResult>,
  progress: { stop(): void },
): Promise<never> {
  const result = await done;
  progress.stop();
  printJobResult(result);
  await app.close();
  process.exit(result.status === 'succeeded' ? 0 : 1);
}

export function registerRun(program: Command): void {
  program
    .command(COMMAND_LIST.run.usage)
    .description(COMMAND_LIST.run.summary)
    .option('--from <n>', 'first block or date of a backfill (jobs that take a range)')
    .option('--to <n>', 'last block or date of a backfill')
    .option('--follow', 'keep following the head (evm-blocks)')
    .option('--no-retry', 'fail at the first error instead of retrying')
    .option('--wait', 'queue mode: follow the job to its end and exit 1 if it failed (inline mode always waits)')
    .action(async (name: string, opts: RunOptions) => {
      const { config, log } = bootstrap();
      const progress = createProgressReporter();
      try {
        const app = await createApp({ config, log });
        const args = Object.fromEntries(
          Object.entries({ from: opts.from, to: opts.to, follow: opts.follow }).filter(([, v]) => v !== undefined),
        );
        const queued = app.executor.kind === 'queue';
        const triggered = await app.executor.trigger(name, {
          args,
          onProgress: queued && !opts.wait ? undefined : progress.onProgress,
          retries: opts.retry ? undefined : 0,
        });
        if (queued && !opts.wait) {
          process.stdout.write(
            `queued ${name} as job ${triggered.id}: \`crypto-etl status\` or /jobs/queues shows it\n`,
          );
          await app.close();
          process.exit(0);
        }
        // Queue mode: the job belongs to the workers, so a signal only stops following it.
        onShutdown({
          onSignal: queued
            ? () => {
                progress.stop();
                process.stdout.write(`stopped following job ${triggered.id}; it carries on on the workers\n`);
                process.exit(130);
              }
            : () => app.executor.stop(),
        });
        await exitWithJobResult(app, triggered.done, progress);
      } catch (error) {
        progress.stop();
        fail(error);
      }
    });
}
