import { Cron } from 'croner';
import type { Db } from '../db/types.ts';
import { listWatermarks } from '../db/watermarks.ts';
import { recentRuns } from './runLog.ts';

export { type RunRow, recentRuns } from './runLog.ts';

/**
 * A run's outcome as people read it: a success that left records in `etl.rejects` is not a clean one; an
 * `abandoned` run's process died without recording its end (its heartbeat stopped).
 */
export type RunOutcome = 'running' | 'succeeded' | 'succeeded_with_rejects' | 'failed' | 'abandoned';

export function runOutcome(status: string, rowsRejected: number): RunOutcome {
  if (status === 'succeeded' && rowsRejected > 0) return 'succeeded_with_rejects';
  return status as RunOutcome;
}

/** True when the built-in emulators filled this database: everything shown must say the data is synthetic. */
export async function isSandboxData(db: Db): Promise<boolean> {
  const [row] = await db.query<{ value: unknown }>(`SELECT value FROM ${db.schemas.etl}.meta WHERE "key" = 'sandbox'`);
  return row?.value === true || row?.value === 'true';
}

export async function markSandboxData(db: Db): Promise<void> {
  await db.writeRows(
    { table: `${db.schemas.etl}.meta`, columns: ['key', 'value'], key: ['key'], onConflict: 'update' },
    [['sandbox', 'true']],
  );
}

/** The next time a cron (UTC) fires, or null for manual-only jobs. */
export function nextRunOf(schedule: string | null, from = new Date()): Date | null {
  return schedule ? new Cron(schedule, { timezone: 'UTC', paused: true }).nextRun(from) : null;
}

export async function readStatus(db: Db) {
  const [runs, watermarks, sandbox] = await Promise.all([
    recentRuns(db),
    listWatermarks(db, db.schemas),
    isSandboxData(db),
  ]);
  return { sandbox, runs, watermarks };
}
