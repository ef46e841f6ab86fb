import type { Command } from 'commander';
import { createApp } from '../../app.ts';
import { bootstrap, fail } from '../bootstrap.ts';
import { COMMAND_LIST } from '../commandList.ts';
import { requireQueue } from './worker.ts';

export function registerScheduler(program: Command): void {
  program
    .command(COMMAND_LIST.scheduler.usage)
    .description(COMMAND_LIST.scheduler.summary)
    .action(async () => {
      const { config, log } = bootstrap();
      requireQueue(config, 'scheduler');
      try {
        // Redis keeps the schedules once registered: workers create each next run, so nothing stays up here.
        const app = await createApp({ config, log, queue: { scheduler: true } });
        await app.executor.start();
        const out = ['Job schedulers registered (cron in UTC)'];
        for (const job of app.catalogue) {
          const next = app.executor.nextRun(job.name);
          out.push(
            `  ${job.name.padEnd(20)} ${(job.schedule ?? 'off').padEnd(12)} ${next ? `next ${next.toISOString()}` : 'manual only'}`,
          );
        }
        process.stdout.write(`${out.join('\n')}\n`);
        await app.close();
        process.exit(0);
      } catch (error) {
        fail(error);
      }
    });
}
