import { Command } from 'commander';
import { registerMigrate } from './commands/migrate.ts';
import { registerRun } from './commands/run.ts';
import { registerStart } from './commands/start.ts';
import { registerStatus } from './commands/status.ts';

const program = new Command()
  .name('crypto-etl')
  .description('Extract crypto market and on-chain data, load it idempotently, transform it, schedule it, show it.')
  .showHelpAfterError();

registerStart(program);
registerRun(program);
registerStatus(program);
registerMigrate(program);

await program.parseAsync(process.argv);
