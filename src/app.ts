import type { Config } from './config.ts';
import { createDatabase } from './db/createDatabase.ts';
import { migrate } from './db/migrate.ts';
import type { Db } from './db/types.ts';
import type { Logger } from './internal/logger.ts';
import { buildCatalogue } from './jobs/catalogue.ts';
import type { JobDefinition, JobResult } from './jobs/defineJob.ts';
import type { Executor } from './jobs/executor.ts';
import { createInlineExecutor } from './jobs/inlineExecutor.ts';
import { createJobRunner, type JobRunner } from './jobs/jobRunner.ts';
import { createRunner, type Runner } from './pipeline/runner.ts';
import { applyModels } from './transforms/applyModels.ts';

/** Everything a command needs, built once from config: the database, the runner, the jobs and an executor. */
export interface App {
  config: Config;
  log: Logger;
  db: Db;
  runner: Runner;
  catalogue: JobDefinition[];
  jobRunner: JobRunner;
  executor: Executor;
  close(): Promise<void>;
}

export interface CreateAppOptions {
  config: Config;
  log: Logger;
  /** An open database (tests pass one); otherwise opened from config. */
  db?: Db;
  /** Apply migrations and warehouse models first (default true). */
  migrate?: boolean;
  onFinalFailure?: (result: JobResult, job: JobDefinition) => Promise<void> | void;
  retryBaseMs?: number;
}

export async function createApp(options: CreateAppOptions): Promise<App> {
  const { config, log } = options;
  const db = options.db ?? (await createDatabase(config));
  if (options.migrate !== false) {
    await migrate(db, { reset: config.dev, log });
    await applyModels(db);
  }
  const runner = createRunner({ db, log });
  const catalogue = buildCatalogue({ config, log });
  const jobRunner = createJobRunner({
    config,
    db,
    log,
    runner,
    onFinalFailure: options.onFinalFailure,
    retryBaseMs: options.retryBaseMs,
  });
  const executor = createInlineExecutor({ catalogue, jobRunner, log });
  return {
    config,
    log,
    db,
    runner,
    catalogue,
    jobRunner,
    executor,
    async close() {
      await executor.stop();
      if (!options.db) await db.close();
    },
  };
}
