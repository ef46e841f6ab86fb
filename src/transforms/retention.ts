import type { Db, Schemas } from '../db/types.ts';

/** A table whose rows older than the retention window are deleted, by the time column that dates them. */
export interface RetentionTarget {
  table: (schemas: Schemas) => string;
  column: string;
  /** Rows that are never deleted whatever their age (a run still going). */
  keep?: string;
}

/**
 * What `RETENTION_DAYS` trims: the pipeline's own bookkeeping and the raw market snapshots. Price history and
 * the warehouse are the product's data and are kept; the latest snapshot per coin is always recent.
 */
export const RETENTION_TARGETS: readonly RetentionTarget[] = [
  { table: (s) => `${s.etl}.runs`, column: 'started_at', keep: "status = 'running'" },
  { table: (s) => `${s.etl}.rejects`, column: 'created_at' },
  { table: (s) => `${s.etl}.quality_results`, column: 'checked_at' },
  { table: (s) => `${s.staging}.coingecko_markets`, column: 'snapshot_at' },
];

/** Deletes what is older than `days` in each target; returns the rows deleted per table. */
export async function applyRetention(
  db: Db,
  days: number,
  options: { now?: Date; targets?: readonly RetentionTarget[] } = {},
): Promise<Record<string, number>> {
  const cutoff = new Date((options.now ?? new Date()).getTime() - days * 86_400_000);
  const deleted: Record<string, number> = {};
  for (const target of options.targets ?? RETENTION_TARGETS) {
    const table = target.table(db.schemas);
    const where = `${target.column} < $1 ${target.keep ? `AND NOT (${target.keep})` : ''}`;
    const [row] =
      db.dialect === 'postgres'
        ? await db.query<{ n: number | string }>(
            `WITH gone AS (DELETE FROM ${table} WHERE ${where} RETURNING 1) SELECT count(*) AS n FROM gone`,
            [cutoff],
          )
        : // MySQL has no DELETE … RETURNING: the count comes from the same connection, right after.
          await db.transaction(async (tx) => {
            await tx.query(`DELETE FROM ${table} WHERE ${where}`, [cutoff]);
            return tx.query<{ n: number | string }>('SELECT ROW_COUNT() AS n');
          });
    deleted[table] = Number(row?.n ?? 0);
  }
  return deleted;
}
