import type { Command } from 'commander';
import { createApp } from '../../app.ts';
import { describeError } from '../../internal/errors.ts';
import { onShutdown } from '../../internal/shutdown.ts';
import { markSandboxData } from '../../pipeline/status.ts';
import { type Sandbox, startSandbox } from '../../sandbox/startSandbox.ts';
import { createServer } from '../../server/createServer.ts';
import { bootstrap, fail } from '../bootstrap.ts';
import { COMMAND_LIST } from '../commandList.ts';
import { printJobResult } from './run.ts';

/** The jobs `start` runs once before waiting on the schedule. */
export const INITIAL_LOAD = [
  'coingecko-coins',
  'coingecko-markets',
  'coingecko-prices',
  'dune-init',
  'coincap-assets',
  'coincap-markets',
  'coincap-history',
];

export function registerStart(program: Command): void {
  program
    .command(COMMAND_LIST.start.usage)
    .description(COMMAND_LIST.start.summary)
    .option('--sandbox', 'use the built-in emulators (synthetic data, no network or API key needed)')
    .option('--no-initial-load', 'skip the initial load and only keep the schedule')
    .action(async (opts: { sandbox?: boolean; initialLoad: boolean }) => {
      let sandbox: Sandbox | undefined;
      if (opts.sandbox) sandbox = await startSandbox();
      const { config, log } = bootstrap({ overrides: sandbox?.overrides });
      try {
        // With REDIS_URL this one process is the scheduler and a worker too (more workers: `crypto-etl worker`).
        const app = await createApp({ config, log, queue: { scheduler: true, worker: {} } });
        if (config.sandbox) {
          await markSandboxData(app.db);
          log.warn('SANDBOX mode: upstreams are the built-in emulators; all data is SYNTHETIC');
          for (const warning of sandbox?.warnings ?? []) log.warn(warning);
        }
        const server = await createServer(app);
        const address = await server.listen({ port: config.port, host: config.host });
        log.info(`dashboard at ${address}/ · API docs at ${address}/docs · status page at ${address}/status`);
        const shutdown = onShutdown({
          async onSignal(signal) {
            log.info({ signal }, 'shutting down: finishing the batch in flight');
            await server.close();
            await app.close();
            await sandbox?.close();
            process.exit(0);
          },
          onSecondSignal: (signal) => log.warn({ signal }, 'second signal: exiting now'),
        });
        await app.executor.start();
        if (opts.initialLoad) {
          const load = [
            ...INITIAL_LOAD.map((job) => ({ job, args: {} })),
            ...(sandbox?.initialLoad ?? []),
            // Checked once everything has loaded, so the Data quality page is never empty on a first look.
            { job: 'quality', args: {} },
          ];
          for (const { job, args } of load.filter(({ job }) => app.catalogue.some((j) => j.name === job))) {
            if (shutdown.signal.aborted) break;
            try {
              // No retries at start-up: the schedule tries again, and the user learns at once what is wrong.
              const result = await (await app.executor.trigger(job, { trigger: 'startup', retries: 0, args })).done;
              printJobResult(result);
              if (result.status === 'failed') log.error(`${job} failed: ${result.error}`);
            } catch (error) {
              log.error(`${job} not started: ${describeError(error)}`);
            }
          }
        }
        log.info('waiting on the schedule; Ctrl-C to stop');
      } catch (error) {
        await sandbox?.close();
        fail(error);
      }
    });
}
