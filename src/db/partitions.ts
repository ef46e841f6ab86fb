import { createHash } from 'node:crypto';
import type { Db, Queryable, WriteTarget } from './types.ts';

/**
 * Range partitions of the growing staging tables (migration 0012, docs/partitions.md), on PostgreSQL and PGlite.
 * Block tables are partitioned by (chain_id, block number), one range per chain of `blocks_per_partition` blocks
 * (`etl.chain_partitions`, default 1,000,000); time series by the UTC month of their time key. Each table has a
 * DEFAULT partition that catches rows no range holds yet. Partitions live in `<schema>_partitions`.
 *
 * Everything engine-specific about partitions is here: the rest of the product asks these functions (which tables
 * are partitioned, their ranges, drop those before a bound) and never which engine it runs on. MySQL/MariaDB tables
 * are not partitioned (docs/partitions.md says why): there every table reads as a plain one.
 */

/** Block tables: (chain_id, block number) ranges; time series: months. */
export type PartitionKind = 'blocks' | 'month';

export const DEFAULT_BLOCKS_PER_PARTITION = 1_000_000;
/** How long creating or dropping a partition waits for a lock before giving up (the DEFAULT partition catches). */
const LOCK_TIMEOUT = '5s';

export interface PartitionedTable {
  /** Schema-qualified parent, as given (`staging.evm_blocks`). */
  table: string;
  kind: PartitionKind;
  /** The partition key's columns: `[chain_id, number]` or `[ts]`. */
  columns: string[];
  partitions: Partition[];
}

export interface Partition {
  /** Schema-qualified, quoted where needed. */
  name: string;
  isDefault: boolean;
  /** Block tables: the chain of the range (undefined for a range spanning chains, made by hand). */
  chainId?: number;
  /** Lower bound, inclusive, and upper bound, exclusive: block numbers, or epoch milliseconds for months. */
  from: number;
  to: number;
  /** Rows as the catalogue last estimated them (pg_class.reltuples; 0 when never analysed). */
  estimatedRows: number;
}

const qi = (name: string) => (/^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`);
const splitName = (qualified: string) => {
  const dot = qualified.indexOf('.');
  return { schema: qualified.slice(0, dot), name: qualified.slice(dot + 1) };
};

/** A partition's name: the table's and a suffix, shortened with a hash past PostgreSQL's 63 bytes (as 0012 does). */
export function partitionName(table: string, suffix: string): string {
  if (table.length + suffix.length + 1 <= 63) return `${table}_${suffix}`;
  const hash = createHash('md5').update(table).digest('hex').slice(0, 8);
  return `${table.slice(0, 62 - suffix.length - 9)}_${hash}_${suffix}`;
}

type DescribeRow = {
  parent: string;
  columns: string[];
  types: string[];
  parts: {
    name: string;
    bound: string;
    lo: string[] | null;
    hi: string[] | null;
    lo_ms: number | null;
    hi_ms: number | null;
    tuples: number;
  }[];
};

/** The partitioning of each table given (schema-qualified) that is partitioned; plain tables are left out. */
export async function describePartitioned(db: Queryable, tables: readonly string[]): Promise<PartitionedTable[]> {
  if (tables.length === 0) return [];
  const rows = await db.query<DescribeRow>(
    `WITH parents AS (
       SELECT t.name AS parent, to_regclass(t.name) AS oid FROM unnest($1::text[]) AS t(name)
     )
     SELECT pa.parent,
       (SELECT array_agg(a.attname::text ORDER BY k.ord) FROM unnest(p.partattrs::int2[]) WITH ORDINALITY AS k(attnum, ord)
          JOIN pg_attribute a ON a.attrelid = pa.oid AND a.attnum = k.attnum) AS columns,
       (SELECT array_agg(format_type(a.atttypid, a.atttypmod) ORDER BY k.ord) FROM unnest(p.partattrs::int2[]) WITH ORDINALITY AS k(attnum, ord)
          JOIN pg_attribute a ON a.attrelid = pa.oid AND a.attnum = k.attnum) AS types,
       coalesce((SELECT json_agg(json_build_object(
           'name', quote_ident(n.nspname) || '.' || quote_ident(c.relname),
           'bound', pg_get_expr(c.relpartbound, c.oid),
           'lo', v.lo, 'hi', v.hi,
           'lo_ms', CASE WHEN p.partnatts = 1 AND v.lo[1] NOT IN ('MINVALUE', 'MAXVALUE')
             THEN extract(epoch FROM v.lo[1]::timestamptz) * 1000 END,
           'hi_ms', CASE WHEN p.partnatts = 1 AND v.hi[1] NOT IN ('MINVALUE', 'MAXVALUE')
             THEN extract(epoch FROM v.hi[1]::timestamptz) * 1000 END,
           'tuples', greatest(c.reltuples, 0)))
         FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         CROSS JOIN LATERAL (SELECT regexp_match(pg_get_expr(c.relpartbound, c.oid), '^FOR VALUES FROM \\((.*)\\) TO \\((.*)\\)$') AS m) b
         CROSS JOIN LATERAL (SELECT string_to_array(replace(b.m[1], '''', ''), ', ') AS lo,
                                    string_to_array(replace(b.m[2], '''', ''), ', ') AS hi) v
         WHERE i.inhparent = pa.oid AND NOT i.inhdetachpending), '[]') AS parts
     FROM parents pa JOIN pg_partitioned_table p ON p.partrelid = pa.oid`,
    [tables],
  );
  const described: PartitionedTable[] = [];
  for (const row of rows) {
    const kind = kindOf(row.types);
    if (!kind) continue;
    const partitions = row.parts.map((p): Partition => {
      const isDefault = p.bound === 'DEFAULT';
      const estimatedRows = Number(p.tuples);
      if (isDefault) return { name: p.name, isDefault, from: Number.NaN, to: Number.NaN, estimatedRows };
      if (kind === 'month') {
        return {
          name: p.name,
          isDefault,
          from: p.lo_ms === null ? Number.NEGATIVE_INFINITY : Number(p.lo_ms),
          to: p.hi_ms === null ? Number.POSITIVE_INFINITY : Number(p.hi_ms),
          estimatedRows,
        };
      }
      const bound = (v: string | undefined, infinite: number) =>
        v === undefined || v === 'MINVALUE' || v === 'MAXVALUE' ? infinite : Number(v);
      const [loChain, loBlock] = p.lo ?? [];
      const [hiChain, hiBlock] = p.hi ?? [];
      const sameChain = loChain !== undefined && loChain === hiChain && loChain !== 'MINVALUE';
      return {
        name: p.name,
        isDefault,
        chainId: sameChain ? Number(loChain) : undefined,
        from: sameChain ? bound(loBlock, Number.NEGATIVE_INFINITY) : Number.NaN,
        to: sameChain ? bound(hiBlock, Number.POSITIVE_INFINITY) : Number.NaN,
        estimatedRows,
      };
    });
    // Ranges by chain and bound; DEFAULT (and ranges spanning chains) last.
    const rank = (p: Partition) => (p.isDefault || Number.isNaN(p.from) ? 1 : 0);
    partitions.sort((a, b) => rank(a) - rank(b) || (a.chainId ?? 0) - (b.chainId ?? 0) || a.from - b.from || 0);
    described.push({ table: row.parent, kind, columns: row.columns, partitions });
  }
  return described;
}

function kindOf(types: readonly string[]): PartitionKind | undefined {
  if (types.length === 1 && types[0] === 'timestamp with time zone') return 'month';
  if (types.length === 2 && types.every((t) => t === 'bigint')) return 'blocks';
  return undefined;
}

/** The partitioned tables of a schema (none on MySQL/MariaDB). */
export async function listPartitionedTables(db: Db, schema: string): Promise<PartitionedTable[]> {
  if (db.dialect !== 'postgres') return [];
  const rows = await db.query<{ name: string }>(
    `SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name FROM pg_class c
     JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'p' ORDER BY c.relname`,
    [schema],
  );
  return describePartitioned(
    db,
    rows.map((r) => r.name),
  );
}

/** The partitions of one table, ranges in order (chain, then block or time); none when it is not partitioned. */
export async function listPartitions(db: Db, table: string): Promise<Partition[]> {
  if (db.dialect !== 'postgres') return [];
  return (await describePartitioned(db, [table]))[0]?.partitions ?? [];
}

/** A range a row needs: chain (block tables) and bounds. */
interface Range {
  chainId?: number;
  from: number;
  to: number;
}

const MONTH = (ms: number) => {
  const d = new Date(ms);
  return {
    from: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1),
    to: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1),
  };
};

/** Blocks per partition of each chain asked (`etl.chain_partitions`, else the default). */
async function blocksPerPartition(db: Queryable, etl: string, chains: readonly number[]): Promise<Map<number, number>> {
  const sizes = new Map(chains.map((c) => [c, DEFAULT_BLOCKS_PER_PARTITION]));
  if (chains.length === 0) return sizes;
  const rows = await db.query<{ chain_id: number | string; blocks: number | string }>(
    `SELECT chain_id, blocks_per_partition AS blocks FROM ${etl}.chain_partitions WHERE chain_id = ANY($1::bigint[])`,
    [chains],
  );
  for (const r of rows) sizes.set(Number(r.chain_id), Number(r.blocks));
  return sizes;
}

/**
 * The range that holds `value`: its natural range (a month, a block bucket of the chain's size), clipped to the
 * ranges that exist around it so it never overlaps one (a partition made by hand or under an older size).
 */
function rangeFor(value: number, natural: { from: number; to: number }, existing: readonly Range[], chainId?: number) {
  let { from, to } = natural;
  for (const p of existing) {
    if (p.chainId !== chainId) continue;
    if (p.to <= value) from = Math.max(from, p.to);
    else if (p.from > value) to = Math.min(to, p.from);
  }
  return { chainId, from, to };
}

const covers = (ranges: readonly Range[], value: number, chainId?: number) =>
  ranges.some((p) => p.chainId === chainId && p.from <= value && value < p.to);

/** An instant of a row's time value (a Date, an ISO string, epoch milliseconds). */
const instant = (v: unknown) => (v instanceof Date ? v.getTime() : new Date(v as string | number).getTime());

/**
 * The ranges `rows` need that `table` does not have yet. Rows mostly come in key order: a row inside the range the
 * previous row was found in costs one comparison, so a 50,000-row batch of one month is checked in about a
 * millisecond.
 */
async function missingRanges(
  db: Queryable,
  etl: string,
  table: PartitionedTable,
  columns: readonly string[],
  rows: readonly (readonly unknown[])[],
): Promise<Range[]> {
  const at = table.columns.map((c) => columns.indexOf(c));
  if (at.some((i) => i < 0) || rows.length === 0) return [];
  const blocks = table.kind === 'blocks';
  const [first, second] = at as [number, number];
  const existing: Range[] = table.partitions.filter((p) => !p.isDefault && !Number.isNaN(p.from));
  let found: Range | undefined;
  const uncovered: { chainId?: number; value: number }[] = [];
  for (const row of rows) {
    const chainId = blocks ? Number(row[first]) : undefined;
    const value = blocks ? Number(row[second]) : instant(row[first]);
    if (!Number.isFinite(value) || (blocks && !Number.isSafeInteger(chainId))) continue;
    if (found && found.chainId === chainId && found.from <= value && value < found.to) continue;
    found = existing.find((p) => p.chainId === chainId && p.from <= value && value < p.to);
    if (!found) uncovered.push({ chainId, value });
  }
  if (uncovered.length === 0) return [];
  uncovered.sort((a, b) => (a.chainId ?? 0) - (b.chainId ?? 0) || a.value - b.value);
  const sizes = blocks
    ? await blocksPerPartition(db, etl, [...new Set(uncovered.map((u) => u.chainId as number))])
    : new Map<number, number>();
  const missing: Range[] = [];
  for (const { chainId, value } of uncovered) {
    const known = [...existing, ...missing];
    if (covers(known, value, chainId)) continue;
    const size = sizes.get(chainId as number) ?? DEFAULT_BLOCKS_PER_PARTITION;
    const natural = blocks
      ? { from: Math.floor(value / size) * size, to: Math.floor(value / size) * size + size }
      : MONTH(value);
    missing.push(rangeFor(value, natural, known, chainId));
  }
  return missing;
}

function boundSql(table: PartitionedTable, range: Range): { from: string; to: string; suffix: string } {
  if (table.kind === 'month') {
    const iso = (ms: number) => `'${new Date(ms).toISOString()}'`;
    const start = new Date(range.from);
    const whole = MONTH(range.from).from === range.from && MONTH(range.from).to === range.to;
    const suffix = whole
      ? `m${start.getUTCFullYear()}${String(start.getUTCMonth() + 1).padStart(2, '0')}`
      : `t${range.from}`;
    return { from: iso(range.from), to: iso(range.to), suffix };
  }
  return {
    from: `${range.chainId}, ${range.from}`,
    to: `${range.chainId}, ${range.to}`,
    suffix: `c${range.chainId}_b${range.from}`,
  };
}

/** The condition on the partition key that selects `range`'s rows, for the move out of the DEFAULT partition. */
function rangeCondition(table: PartitionedTable, range: Range): { sql: string; params: unknown[] } {
  const [first, second] = table.columns.map(qi);
  if (table.kind === 'month') {
    return { sql: `${first} >= $1 AND ${first} < $2`, params: [new Date(range.from), new Date(range.to)] };
  }
  return { sql: `${first} = $1 AND ${second} >= $2 AND ${second} < $3`, params: [range.chainId, range.from, range.to] };
}

/**
 * Creates one range partition: an empty table attached to the parent (ATTACH takes SHARE UPDATE EXCLUSIVE on the
 * parent, where CREATE … PARTITION OF would take ACCESS EXCLUSIVE and stop every reader), after moving in the rows
 * of its range that reached the DEFAULT partition (ATTACH refuses to leave them there). Must run in a transaction.
 */
async function createPartition(tx: Queryable, table: PartitionedTable, range: Range): Promise<string> {
  const { schema, name } = splitName(table.table);
  const parts = `${schema.replace(/"/g, '')}_partitions`;
  const bound = boundSql(table, range);
  const partition = `${qi(parts)}.${qi(partitionName(name.replace(/"/g, ''), bound.suffix))}`;
  // The caller's transaction may go on after this (a file load): its lock timeout is put back at the end.
  const [before] = await tx.query<{ timeout: string }>("SELECT current_setting('lock_timeout') AS timeout");
  await tx.exec(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`);
  await tx.exec(`CREATE SCHEMA IF NOT EXISTS ${qi(parts)}`);
  await tx.exec(
    `CREATE TABLE ${partition} (LIKE ${table.table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE)`,
  );
  const fallback = table.partitions.find((p) => p.isDefault);
  if (fallback) {
    const where = rangeCondition(table, range);
    await tx.query(
      `WITH moved AS (DELETE FROM ${fallback.name} WHERE ${where.sql} RETURNING *) INSERT INTO ${partition} SELECT * FROM moved`,
      where.params,
    );
  }
  await tx.exec(
    `ALTER TABLE ${table.table} ATTACH PARTITION ${partition} FOR VALUES FROM (${bound.from}) TO (${bound.to})`,
  );
  await tx.query("SELECT set_config('lock_timeout', $1, true)", [before?.timeout ?? '0']);
  return partition;
}

/** Errors of a partition another process created first: the name exists, or its range does. */
const lostRace = (error: unknown) => ['42P07', '23505', '42P17'].includes(String((error as { code?: string }).code));

/**
 * The pre-write step of a checkpoint: creates the partitions its rows need that do not exist yet, each in a short
 * transaction of its own before the checkpoint's (so the checkpoint holds no lock on the parent beyond its writes).
 * Returns the partitions created. A range another process created meanwhile is fine; one that cannot be created
 * (a lock not granted in time) is left to the DEFAULT partition, which takes the rows, and is reported as not made.
 */
export async function preparePartitions(
  db: Db,
  writes: readonly { target: WriteTarget; rows: readonly (readonly unknown[])[] }[],
): Promise<{ created: string[]; failed: { table: string; error: string }[] }> {
  const created: string[] = [];
  const failed: { table: string; error: string }[] = [];
  if (db.dialect !== 'postgres') return { created, failed };
  const withRows = writes.filter((w) => w.rows.length > 0);
  const tables = await describePartitioned(db, [...new Set(withRows.map((w) => w.target.table))]);
  for (const table of tables) {
    const ranges: Range[] = [];
    for (const write of withRows.filter((w) => w.target.table === table.table)) {
      const known = { ...table, partitions: [...table.partitions, ...ranges.map(asPartition)] };
      ranges.push(...(await missingRanges(db, db.schemas.etl, known, write.target.columns, write.rows)));
    }
    for (const range of ranges) {
      try {
        created.push(await db.transaction((tx) => createPartition(tx, table, range)));
      } catch (error) {
        if (lostRace(error)) continue;
        failed.push({ table: table.table, error: (error as Error).message });
      }
    }
  }
  return { created, failed };
}

/**
 * A transaction whose `writeRows` first creates the partitions each batch needs, inside that transaction (under a
 * savepoint each): for loads whose rows are not known before they stream (a CSV file), so they land in their ranges
 * and not in DEFAULT. The parent's SHARE UPDATE EXCLUSIVE lock is then held until the load commits: readers and
 * writers go on, another creator of a range of that table waits for it (at most LOCK_TIMEOUT, then DEFAULT).
 */
export function creatingPartitions(tx: Queryable, db: Db): Queryable {
  if (db.dialect !== 'postgres') return tx;
  return {
    query: (sql, params) => tx.query(sql, params),
    exec: (sql) => tx.exec(sql),
    async writeRows(target, rows) {
      const [table] = rows.length > 0 ? await describePartitioned(tx, [target.table]) : [];
      const ranges = table ? await missingRanges(tx, db.schemas.etl, table, target.columns, rows) : [];
      for (const range of ranges) {
        await tx.exec('SAVEPOINT create_partition');
        try {
          await createPartition(tx, table as PartitionedTable, range);
          await tx.exec('RELEASE SAVEPOINT create_partition');
        } catch {
          // Another load made it first, or its lock did not come in time: the rows go where they can.
          await tx.exec('ROLLBACK TO SAVEPOINT create_partition');
        }
      }
      return tx.writeRows(target, rows);
    },
  };
}

const asPartition = (r: Range): Partition => ({ name: '', isDefault: false, ...r, estimatedRows: 0 });

/**
 * Moves the rows that reached a table's DEFAULT partition (a raw INSERT, a streamed file load, a range whose
 * creation failed) into range partitions of their own, creating them. Returns the partitions created.
 */
export async function splitDefaultPartition(db: Db, table: string): Promise<string[]> {
  const created: string[] = [];
  if (db.dialect !== 'postgres') return created;
  for (let pass = 0; pass < 100_000; pass++) {
    const [described] = await describePartitioned(db, [table]);
    const fallback = described?.partitions.find((p) => p.isDefault);
    if (!described || !fallback) return created;
    const cols = described.columns.map(qi);
    const order = described.kind === 'month' ? cols[0] : `${cols[0]}, ${cols[1]}`;
    const [row] = await db.query<Record<string, unknown>>(
      `SELECT ${cols.join(', ')} FROM ${fallback.name} ORDER BY ${order} LIMIT 1`,
    );
    if (!row) return created;
    const values = [described.columns.map((c) => row[c])];
    const [range] = await missingRanges(db, db.schemas.etl, described, described.columns, values);
    if (!range) throw new Error(`${fallback.name} holds a row that a range partition of ${table} covers`);
    try {
      created.push(await db.transaction((tx) => createPartition(tx, described, range)));
    } catch (error) {
      if (!lostRace(error)) throw error;
    }
  }
  return created;
}

/**
 * Detaches and drops partitions: each in a transaction that waits at most LOCK_TIMEOUT for the parent (DETACH takes
 * ACCESS EXCLUSIVE on it for an instant; CONCURRENTLY is not allowed beside a DEFAULT partition). Constant time:
 * the files are unlinked, no row is read. Returns the ones dropped and the ones whose lock was not granted.
 */
export async function dropPartitions(
  db: Db,
  table: string,
  partitions: readonly Partition[],
): Promise<{ dropped: Partition[]; failed: { partition: string; error: string }[] }> {
  const dropped: Partition[] = [];
  const failed: { partition: string; error: string }[] = [];
  for (const p of partitions) {
    if (p.isDefault) continue;
    try {
      await db.transaction(async (tx) => {
        await tx.exec(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`);
        await tx.exec(`ALTER TABLE ${table} DETACH PARTITION ${p.name}`);
        await tx.exec(`DROP TABLE ${p.name}`);
      });
      dropped.push(p);
    } catch (error) {
      failed.push({ partition: p.name, error: (error as Error).message });
    }
  }
  return { dropped, failed };
}

/**
 * Drops the partitions of a month table whose whole range is before `before`, or of a block table whose whole
 * range of `chainId` is below block `before`.
 */
export async function dropPartitionsBefore(
  db: Db,
  table: string,
  bound: { before: Date } | { chainId: number; beforeBlock: number },
): Promise<{ dropped: Partition[]; failed: { partition: string; error: string }[] }> {
  const partitions = await listPartitions(db, table);
  const old = partitions.filter((p) =>
    'before' in bound
      ? !p.isDefault && p.chainId === undefined && p.to <= bound.before.getTime()
      : !p.isDefault && p.chainId === bound.chainId && p.to <= bound.beforeBlock,
  );
  return dropPartitions(db, table, old);
}

/**
 * The newest row of one partition of a block table by its key (an index probe, not a scan): its block number
 * and `timeColumn`. Undefined when the partition is empty.
 */
export async function newestInPartition(
  db: Db,
  table: PartitionedTable,
  partition: Partition,
  timeColumn: string,
): Promise<{ block: number; time: Date | null } | undefined> {
  const [chain, block] = table.columns.map(qi);
  const [row] = await db.query<{ block: number | string; time: Date | null }>(
    `SELECT ${block} AS block, ${qi(timeColumn)} AS time FROM ${partition.name}
     WHERE ${chain} = $1 ORDER BY ${chain} DESC, ${block} DESC LIMIT 1`,
    [partition.chainId],
  );
  return row ? { block: Number(row.block), time: row.time === null ? null : new Date(row.time) } : undefined;
}

/** The retention settings of partitioned tables: days per table (`null`: RETENTION_DAYS), blocks kept per chain. */
export async function readPartitionRetention(
  db: Db,
): Promise<{ days: Map<string, number | null>; keepBlocks: Map<number, number> }> {
  const days = new Map<string, number | null>();
  const keepBlocks = new Map<number, number>();
  if (db.dialect !== 'postgres') return { days, keepBlocks };
  const { etl } = db.schemas;
  for (const r of await db.query<{ table_name: string; keep_days: number | null }>(
    `SELECT table_name, keep_days FROM ${etl}.partition_retention`,
  )) {
    days.set(r.table_name, r.keep_days === null ? null : Number(r.keep_days));
  }
  for (const r of await db.query<{ chain_id: number | string; keep_blocks: number | string }>(
    `SELECT chain_id, keep_blocks FROM ${etl}.chain_partitions WHERE keep_blocks IS NOT NULL`,
  )) {
    keepBlocks.set(Number(r.chain_id), Number(r.keep_blocks));
  }
  return { days, keepBlocks };
}

/**
 * Deletes the rows of a plain table older than `cutoff` by `column`, except those matching `keep`; returns how many.
 * The row-by-row retention of the tables that are not partitioned (the pipeline's bookkeeping, every MySQL table).
 */
export async function deleteRowsBefore(
  db: Db,
  table: string,
  column: string,
  cutoff: Date,
  keep?: string,
): Promise<number> {
  const where = `${column} < $1 ${keep ? `AND NOT (${keep})` : ''}`;
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
  return Number(row?.n ?? 0);
}

/**
 * The conflict target of a write on a partitioned table: a unique index there must hold the partition key, so its
 * columns join the row's key (they are functions of it: a block's number of its hash, a trade's time of its
 * transaction). A plain table keeps the key as it is.
 */
export async function conflictKey(db: Pick<Queryable, 'query'>, target: WriteTarget): Promise<readonly string[]> {
  const rows = await db.query<{ name: string }>(
    `SELECT a.attname::text AS name FROM pg_partitioned_table p
     CROSS JOIN LATERAL unnest(p.partattrs::int2[]) WITH ORDINALITY AS k(attnum, ord)
     JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = k.attnum
     WHERE p.partrelid = to_regclass($1) ORDER BY k.ord`,
    [target.table],
  );
  const extra = rows.map((r) => r.name).filter((c) => !target.key.includes(c));
  return extra.length === 0 ? target.key : [...target.key, ...extra];
}

/**
 * For a table created at run time (an event table of a contract set declared later): the clause that ends its
 * `CREATE TABLE (…)`, whose primary key must then hold `block_number` too.
 */
export const BLOCK_PARTITION_CLAUSE = 'PARTITION BY RANGE (chain_id, block_number)';

/**
 * The DEFAULT partition of a table created partitioned at run time: idempotent, and nothing for a table that is
 * not partitioned (one created before, as a plain table).
 */
export function defaultPartitionDdl(schema: string, table: string): string {
  const parts = `${schema}_partitions`;
  return `CREATE SCHEMA IF NOT EXISTS ${parts};
DO $$ BEGIN
  IF (SELECT relkind FROM pg_class WHERE oid = to_regclass('${schema}.${table}')) = 'p' THEN
    CREATE TABLE IF NOT EXISTS ${parts}.${qi(partitionName(table, 'default'))} PARTITION OF ${schema}.${table} DEFAULT;
  END IF;
END $$;`;
}
