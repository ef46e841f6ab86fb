import type { Queryable, Schemas } from '../db/types.ts';
import type { LakeColumn } from './columns.ts';
import type { LakeTable } from './tables.ts';

/** One partition of a table: its hive path and the rows' filter. */
export interface LakePartition {
  path: string;
  where: string;
}

const DAY_MS = 86_400_000;
const isoDay = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The partitions holding rows loaded or changed after `since` (a UTC timestamp text), or every partition when
 * `since` is undefined. `overlapSeconds` reaches back for checkpoints that committed late: a transaction's
 * `loaded_at` is its start, so a long one can commit after a later-starting one was exported.
 */
export async function changedPartitions(
  db: Queryable,
  schemas: Schemas,
  table: LakeTable,
  options: { since?: string; overlapSeconds: number; blockRange: number },
): Promise<LakePartition[]> {
  const { partitioning } = table;
  const changes = table.changes ?? {
    table: table.name,
    block: partitioning.kind === 'blocks' ? partitioning.block : '',
  };
  const where =
    options.since === undefined
      ? ''
      : `WHERE loaded_at > $1::timestamptz - make_interval(secs => ${Number(options.overlapSeconds)})`;
  const params = options.since === undefined ? [] : [options.since];
  if (partitioning.kind === 'blocks') {
    const size = Math.trunc(options.blockRange);
    const rows = await db.query<{ chain_id: number | string; bucket: number | string }>(
      `SELECT DISTINCT chain_id, ${changes.block} / ${size} AS bucket FROM ${schemas.staging}.${changes.table} ${where}
        ORDER BY 1, 2`,
      params,
    );
    return rows.map((r) => {
      const chain = BigInt(r.chain_id);
      const lo = BigInt(r.bucket) * BigInt(size);
      const hi = lo + BigInt(size) - 1n;
      return {
        path: `chain_id=${chain}/block_range=${lo}-${hi}`,
        where: `chain_id = ${chain} AND ${partitioning.block} BETWEEN ${lo} AND ${hi}`,
      };
    });
  }
  const day =
    partitioning.type === 'date'
      ? `to_char(${partitioning.column}, 'YYYY-MM-DD')`
      : `to_char(${partitioning.column} AT TIME ZONE 'UTC', 'YYYY-MM-DD')`;
  const rows = await db.query<{ day: string }>(
    `SELECT DISTINCT ${day} AS day FROM ${schemas.staging}.${changes.table} ${where} ORDER BY 1`,
    params,
  );
  return rows
    .map((r) => r.day)
    .filter((d) => isoDay.test(d))
    .map((d) => {
      const next = new Date(Date.parse(`${d}T00:00:00Z`) + DAY_MS).toISOString().slice(0, 10);
      const col = partitioning.column;
      return {
        path: `date=${d}`,
        where:
          partitioning.type === 'date'
            ? `${col} = DATE '${d}'`
            : `${col} >= TIMESTAMPTZ '${d}T00:00:00Z' AND ${col} < TIMESTAMPTZ '${next}T00:00:00Z'`,
      };
    });
}

/** The last `loaded_at` of the table that reveals changes, as UTC text with microseconds (null when empty). */
export async function highWatermark(db: Queryable, schemas: Schemas, table: LakeTable): Promise<string | null> {
  const source = table.changes?.table ?? table.name;
  const [row] = await db.query<{ high: string | null }>(
    `SELECT to_char(max(loaded_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS high
       FROM ${schemas.staging}.${source}`,
  );
  return row?.high ?? null;
}

/** The query whose CSV is one partition's file: typed text columns, in a unique order. */
export function partitionSelect(
  schemas: Schemas,
  table: LakeTable,
  columns: readonly LakeColumn[],
  partition: LakePartition,
): string {
  return `SELECT ${columns.map((c) => c.select).join(', ')} FROM ${schemas.staging}.${table.name}
    WHERE ${partition.where} ORDER BY ${table.orderBy.join(', ')}`;
}
