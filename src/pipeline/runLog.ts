import type { Db, Queryable, Schemas } from '../db/types.ts';

export type RunStatus = 'running' | 'succeeded' | 'failed' | 'abandoned';
export type RunTrigger = 'manual' | 'schedule' | 'startup' | 'api';

export interface RunCounts {
  rowsExtracted: number;
  rowsLoaded: number;
  rowsRejected: number;
}

/** A row of `etl.runs` as the history shows it (status, `crypto-etl status`, the job history). */
export type RunRow = {
  id: number;
  job: string;
  stream: string | null;
  status: string;
  trigger: string;
  started_at: Date;
  finished_at: Date | null;
  rows_extracted: number;
  rows_loaded: number;
  rows_rejected: number;
  error: string | null;
};

/**
 * The queue attempt a run belongs to: a BullMQ job id and how many attempts of it had failed before (BullMQ's
 * `attemptsMade`). A job recovered after its worker was lost runs the same attempt again.
 */
export interface QueueAttempt {
  queueJob: string;
  attempt: number;
}

/** A run found without a heartbeat and closed as `abandoned`. */
export interface AbandonedRun {
  id: number;
  job: string;
  stream: string | null;
}

/** Default of `RUN_HEARTBEAT_MS`: a run whose process dies is abandoned after two of them, 30 s. */
export const DEFAULT_HEARTBEAT_MS = 15_000;

/** Rows of `etl.runs`: one per stream run (or per job step that loads no stream, such as a transform). */
export function createRunLog(db: Queryable, schemas: Schemas) {
  const table = `${schemas.etl}.runs`;
  return {
    async start(job: string, stream: string | null, trigger: RunTrigger, attempt?: QueueAttempt): Promise<number> {
      const [row] = await db.query<{ id: number | string }>(
        `INSERT INTO ${table} (job, stream, status, "trigger", queue_job, queue_attempt)
         VALUES ($1, $2, 'running', $3, $4, $5) RETURNING id`,
        [job, stream, trigger, attempt?.queueJob ?? null, attempt?.attempt ?? null],
      );
      return Number(row?.id);
    },
    /** The counts so far; `on` a checkpoint's transaction, they commit with its rows. */
    async progress(id: number, counts: RunCounts, on: Queryable = db): Promise<void> {
      await on.query(`UPDATE ${table} SET rows_extracted = $2, rows_loaded = $3, rows_rejected = $4 WHERE id = $1`, [
        id,
        counts.rowsExtracted,
        counts.rowsLoaded,
        counts.rowsRejected,
      ]);
    },
    /**
     * The heartbeat of this process's runs. A run closed as `abandoned` while it was alive (its heartbeats could
     * not reach the database for two intervals) is running again: it says so itself.
     */
    async beat(ids: readonly number[]): Promise<void> {
      if (ids.length === 0) return;
      await db.query(
        `UPDATE ${table} SET heartbeat_at = now(), status = 'running', finished_at = NULL, error = NULL
         WHERE id IN (${ids.map((_, i) => `$${i + 1}`).join(', ')}) AND status IN ('running', 'abandoned')`,
        ids,
      );
    },
    async finish(id: number, status: Exclude<RunStatus, 'running'>, counts: RunCounts, error?: string): Promise<void> {
      await db.query(
        `UPDATE ${table} SET status = $2, finished_at = now(), rows_extracted = $3, rows_loaded = $4,
           rows_rejected = $5, error = $6 WHERE id = $1`,
        [id, status, counts.rowsExtracted, counts.rowsLoaded, counts.rowsRejected, error ?? null],
      );
    },
  };
}

export type RunLog = ReturnType<typeof createRunLog>;

/**
 * Closes as `abandoned` every run still `running` whose heartbeat is older than `staleAfterMs` (two heartbeats):
 * its process died (kill -9, out of memory, power) without recording its end. It keeps the rows it counted, which
 * commit with each checkpoint, and ends at its last heartbeat. `keep`: this process's own runs, alive whatever
 * their heartbeat says (it may wait behind a long transaction on PGlite's one connection).
 * Ages are measured on the database's clock, which also wrote the heartbeats.
 */
export async function abandonStaleRuns(
  db: Queryable,
  schemas: Schemas,
  staleAfterMs: number,
  keep: readonly number[] = [],
): Promise<AbandonedRun[]> {
  const table = `${schemas.etl}.runs`;
  const stale = `status = 'running' AND heartbeat_at < now() - INTERVAL '${(staleAfterMs / 1000).toFixed(3)}' SECOND`;
  const found = (
    await db.query<{ id: number | string; job: string; stream: string | null }>(
      `SELECT id, job, stream FROM ${table} WHERE ${stale}`,
    )
  )
    .map((r) => ({ ...r, id: Number(r.id) }))
    .filter((r) => !keep.includes(r.id));
  if (found.length === 0) return [];
  await db.query(
    `UPDATE ${table} SET status = 'abandoned', finished_at = heartbeat_at, error = $1
     WHERE ${stale} AND id IN (${found.map((_, i) => `$${i + 2}`).join(', ')})`,
    [
      `ETL_RUN_ABANDONED: no heartbeat for ${staleAfterMs / 1000} s: the process running it stopped without finishing (killed, out of memory, machine lost). The rows counted are those it committed; the next run resumes from the last checkpoint`,
      ...found.map((r) => r.id),
    ],
  );
  return found;
}

const RUN_COLUMNS = `id, job, stream, status, "trigger", started_at, finished_at, rows_extracted, rows_loaded, rows_rejected,
  error`;

/** A row as the drivers return it (bigints as strings on PostgreSQL) → numbers. */
function toRunRow<R extends RunRow>(row: R): R {
  return {
    ...row,
    id: Number(row.id),
    rows_extracted: Number(row.rows_extracted),
    rows_loaded: Number(row.rows_loaded),
    rows_rejected: Number(row.rows_rejected),
  };
}

/** The latest runs, newest first; of one job when `job` is given. */
export async function recentRuns(db: Db, options: { limit?: number; job?: string } = {}): Promise<RunRow[]> {
  const params: unknown[] = [options.limit ?? 20];
  const where = options.job ? `WHERE job = $${params.push(options.job)}` : '';
  const rows = await db.query<RunRow>(
    `SELECT ${RUN_COLUMNS} FROM ${db.schemas.etl}.runs ${where} ORDER BY started_at DESC, id DESC LIMIT $1`,
    params,
  );
  return rows.map(toRunRow);
}

/** The last `perJob` runs of every job, newest first. */
export async function lastRunsPerJob(db: Db, perJob: number): Promise<Map<string, RunRow[]>> {
  const rows = await db.query<RunRow & { n: unknown }>(
    `SELECT * FROM (
       SELECT ${RUN_COLUMNS}, row_number() OVER (PARTITION BY job ORDER BY started_at DESC, id DESC) AS n
       FROM ${db.schemas.etl}.runs
     ) ranked WHERE n <= $1 ORDER BY job, started_at DESC, id DESC`,
    [perJob],
  );
  const byJob = new Map<string, RunRow[]>();
  for (const { n: _n, ...row } of rows) {
    const runs = byJob.get(row.job) ?? [];
    byJob.set(row.job, runs);
    runs.push(toRunRow(row));
  }
  return byJob;
}

/** The runs of a queue attempt that succeeded, in the order they started. */
export async function succeededRunsOf(db: Queryable, schemas: Schemas, attempt: QueueAttempt): Promise<RunRow[]> {
  const rows = await db.query<RunRow>(
    `SELECT ${RUN_COLUMNS} FROM ${schemas.etl}.runs
     WHERE queue_job = $1 AND queue_attempt = $2 AND status = 'succeeded' ORDER BY id`,
    [attempt.queueJob, attempt.attempt],
  );
  return rows.map(toRunRow);
}

/**
 * Closes as failed the runs of `job` still marked `running`: the queue recovered the job from a worker that stopped
 * without finishing it, and the job's deduplication id lets no other run of it be alive.
 */
export async function closeRunsOfLostWorker(db: Queryable, schemas: Schemas, job: string): Promise<void> {
  await db.query(
    `UPDATE ${schemas.etl}.runs SET status = 'failed', finished_at = now(), error = $2
     WHERE job = $1 AND status = 'running'`,
    [
      job,
      'ETL_WORKER_LOST: the worker running this job stopped without finishing (killed or lost); another worker picked the job up and resumed from the last checkpoint',
    ],
  );
}
