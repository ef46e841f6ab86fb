import type { Db } from '../db/types.ts';
import type { RunRow } from '../pipeline/status.ts';

/**
 * The last `perJob` rows of `etl.runs` of every job, newest first. Both executors write the same run log, so
 * this history is the same under inline and queue mode.
 */
export async function lastRunsPerJob(db: Db, perJob: number): Promise<Map<string, RunRow[]>> {
  const rows = await db.query<RunRow & { n: unknown }>(
    `SELECT * FROM (
       SELECT id, job, stream, status, "trigger", started_at, finished_at, rows_extracted, rows_loaded, rows_rejected,
         error, row_number() OVER (PARTITION BY job ORDER BY started_at DESC, id DESC) AS n
       FROM ${db.schemas.etl}.runs
     ) ranked WHERE n <= $1 ORDER BY job, started_at DESC, id DESC`,
    [perJob],
  );
  const byJob = new Map<string, RunRow[]>();
  for (const { n: _n, ...row } of rows) {
    const runs = byJob.get(row.job) ?? [];
    byJob.set(row.job, runs);
    runs.push({
      ...row,
      id: Number(row.id),
      rows_extracted: Number(row.rows_extracted),
      rows_loaded: Number(row.rows_loaded),
      rows_rejected: Number(row.rows_rejected),
    });
  }
  return byJob;
}
