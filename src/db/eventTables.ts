import { createHash } from 'node:crypto';
import { type ColumnType, columnDefinition } from './columnTypes.ts';
import { BLOCK_PARTITION_CLAUSE, defaultPartitionDdl } from './partitions.ts';
import type { Db } from './types.ts';

/** A decoded argument's column: its name (unquoted) and logical type. */
export interface EventTableColumn {
  name: string;
  type: ColumnType;
}

/** What the statements need to know of the database: its engine. */
export type EventTableEngine = Pick<Db, 'dialect'>;

/**
 * The statements that create a decoded-event table, or add the argument columns it lacks (an ABI that grew: NULL in
 * the rows loaded before). Keyed by (chain id, block hash, log index): a log is the same log only in its block.
 * PostgreSQL/PGlite: range-partitioned by (chain_id, block_number) like the other block tables (migration 0012),
 * so its key holds the block number too and retention drops its old ranges. MySQL/MariaDB: a plain table (see
 * docs/partitions.md), hashes and addresses as ASCII text, its indexes inline (it has no CREATE INDEX IF NOT EXISTS).
 * `existing`: the columns the table has, undefined when it does not exist.
 */
export function eventTableStatements(
  db: EventTableEngine,
  schema: string,
  table: string,
  columns: readonly EventTableColumn[],
  existing: ReadonlySet<string> | undefined,
): string[] {
  const qualified = `${schema}.${table}`;
  // Argument names may be keywords (`from`, `to`): quoted (columnDefinition quotes them itself on MySQL).
  const define = (c: EventTableColumn) =>
    columnDefinition(db.dialect, db.dialect === 'postgres' ? `"${c.name}"` : c.name, c.type);
  if (existing) {
    return columns.filter((c) => !existing.has(c.name)).map((c) => `ALTER TABLE ${qualified} ADD COLUMN ${define(c)}`);
  }
  const decoded = columns.map((c) => `  ${define(c)},`).join('\n');
  const index = indexPrefix(table, 55);
  const loadedIndex = `${indexPrefix(table, 52)}_loaded_idx`;
  if (db.dialect === 'mysql') {
    const hex = (n: number) => `varchar(${n}) CHARACTER SET ascii COLLATE ascii_bin NOT NULL`;
    return [
      `CREATE TABLE IF NOT EXISTS ${qualified} (
  chain_id     bigint NOT NULL,
  block_number bigint NOT NULL,
  block_hash   ${hex(66)},
  log_index    integer NOT NULL,
  tx_hash      ${hex(66)},
  tx_index     integer NOT NULL,
  emitter      ${hex(42)},
  block_time   datetime(6),
${decoded}
  loaded_at    datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (chain_id, block_hash, log_index),
  INDEX ${index}_blk_idx (chain_id, block_number),
  INDEX ${index}_tx_idx (tx_hash),
  INDEX ${loadedIndex} (loaded_at)
)`,
    ];
  }
  return [
    `CREATE TABLE IF NOT EXISTS ${qualified} (
  chain_id     bigint NOT NULL,
  block_number bigint NOT NULL,
  block_hash   text COLLATE "C" NOT NULL,
  log_index    integer NOT NULL,
  tx_hash      text NOT NULL,
  tx_index     integer NOT NULL,
  emitter      text NOT NULL,
  block_time   timestamptz,
${decoded}
  loaded_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (chain_id, block_hash, log_index, block_number)
) ${BLOCK_PARTITION_CLAUSE}`,
    defaultPartitionDdl(schema, table),
    `CREATE INDEX IF NOT EXISTS ${index}_blk_idx ON ${qualified} (chain_id, block_number)`,
    `CREATE INDEX IF NOT EXISTS ${index}_tx_idx ON ${qualified} (tx_hash)`,
    `CREATE INDEX IF NOT EXISTS ${loadedIndex} ON ${qualified} (loaded_at)`,
  ];
}

/**
 * The start of a table's index names, at most `room` characters so a suffix keeps them within 63 (PostgreSQL) or 64
 * (MySQL). A name that fits is kept whole (the names of the tables created before); a longer one is cut and given a
 * hash of the whole name, since PostgreSQL's index names are unique per schema and two long event tables may share
 * their first characters (`…_transfer_single`, `…_transfer_batch`).
 */
function indexPrefix(table: string, room: number): string {
  if (table.length <= room) return table;
  const hash = createHash('sha256').update(table).digest('hex').slice(0, 8);
  return `${table.slice(0, room - 9)}_${hash}`;
}
