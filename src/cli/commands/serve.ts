import type { Command } from 'commander';
import { createApp } from '../../app.ts';
import { onShutdown } from '../../internal/shutdown.ts';
import { createServer } from '../../server/createServer.ts';
import { bootstrap, fail } from '../bootstrap.ts';
import { COMMAND_LIST } from '../commandList.ts';

/**
 * `crypto-etl serve`: the API, the dashboard and /metrics, without the schedule. Jobs triggered over the API
 * run in this process (inline executor) or go to the workers (REDIS_URL set).
 */
export function registerServe(program: Command): void {
  program
    .command(COMMAND_LIST.serve.usage)
    .description(COMMAND_LIST.serve.summary)
    .option('-p, --port <port>', 'port to listen on (default PORT)')
    .option('-H, --host <host>', 'interface to listen on (default HOST)')
    .action(async (opts: { port?: string; host?: string }) => {
      const overrides = Object.fromEntries(
        Object.entries({ PORT: opts.port, HOST: opts.host }).filter(([, v]) => v !== undefined),
      );
      const { config, log } = bootstrap({ overrides });
      try {
        const app = await createApp({ config, log });
        const server = await createServer(app);
        const address = await server.listen({ port: config.port, host: config.host });
        log.info(`dashboard at ${address}/ · API docs at ${address}/docs · metrics at ${address}/metrics`);
        onShutdown({
          async onSignal(signal) {
            log.info({ signal }, 'server stopping');
            await server.close();
            await app.close();
            process.exit(0);
          },
          onSecondSignal: (signal) => log.warn({ signal }, 'second signal: exiting now'),
        });
      } catch (error) {
        fail(error);
      }
    });
}
