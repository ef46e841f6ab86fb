import type { Queryable, Schemas } from '../db/types.ts';

export type RunStatus = 'running' | 'succeeded' | 'failed';
export type RunTrigger = 'manual' | 'schedule' | 'startup' | 'api';

export interface RunCounts {
  rowsExtracted: number;
  rowsLoaded: number;
  rowsRejected: number;
}

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
    async progress(id: number, counts: RunCounts): Promise<void> {
      await db.query(`UPDATE ${table} SET rows_extracted = $2, rows_loaded = $3, rows_rejected = $4 WHERE id = $1`, [
        id,
        counts.rowsExtracted,
        counts.rowsLoaded,
        counts.rowsRejected,
      ]);
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
