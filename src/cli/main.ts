import { Command } from 'commander';
import { COMMAND_LIST, type CommandName } from './commandList.ts';

type Register = (program: Command) => void;

/**
 * Each command's module is imported only when that command runs: the whole app (every source, the server,
 * the queue) costs ~100 MB of memory and most of a second of start-up that `backfill` or `status` does not need,
 * and `crypto-etl --help` none of it: it lists the commands from their declared usage and summary.
 */
const COMMANDS: Record<CommandName, () => Promise<Register>> = {
  start: async () => (await import('./commands/start.ts')).registerStart,
  run: async () => (await import('./commands/run.ts')).registerRun,
  status: async () => (await import('./commands/status.ts')).registerStatus,
  migrate: async () => (await import('./commands/migrate.ts')).registerMigrate,
  backfill: async () => (await import('./commands/backfill.ts')).registerBackfill,
  serve: async () => (await import('./commands/serve.ts')).registerServe,
  worker: async () => (await import('./commands/worker.ts')).registerWorker,
  scheduler: async () => (await import('./commands/scheduler.ts')).registerScheduler,
  dune: async () => (await import('./commands/dune.ts')).registerDune,
  export: async () => (await import('./commands/export.ts')).registerExport,
  lake: async () => (await import('./commands/lake.ts')).registerLake,
};

const program = new Command()
  .name('crypto-etl')
  .description('Extract crypto market and on-chain data, load it idempotently, transform it, schedule it, show it.')
  .showHelpAfterError();

const asked = process.argv[2];
if (asked && asked in COMMANDS) {
  await (await COMMANDS[asked as CommandName]())(program);
} else {
  // `crypto-etl --help`, a typo or no command at all: every command's usage and summary, for help and suggestions.
  for (const { usage, summary } of Object.values(COMMAND_LIST)) program.command(usage).description(summary);
}

await program.parseAsync(process.argv);
