import type { Config } from '../config.ts';
import type { Db } from '../db/types.ts';
import { describeError } from '../internal/errors.ts';
import type { Logger } from '../internal/logger.ts';
import { buildCatalogue } from '../jobs/catalogue.ts';
import { readRegisteredSchedules } from '../jobs/queueSchedules.ts';
import { lastRunsPerJob, type RunRow } from '../pipeline/runLog.ts';
import { nextRunOf, runOutcome } from '../pipeline/status.ts';
import { OUTCOME_MARK } from './outcomeMark.ts';

const iso = (d: Date | string | null | undefined) => (d ? new Date(d).toISOString().replace('.000Z', 'Z') : '—');

/**
 * The jobs section of `crypto-etl status`: per job its schedule and next run, then its last runs with their
 * durations, rows and errors. In queue mode the next run is the one registered in Redis, so a schedule the
 * scheduler never registered shows as such.
 */
export async function jobsReport(deps: { config: Config; log: Logger; db: Db; runsPerJob: number }): Promise<string[]> {
  const { config } = deps;
  const out: string[] = [];
  let registered: Map<string, Date | null> | undefined;
  if (config.queue.redisUrl) {
    out.push(`Jobs (cron in UTC; queue executor, prefix ${config.queue.prefix})`);
    try {
      registered = await readRegisteredSchedules(config.queue.redisUrl, config.queue.prefix);
    } catch (error) {
      out.push(`  ⚠ ${describeError(error)}; next runs below are computed from the cron`);
    }
  } else {
    out.push('Jobs (cron in UTC; inline executor)');
  }
  const history = await lastRunsPerJob(deps.db, deps.runsPerJob);
  for (const job of buildCatalogue({ config, log: deps.log })) {
    let next = job.schedule ? `next ${iso(nextRunOf(job.schedule))}` : 'manual only';
    if (job.schedule && registered) {
      next = registered.has(job.name)
        ? `next ${iso(registered.get(job.name))}`
        : 'NOT REGISTERED: run `crypto-etl scheduler`';
    }
    const runs = history.get(job.name) ?? [];
    const last = runs[0] ? `last ${runs[0].status} ${iso(runs[0].started_at)}` : 'never ran';
    out.push(`  ${job.name.padEnd(20)} ${(job.schedule ?? 'manual').padEnd(12)} ${next.padEnd(26)} ${last}`);
    for (const run of runs) out.push(`      ${runLine(run)}`);
  }
  return out;
}

function runLine(r: RunRow): string {
  const mark = OUTCOME_MARK[runOutcome(r.status, r.rows_rejected)];
  const secs = r.finished_at
    ? `${((new Date(r.finished_at).getTime() - new Date(r.started_at).getTime()) / 1000).toFixed(1)} s`
    : 'running';
  const rows = `${r.rows_loaded} loaded / ${r.rows_extracted} extracted${r.rows_rejected ? ` / ${r.rows_rejected} rejected` : ''}`;
  const error = r.error ? `  ${r.error.split('\n')[0]?.slice(0, 160)}` : '';
  return `${mark} ${iso(r.started_at)} ${(r.stream ?? '-').padEnd(22)} ${secs.padStart(8)}  ${rows}${error}`;
}
