import type { Command } from 'commander';
import { createApp } from '../../app.ts';
import type { Config } from '../../config.ts';
import { EtlError } from '../../internal/errors.ts';
import { onShutdown } from '../../internal/shutdown.ts';
import { bootstrap, fail } from '../bootstrap.ts';
import { COMMAND_LIST } from '../commandList.ts';

/** Stops the command with a clear message when REDIS_URL is unset: the queue commands mean nothing without it. */
export function requireQueue(config: Config, command: string): void {
  if (config.queue.redisUrl) return;
  fail(
    new EtlError(
      'ETL_QUEUE_DISABLED',
      `crypto-etl ${command} needs REDIS_URL (redis://host:6379): without it, \`crypto-etl start\` runs the schedule and the jobs in-process`,
    ),
    2,
  );
}

/** A positive integer CLI option, or a clear error naming it. */
export function positiveInt(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    fail(new EtlError('ETL_INPUT_INVALID', `${option} (got "${value}"): expected a positive integer`), 2);
  }
  return n;
}

export function registerWorker(program: Command): void {
  program
    .command(COMMAND_LIST.worker.usage)
    .description(COMMAND_LIST.worker.summary)
    .option('-c, --concurrency <n>', 'jobs this process runs at once (default WORKER_CONCURRENCY)')
    .option(
      '--lock-ms <ms>',
      "how long a job's lock lives unrenewed: a killed worker's job moves to another worker after about this long",
      '30000',
    )
    .action(async (opts: { concurrency?: string; lockMs: string }) => {
      const { config, log } = bootstrap();
      requireQueue(config, 'worker');
      const concurrency = positiveInt(opts.concurrency, '--concurrency');
      const lockMs = positiveInt(opts.lockMs, '--lock-ms');
      try {
        const app = await createApp({ config, log, queue: { worker: { concurrency, lockMs } } });
        onShutdown({
          async onSignal(signal) {
            log.info(
              { signal },
              'worker stopping: the jobs in flight reach their next checkpoint and go back to the queue',
            );
            await app.close();
            log.info('worker stopped');
            process.exit(0);
          },
          onSecondSignal: (signal) =>
            log.warn({ signal }, 'second signal: exiting now; the job in flight is picked up by another worker'),
        });
        await app.executor.start();
      } catch (error) {
        fail(error);
      }
    });
}
