import type { Queryable, Schemas } from '../db/types.ts';

export type RunStatus = 'running' | 'succeeded' | 'failed' | 'abandoned';
export type RunTrigger = 'manual' | 'schedule' | 'startup' | 'api';

export interface RunCounts {
  rowsExtracted: number;
  rowsLoaded: number;
  rowsRejected: number;
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
    async start(job: string, stream: string | null, trigger: RunTrigger): Promise<number> {
      const [row] = await db.query<{ id: number | string }>(
        `INSERT INTO ${table} (job, stream, status, "trigger") VALUES ($1, $2, 'running', $3) RETURNING id`,
        [job, stream, trigger],
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
