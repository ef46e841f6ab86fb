import type { Command } from 'commander';
import { createApp } from '../../app.ts';
import type { JobResult } from '../../jobs/defineJob.ts';
import { bootstrap, fail } from '../bootstrap.ts';
import { createProgressReporter } from '../progress.ts';

/** Prints a job's outcome, one line per step. */
export function printJobResult(result: JobResult): void {
  for (const run of result.runs) {
    const line = `${run.status === 'succeeded' ? '✓' : '✗'} ${run.stream}: ${run.rowsExtracted} extracted, ${run.rowsLoaded} loaded, ${run.rowsRejected} rejected (${(run.durationMs / 1000).toFixed(1)} s)`;
    process.stdout.write(`${line}${run.error ? `\n    ${run.error}` : ''}\n`);
  }
  if (result.status === 'failed' && result.runs.length === 0)
    process.stdout.write(`✗ ${result.job}: ${result.error}\n`);
}

export function registerRun(program: Command): void {
  program
    .command('run <job>')
    .description('Run one job now and wait for it; exits 1 when it fails (see `crypto-etl status` for job names)')
    .option('--from <n>', 'first block or date of a backfill (jobs that take a range)')
    .option('--to <n>', 'last block or date of a backfill')
    .option('--follow', 'keep following the head (evm-blocks)')
    .option('--no-retry', 'fail at the first error instead of retrying')
    .action(async (name: string, opts: { from?: string; to?: string; follow?: boolean; retry: boolean }) => {
      const { config, log } = bootstrap();
      const progress = createProgressReporter();
      try {
        const app = await createApp({ config, log });
        const args = Object.fromEntries(
          Object.entries({ from: opts.from, to: opts.to, follow: opts.follow }).filter(([, v]) => v !== undefined),
        );
        const triggered = await app.executor.trigger(name, {
          args,
          onProgress: progress.onProgress,
          retries: opts.retry ? undefined : 0,
        });
        const stop = () => void app.executor.stop();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        const result = await triggered.done;
        progress.stop();
        printJobResult(result);
        await app.close();
        process.exit(result.status === 'succeeded' ? 0 : 1);
      } catch (error) {
        progress.stop();
        fail(error);
      }
    });
}
