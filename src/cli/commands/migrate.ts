import type { Command } from 'commander';
import { createDatabase } from '../../db/createDatabase.ts';
import { migrate } from '../../db/migrate.ts';
import { applyModels } from '../../transforms/applyModels.ts';
import { bootstrap, fail } from '../bootstrap.ts';
import { COMMAND_LIST } from '../commandList.ts';

export function registerMigrate(program: Command): void {
  program
    .command(COMMAND_LIST.migrate.usage)
    .description(COMMAND_LIST.migrate.summary)
    .action(async () => {
      const { config, log } = bootstrap();
      try {
        const db = await createDatabase(config);
        const { applied } = await migrate(db, { reset: config.dev, log });
        const models = await applyModels(db);
        process.stdout.write(`migrations applied: ${applied.length ? applied.join(', ') : 'none (up to date)'}\n`);
        process.stdout.write(`warehouse models: ${models.join(', ')}\n`);
        await db.close();
      } catch (error) {
        fail(error);
      }
    });
}
