import {
  deleteRowsBefore,
  dropPartitions,
  listPartitionedTables,
  newestInPartition,
  type Partition,
  type PartitionedTable,
  readPartitionRetention,
  splitDefaultPartition,
} from '../db/partitions.ts';
import type { Db, Schemas } from '../db/types.ts';

/** A table whose rows older than the retention window are deleted, by the time column that dates them. */
export interface RetentionTarget {
  table: (schemas: Schemas) => string;
  column: string;
  /** Rows that are never deleted whatever their age (a run still going). */
  keep?: string;
}

/**
 * What `RETENTION_DAYS` trims row by row: the pipeline's own bookkeeping, and the raw market snapshots where their
 * table is not partitioned (MySQL/MariaDB). A partitioned table is trimmed by whole partitions instead, as
 * `etl.partition_retention` and `etl.chain_partitions` say (see `applyPartitionRetention`). Price history and the
 * warehouse are the product's data and are kept; the latest snapshot per coin is always recent.
 */
export const RETENTION_TARGETS: readonly RetentionTarget[] = [
  { table: (s) => `${s.etl}.runs`, column: 'started_at', keep: "status = 'running'" },
  { table: (s) => `${s.etl}.rejects`, column: 'created_at' },
  { table: (s) => `${s.etl}.quality_results`, column: 'checked_at' },
  { table: (s) => `${s.staging}.coingecko_markets`, column: 'snapshot_at' },
];

const DAY_MS = 86_400_000;

/** A partition dropped by retention, and why. */
export interface DroppedPartition {
  table: string;
  partition: string;
  chainId?: number;
  /** Its range: block numbers, or epoch milliseconds for a month table. */
  from: number;
  to: number;
  /** Rows it held as the catalogue estimated them: counting would read what the drop avoids reading. */
  estimatedRows: number;
  reason: 'days' | 'blocks';
}

export interface PartitionRetentionResult {
  dropped: DroppedPartition[];
  /** Partitions whose drop did not get its lock in time: the next run drops them. */
  failed: { table: string; partition: string; error: string }[];
}

/**
 * Deletes what is older than `days` in each target that is a plain table, and drops the partitions past their
 * window in each partitioned one. Returns the rows removed per table: counted for a DELETE, the catalogue's
 * estimate for a dropped partition (`applyPartitionRetention` says which partitions went).
 */
export async function applyRetention(
  db: Db,
  days: number,
  options: { now?: Date; targets?: readonly RetentionTarget[] } = {},
): Promise<Record<string, number>> {
  const now = options.now ?? new Date();
  const cutoff = new Date(now.getTime() - days * DAY_MS);
  const partitioned = await listPartitionedTables(db, db.schemas.staging);
  const isPartitioned = new Set(partitioned.map((t) => t.table));
  const deleted: Record<string, number> = {};
  for (const target of options.targets ?? RETENTION_TARGETS) {
    const table = target.table(db.schemas);
    if (isPartitioned.has(table)) continue;
    deleted[table] = await deleteRowsBefore(db, table, target.column, cutoff, target.keep);
  }
  const result = await applyPartitionRetention(db, days, { now, tables: partitioned });
  for (const table of result.trimmed) deleted[table] ??= 0;
  for (const d of result.dropped) deleted[d.table] = (deleted[d.table] ?? 0) + d.estimatedRows;
  if (result.failed.length > 0) {
    const first = result.failed[0];
    throw new Error(
      `retention could not drop ${result.failed.length} partition(s), first ${first?.partition}: ${first?.error}. The next run tries again`,
    );
  }
  return deleted;
}

/**
 * Drops whole partitions, in constant time per partition (no row is read or deleted):
 * - a table named in `etl.partition_retention` keeps `keep_days` (or `days`, RETENTION_DAYS): a month partition
 *   goes once its whole month is before the cutoff; a block partition once its newest row is (an index probe);
 * - a chain with `keep_blocks` in `etl.chain_partitions` keeps that many blocks below its highest stored one, in
 *   every block table: a partition goes once its whole range is below that horizon.
 * Rows that reached a DEFAULT partition are first moved into partitions of their own, so they age out the same way.
 */
export async function applyPartitionRetention(
  db: Db,
  days: number,
  options: { now?: Date; tables?: readonly PartitionedTable[] } = {},
): Promise<PartitionRetentionResult & { trimmed: string[] }> {
  const now = options.now ?? new Date();
  const policy = await readPartitionRetention(db);
  const tables = options.tables ?? (await listPartitionedTables(db, db.schemas.staging));
  const dropped: DroppedPartition[] = [];
  const failed: PartitionRetentionResult['failed'] = [];
  const trimmed: string[] = [];
  for (const described of tables) {
    const name = described.table.slice(described.table.indexOf('.') + 1);
    const keepDays = policy.days.has(name) ? (policy.days.get(name) ?? days) : undefined;
    const byBlocks = described.kind === 'blocks' && policy.keepBlocks.size > 0;
    if (keepDays === undefined && !byBlocks) continue;
    trimmed.push(described.table);
    let table = described;
    if ((await splitDefaultPartition(db, described.table)).length > 0) {
      table = (await listPartitionedTables(db, db.schemas.staging)).find((t) => t.table === described.table) ?? table;
    }
    const past = new Map<string, { p: Partition; reason: DroppedPartition['reason'] }>();
    if (table.kind === 'month') {
      const cutoff = now.getTime() - (keepDays ?? days) * DAY_MS;
      for (const p of table.partitions) if (!p.isDefault && p.to <= cutoff) past.set(p.name, { p, reason: 'days' });
    } else {
      const chains = [...new Set(table.partitions.flatMap((p) => (p.chainId === undefined ? [] : [p.chainId])))];
      for (const chainId of chains) {
        const ranges = table.partitions.filter((p) => !p.isDefault && p.chainId === chainId);
        const keepBlocks = policy.keepBlocks.get(chainId);
        if (keepBlocks !== undefined) {
          const highest = await highestBlock(db, table, ranges);
          if (highest !== undefined) {
            const horizon = highest + 1 - keepBlocks;
            for (const p of ranges) if (p.to <= horizon) past.set(p.name, { p, reason: 'blocks' });
          }
        }
        if (keepDays !== undefined) {
          const cutoff = now.getTime() - keepDays * DAY_MS;
          for (const p of await olderThan(db, table, ranges, cutoff)) {
            if (!past.has(p.name)) past.set(p.name, { p, reason: 'days' });
          }
        }
      }
    }
    const result = await dropPartitions(
      db,
      table.table,
      [...past.values()].map((v) => v.p),
    );
    for (const p of result.dropped) {
      const reason = past.get(p.name)?.reason ?? 'days';
      dropped.push({
        table: table.table,
        partition: p.name,
        chainId: p.chainId,
        from: p.from,
        to: p.to,
        estimatedRows: p.estimatedRows,
        reason,
      });
    }
    for (const f of result.failed) failed.push({ table: table.table, ...f });
  }
  return { dropped, failed, trimmed };
}

/** The highest block a chain has in a block table: the newest row of its highest partition holding any. */
async function highestBlock(db: Db, table: PartitionedTable, ranges: readonly Partition[]) {
  for (const p of [...ranges].reverse()) {
    const newest = await newestInPartition(db, table, p, 'block_time');
    if (newest) return newest.block;
  }
  return undefined;
}

/**
 * A chain's partitions whose rows are all older than `cutoff`: the highest partition whose newest row is, and every
 * one below it (block times only grow with the height). A newest row without a time stops the search.
 */
async function olderThan(db: Db, table: PartitionedTable, ranges: readonly Partition[], cutoff: number) {
  let last = -1;
  for (const [i, p] of ranges.entries()) {
    const newest = await newestInPartition(db, table, p, 'block_time');
    if (!newest) continue;
    if (newest.time === null || newest.time.getTime() >= cutoff) break;
    last = i;
  }
  return ranges.slice(0, last + 1);
}
