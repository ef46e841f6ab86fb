import { Cron } from 'croner';
import type { Db } from '../../db/types.ts';
import type { QualityResult } from './types.ts';

/** What freshness needs to know of a job: its schedule and how long a run may take. */
export interface ScheduledJob {
  name: string;
  schedule: string | null;
  timeoutMs: number;
}

/**
 * Each stream a scheduled job has run is fresh when its last success is no older than two schedule intervals
 * plus the job's timeout: one missed tick is tolerated, two are not. A job that never ran is skipped (a new
 * deployment has no history); a stream that has never succeeded is as old as its first run.
 */
export async function checkFreshness(
  db: Db,
  jobs: readonly ScheduledJob[],
  now = new Date(),
): Promise<QualityResult[]> {
  const rows = await db.query<{
    job: string;
    stream: string | null;
    last_success: Date | string | null;
    first_started: Date | string;
  }>(
    `SELECT job, stream, max(CASE WHEN status = 'succeeded' THEN finished_at END) AS last_success,
       min(started_at) AS first_started
     FROM ${db.schemas.etl}.runs GROUP BY job, stream`,
  );
  const results: QualityResult[] = [];
  for (const job of jobs) {
    if (!job.schedule) continue;
    const limitMin = Math.round((2 * intervalMs(job.schedule, now) + job.timeoutMs) / 60_000);
    const streams = rows.filter((r) => r.job === job.name);
    if (streams.length === 0) {
      results.push({
        check: 'freshness',
        subject: job.name,
        status: 'skipped',
        value: null,
        threshold: limitMin,
        details: { reason: 'the job never ran' },
      });
      continue;
    }
    for (const row of streams) {
      const last = row.last_success ? new Date(row.last_success) : null;
      const since = last ?? new Date(row.first_started);
      const ageMin = Math.round((now.getTime() - since.getTime()) / 60_000);
      results.push({
        check: 'freshness',
        subject: `${job.name}/${row.stream ?? '-'}`,
        status: ageMin <= limitMin ? 'passed' : 'failed',
        value: ageMin,
        threshold: limitMin,
        details: {
          schedule: job.schedule,
          lastSuccess: last?.toISOString() ?? null,
          ...(last ? {} : { neverSucceeded: true, firstRun: since.toISOString() }),
        },
      });
    }
  }
  return results;
}

/** The time between two consecutive ticks of a cron (UTC) after `now`. */
function intervalMs(schedule: string, now: Date): number {
  const [a, b] = new Cron(schedule, { timezone: 'UTC', paused: true }).nextRuns(2, now);
  return a && b ? b.getTime() - a.getTime() : 86_400_000;
}
