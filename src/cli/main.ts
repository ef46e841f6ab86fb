import { Command } from 'commander';

type Register = (program: Command) => void;

/**
 * Each command's module is imported only when that command runs: the whole app (every source, the server,
 * the queue) costs ~200 MB of memory and a second of start-up that `backfill` or `status` does not need.
 */
const COMMANDS: Record<string, () => Promise<Register>> = {
  start: async () => (await import('./commands/start.ts')).registerStart,
  run: async () => (await import('./commands/run.ts')).registerRun,
  status: async () => (await import('./commands/status.ts')).registerStatus,
  migrate: async () => (await import('./commands/migrate.ts')).registerMigrate,
  backfill: async () => (await import('./commands/backfill.ts')).registerBackfill,
  serve: async () => (await import('./commands/serve.ts')).registerServe,
  worker: async () => (await import('./commands/worker.ts')).registerWorker,
  scheduler: async () => (await import('./commands/scheduler.ts')).registerScheduler,
  dune: async () => (await import('./commands/dune.ts')).registerDune,
};

const program = new Command()
  .name('crypto-etl')
  .description('Extract crypto market and on-chain data, load it idempotently, transform it, schedule it, show it.')
  .showHelpAfterError();

const asked = process.argv[2];
// `crypto-etl --help`, a typo or no command at all: register everything so help and suggestions are complete.
const names = asked && asked in COMMANDS ? [asked] : Object.keys(COMMANDS);
for (const name of names) (await (COMMANDS[name] as () => Promise<Register>)())(program);

await program.parseAsync(process.argv);
