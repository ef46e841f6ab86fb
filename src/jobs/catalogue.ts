import { Cron } from 'croner';
import type { Common } from '../common.ts';
import { type EngineAdapter, engineOf, engineOfUrl } from '../db/engines.ts';
import { EtlError } from '../internal/errors.ts';
import { coincapJobs } from './coincapJobs.ts';
import { coingeckoJobs } from './coingeckoJobs.ts';
import type { JobDefinition } from './defineJob.ts';
import { duneJobs } from './duneJobs.ts';
import { evmJobs } from './evmJobs.ts';
import { lakeJobs } from './lakeJobs.ts';
import { qualityJobs } from './qualityJobs.ts';
import { warehouseJobs } from './warehouseJobs.ts';

export interface CatalogueDeps extends Pick<Common, 'config' | 'log'>, Partial<Pick<Common, 'now'>> {
  /** Called with every upstream answer's status (the metrics' per-upstream counters). */
  onResponse?: (upstream: string, status: number) => void;
}

/** Every job the product knows, each defined once; `SCHEDULE_<JOB>` overrides a schedule, `off` disables it. */
export function buildCatalogue(deps: CatalogueDeps): JobDefinition[] {
  const jobs = [
    ...coingeckoJobs(deps),
    ...coincapJobs(deps),
    ...duneJobs(deps),
    ...evmJobs(deps),
    ...warehouseJobs(deps),
    ...qualityJobs(deps),
    ...lakeJobs(deps),
  ];
  const engine = engineOfUrl(deps.config.databaseUrl);
  return jobs.map((job) => withEngineGuard(withScheduleOverride(job, deps.config.schedules[job.name]), engine));
}

const FLAVOUR_NAMES = { postgres: 'PostgreSQL or PGlite', mysql: 'MySQL/MariaDB' } as const;

/**
 * A job that lacks SQL for the configured database is not scheduled there, and a run asked for by hand is
 * skipped with a note (as a job whose upstream is not configured): there is nothing to retry or alert.
 */
function withEngineGuard(job: JobDefinition, configured: EngineAdapter): JobDefinition {
  const { engines } = job;
  if (!engines) return job;
  return {
    ...job,
    schedule: engines.includes(configured.flavour) ? job.schedule : null,
    async run(ctx) {
      const engine = engineOf(ctx.db);
      if (engines.includes(engine.flavour)) return job.run(ctx);
      const needs = engines.map((flavour) => FLAVOUR_NAMES[flavour]).join(' or ');
      ctx.log.info(
        { job: job.name },
        `${job.name} skipped: it needs ${needs}, and DATABASE_URL points at ${FLAVOUR_NAMES[engine.flavour]}`,
      );
      return { job: job.name, status: 'succeeded', runs: [] };
    },
  };
}

export function findJob(catalogue: readonly JobDefinition[], name: string): JobDefinition {
  const job = catalogue.find((j) => j.name === name);
  if (!job) {
    throw new EtlError(
      'ETL_JOB_UNKNOWN',
      `Unknown job "${name}": known jobs are ${catalogue.map((j) => j.name).join(', ')}`,
    );
  }
  return job;
}

function withScheduleOverride(job: JobDefinition, override: string | undefined): JobDefinition {
  if (override === undefined) return job;
  if (override === 'off') return { ...job, schedule: null };
  try {
    new Cron(override, { timezone: 'UTC', paused: true }).stop();
  } catch (error) {
    const variable = `SCHEDULE_${job.name.toUpperCase().replaceAll('-', '_')}`;
    throw new EtlError(
      'ETL_CONFIG_INVALID',
      `Invalid configuration:\n  ${variable} (got "${override}"): expected a cron expression such as "0 9 * * *" or off (${(error as Error).message})`,
    );
  }
  return { ...job, schedule: override };
}
