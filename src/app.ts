import type { Common } from './common.ts';
import { type Config, configSecrets } from './config.ts';
import { createDatabase } from './db/createDatabase.ts';
import { migrate } from './db/migrate.ts';
import type { Db } from './db/types.ts';
import { type Clock, systemClock } from './internal/clock.ts';
import type { Logger } from './internal/logger.ts';
import type { Metrics } from './internal/metrics.ts';
import type { JobDefinition, JobResult } from './jobs/defineJob.ts';
import type { Executor } from './jobs/executor.ts';
import type { JobRunner } from './jobs/jobRunner.ts';
import type { QueueWorkerOptions } from './jobs/queueExecutor.ts';
import type { Runner } from './pipeline/runner.ts';
import { applyModels } from './transforms/applyModels.ts';

/**
 * The modules of the runner and the jobs (the sources and their clients: hundreds of files, most of a command's
 * start-up), imported while the database is opened and migrated rather than before: the process compiles them
 * while it waits for the database.
 */
const importParts = () =>
  Promise.all([
    import('./internal/metrics.ts'),
    import('./jobs/alerts.ts'),
    import('./jobs/catalogue.ts'),
    import('./jobs/inlineExecutor.ts'),
    import('./jobs/jobRunner.ts'),
    import('./pipeline/runner.ts'),
  ]);

/** Everything a command needs, built once from config: the database, the runner, the jobs and an executor. */
export interface App {
  /** The dependencies every factory was given (see common.ts). */
  common: Common;
  config: Config;
  log: Logger;
  db: Db;
  runner: Runner;
  catalogue: JobDefinition[];
  jobRunner: JobRunner;
  executor: Executor;
  /** Prometheus metrics of this process (served at /metrics). */
  metrics: Metrics;
  /**
   * How many times this process committed data: each checkpoint, and each run's end (a rollup refresh or other
   * transform is a run). The API's answer cache is keyed by it, so it never serves what this process replaced.
   */
  commits(): number;
  close(): Promise<void>;
}

export interface CreateAppOptions {
  config: Config;
  log: Logger;
  /** An open database (tests pass one); otherwise opened from config. */
  db?: Db;
  /** Apply migrations and warehouse models first (default true). */
  migrate?: boolean;
  /** Called once per job that fails after its retries; default: the alert sender (webhook, e-mail, log). */
  onFinalFailure?: (result: JobResult, job: JobDefinition) => Promise<void> | void;
  retryBaseMs?: number;
  /** What the jobs take for "now" when they decide by the calendar (tests and the sandbox pin it). */
  now?: Clock;
  /** With REDIS_URL (queue mode): whether `executor.start()` registers the schedules and/or runs a worker here. */
  queue?: { scheduler?: boolean; worker?: QueueWorkerOptions };
}

export async function createApp(options: CreateAppOptions): Promise<App> {
  const { config, log } = options;
  const parts = importParts();
  // Awaited below; a failure to open or migrate the database is the error to report first.
  parts.catch(() => {});
  const db = options.db ?? (await createDatabase(config, log));
  if (options.migrate !== false) {
    await migrate(db, { reset: config.dev, log });
    await applyModels(db);
  }
  const [
    { createMetrics },
    { createAlertSender },
    { buildCatalogue },
    { createInlineExecutor },
    { createJobRunner },
    { createRunner },
  ] = await parts;
  // Aborted when the app closes: every command's shutdown (internal/shutdown.ts) ends by closing it.
  const stopping = new AbortController();
  const common: Common = {
    config,
    db,
    log,
    metrics: createMetrics(),
    now: options.now ?? systemClock,
    shutdown: stopping.signal,
  };
  const { metrics } = common;
  let commits = 0;
  const runner = createRunner({
    ...common,
    hooks: {
      ...metrics.runnerHooks,
      runFinished(result) {
        commits++;
        metrics.runnerHooks.runFinished(result);
      },
      checkpointCommitted() {
        commits++;
      },
    },
    secrets: configSecrets(config),
    rejectMaxShare: config.rejectMaxShare,
    heartbeatMs: config.runHeartbeatMs,
  });
  // Runs whose process died are closed as abandoned here too, so the API and the dashboard show them so while
  // nothing else runs. A missed look (the database away) is made at the next one.
  const watch = setInterval(
    () => void runner.abandonStale().catch((e) => log.debug({ err: e }, 'cannot look for abandoned runs')),
    config.runHeartbeatMs,
  );
  watch.unref();
  common.shutdown.addEventListener('abort', () => clearInterval(watch), { once: true });
  const catalogue = buildCatalogue({ ...common, onResponse: metrics.upstreamResponse });
  const alerts = createAlertSender(common);
  const onFinalFailure = options.onFinalFailure ?? alerts.jobFailed;
  const jobRunner = createJobRunner({
    ...common,
    runner,
    onFinalFailure,
    retryBaseMs: options.retryBaseMs,
  });
  // BullMQ and its Redis client load only when REDIS_URL asks for them (~0.2 s of start-up otherwise).
  const executor = config.queue.redisUrl
    ? (await import('./jobs/queueExecutor.ts')).createQueueExecutor({
        ...common,
        catalogue,
        jobRunner,
        retryBaseMs: options.retryBaseMs,
        ...options.queue,
      })
    : createInlineExecutor({ ...common, catalogue, jobRunner });
  return {
    common,
    config,
    log,
    db,
    runner,
    catalogue,
    jobRunner,
    executor,
    metrics,
    commits: () => commits,
    async close() {
      stopping.abort('shutdown');
      await executor.stop();
      await alerts.close();
      if (!options.db) await db.close();
    },
  };
}
